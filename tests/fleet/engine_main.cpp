#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
#include <mosquitto.h>

int main(int argc, char** argv) {
  mosquitto_lib_init();
  doctest::Context context(argc, argv);
  int rc = context.run();
  mosquitto_lib_cleanup();
  return rc;
}
