#include "firmware_model/python_json.hpp"

#include <doctest/doctest.h>

using namespace lampi::model;

TEST_CASE("python float repr matches CPython") {
  CHECK(python_float_repr(0.0) == "0.0");
  CHECK(python_float_repr(-0.0) == "-0.0");
  CHECK(python_float_repr(1.0) == "1.0");
  CHECK(python_float_repr(0.1) == "0.1");
  CHECK(python_float_repr(0.47) == "0.47");
  CHECK(python_float_repr(0.5019607843137255) == "0.5019607843137255");
  CHECK(python_float_repr(1.0 / 3.0) == "0.3333333333333333");
  CHECK(python_float_repr(0.0001) == "0.0001");
  CHECK(python_float_repr(0.00001) == "1e-05");
  CHECK(python_float_repr(123.0) == "123.0");
  CHECK(python_float_repr(1e16) == "1e+16");
  CHECK(python_float_repr(1e15) == "1000000000000000.0");
  CHECK(python_float_repr(2.5e-7) == "2.5e-07");
  CHECK(python_float_repr(12345.678) == "12345.678");
}
