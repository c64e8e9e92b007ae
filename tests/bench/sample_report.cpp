// Writes the sample half-hour report (the one tests/fleet/report checks) to a file, for
// people to look at when they change the report's looks:
//   build/tests/sample_report /tmp/report.html
// A tool rather than a test that writes when an environment variable is set: the test
// asserts on the same page, and looking is not something ctest can do.
#include <cstdio>
#include <exception>

#include "fleet/report/html_report.hpp"
#include "tests/fleet/report/sample_run.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT.html\n", argv[0]);
    return 2;
  }
  using namespace lampi::testing;
  try {
    lampi::fleet::write_html_report(argv[1], sample_summary(), sample_timeline(), sample_config(),
                                    kSampleTitle);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  std::printf("%s\n", argv[1]);
  return 0;
}
