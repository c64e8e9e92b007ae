// Separate from the other fleet tests: these start real mosquitto brokers (ctest label
// "broker").
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
