// The fleet_config_tests runner: config loading needs no broker, so it stays apart from
// the broker tests and runs in milliseconds.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
