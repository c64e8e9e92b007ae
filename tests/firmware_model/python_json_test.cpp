// Byte-exact Python renderings. Every expected string was printed by CPython 3
// (json.dumps, repr, round); none is computed with the code under test.
#include "firmware_model/python_json.hpp"

#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <string_view>

using namespace lampi::model;
using namespace std::string_view_literals;

namespace {

std::string dumps_string(std::string_view utf8) {
  std::string out;
  append_python_json_string(out, utf8);
  return out;
}

}  // namespace

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

TEST_CASE("python float repr: shortest round-trip digits and the exponent switch") {
  CHECK(python_float_repr(0.2 + 0.1) == "0.30000000000000004");
  CHECK(python_float_repr(2.0 / 3.0) == "0.6666666666666666");
  CHECK(python_float_repr(128.0 / 255.0) == "0.5019607843137255");
  CHECK(python_float_repr(1.0 / 255.0) == "0.00392156862745098");
  CHECK(python_float_repr(254.0 / 255.0) == "0.996078431372549");
  CHECK(python_float_repr(1e-7) == "1e-07");
  CHECK(python_float_repr(123456789012345.6) == "123456789012345.6");
  CHECK(python_float_repr(1.5e16) == "1.5e+16");
  CHECK(python_float_repr(9007199254740993.0) == "9007199254740992.0");
  CHECK(python_float_repr(5e-324) == "5e-324");
  CHECK(python_float_repr(1.7976931348623157e308) == "1.7976931348623157e+308");
  CHECK(python_float_repr(-2.5) == "-2.5");
  CHECK(python_float_repr(1e22) == "1e+22");
  CHECK(python_float_repr(1e-4 * 1.5) == "0.00015000000000000001");
  CHECK(python_float_repr(100.0) == "100.0");
  CHECK(python_float_repr(0.1 + 0.7) == "0.7999999999999999");
}

