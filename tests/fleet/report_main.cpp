// The fleet_report_tests runner: the HTML report is pure string building, so it needs no
// broker and runs in milliseconds.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