TEST_CASE("python float repr: non-finite values as json.dumps writes them") {
  CHECK(python_float_repr(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(python_float_repr(std::numeric_limits<double>::infinity()) == "Infinity");
  CHECK(python_float_repr(-std::numeric_limits<double>::infinity()) == "-Infinity");
}

TEST_CASE("append_python_float appends to what is already there") {
  std::string out = "x=";
  append_python_float(out, 0.5);
  append_python_float(out, -1e-05);
  CHECK(out == "x=0.5-1e-05");
}

TEST_CASE("python round(x, 2): correctly rounded from the binary value, ties to even") {
  CHECK(python_float_repr(python_round2(0.005)) == "0.01");
  CHECK(python_float_repr(python_round2(0.015)) == "0.01");
  CHECK(python_float_repr(python_round2(0.025)) == "0.03");
  CHECK(python_float_repr(python_round2(0.125)) == "0.12");
  CHECK(python_float_repr(python_round2(0.375)) == "0.38");
  CHECK(python_float_repr(python_round2(0.285)) == "0.28");
  CHECK(python_float_repr(python_round2(0.675)) == "0.68");
  CHECK(python_float_repr(python_round2(0.994999)) == "0.99");
  CHECK(python_float_repr(python_round2(0.995)) == "0.99");
  CHECK(python_float_repr(python_round2(0.999)) == "1.0");
  CHECK(python_float_repr(python_round2(1.005)) == "1.0");
  CHECK(python_float_repr(python_round2(-0.001)) == "-0.0");
  CHECK(python_float_repr(python_round2(-0.005)) == "-0.01");
  CHECK(python_float_repr(python_round2(0.0049999)) == "0.0");
  CHECK(python_float_repr(python_round2(2.675)) == "2.67");
  CHECK(python_float_repr(python_round2(1e-9)) == "0.0");
  CHECK(python_float_repr(python_round2(0.5019607843137255)) == "0.5");
  CHECK(python_float_repr(python_round2(0.7750000000000001)) == "0.78");
  CHECK(python_float_repr(python_round2(-0.0)) == "-0.0");
}

TEST_CASE("python round(x, 2) leaves non-finite values alone") {
  CHECK(std::isnan(python_round2(std::numeric_limits<double>::quiet_NaN())));
  CHECK(python_round2(std::numeric_limits<double>::infinity()) ==
        std::numeric_limits<double>::infinity());
}

TEST_CASE("json.dumps strings: ensure_ascii escapes") {
  CHECK(dumps_string(""sv) == R"("")");
  CHECK(dumps_string("plain"sv) == R"("plain")");
  CHECK(dumps_string(R"(quote")"sv) == R"("quote\"")");
  CHECK(dumps_string(R"(back\slash)"sv) == R"("back\\slash")");
  CHECK(dumps_string("/"sv) == R"("/")");
  CHECK(dumps_string("\012\015\011\010\014"sv) == R"("\n\r\t\b\f")");
  CHECK(dumps_string("\000\001\037"sv) == R"("\u0000\u0001\u001f")");
  CHECK(dumps_string(" ~"sv) == R"(" ~")");
  CHECK(dumps_string("\177"sv) == R"("\u007f")");
}

TEST_CASE("json.dumps strings: every UTF-8 length, and non-BMP as surrogate pairs") {
  CHECK(dumps_string("\302\200"sv) == R"("\u0080")");
  CHECK(dumps_string("\303\251"sv) == R"("\u00e9")");
  CHECK(dumps_string("\303\277"sv) == R"("\u00ff")");
  CHECK(dumps_string("\304\200"sv) == R"("\u0100")");
  CHECK(dumps_string("\337\277"sv) == R"("\u07ff")");
  CHECK(dumps_string("\340\240\200"sv) == R"("\u0800")");
  CHECK(dumps_string("\342\202\254"sv) == R"("\u20ac")");
  CHECK(dumps_string("\357\273\277"sv) == R"("\ufeff")");
  CHECK(dumps_string("\357\277\277"sv) == R"("\uffff")");
  CHECK(dumps_string("\360\220\200\200"sv) == R"("\ud800\udc00")");
  CHECK(dumps_string("\360\237\230\200"sv) == R"("\ud83d\ude00")");
  CHECK(dumps_string("\364\217\277\277"sv) == R"("\udbff\udfff")");
  CHECK(dumps_string("a\360\237\230\200b\303\251c"sv) == R"("a\ud83d\ude00b\u00e9c")");
}

TEST_CASE("json.dumps values: nested lists and dicts keep insertion order") {
  struct Case {
    const char* json;  // parsed, then dumped
    const char* python;
  };
  // json.dumps(json.loads(text)) in CPython
  static constexpr Case kCases[] = {
      {R"([])", R"([])"},
      {R"({})", R"({})"},
      {R"([1,2.5,"x",null,true,false])", R"([1, 2.5, "x", null, true, false])"},
      {R"({"b":1,"a":{"c":[0.1,-0.0,1e16]}})", R"({"b": 1, "a": {"c": [0.1, -0.0, 1e+16]}})"},
      {R"([[[[]]]])", R"([[[[]]]])"},
      {"{\"k\303\251y\":\"v\"}", R"({"k\u00e9y": "v"})"},
      {R"(-42)", R"(-42)"},
      {R"(18446744073709551615)", R"(18446744073709551615)"},
      {R"(-9223372036854775808)", R"(-9223372036854775808)"},
      {R"(1e-05)", R"(1e-05)"},
      {R"(1E2)", R"(100.0)"},
      {R"("\u00e9\ud83d\ude00")", R"("\u00e9\ud83d\ude00")"},
      {R"({"z": {"y": {"x": [{"w": "\n"}]}}})", R"({"z": {"y": {"x": [{"w": "\n"}]}}})"},
  };
  for (const auto& c : kCases) {
    CAPTURE(c.json);
    CHECK(python_json_dumps(Json::parse(c.json)) == c.python);
  }
}

TEST_CASE("json.dumps values built in C++") {
  Json v = Json::object();
  v["b"] = Json::array({1, 0.5, "\x7f"});
  v["a"] = nullptr;
  CHECK(python_json_dumps(v) == R"({"b": [1, 0.5, "\u007f"], "a": null})");
  CHECK(python_json_dumps(Json(std::numeric_limits<double>::quiet_NaN())) == "NaN");
  CHECK(python_json_dumps(Json(-std::numeric_limits<double>::infinity())) == "-Infinity");
  std::string out = "[";
  append_python_json(out, Json(true));
  CHECK(out == "[true");
}
