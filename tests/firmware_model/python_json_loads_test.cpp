// python_json_loads against CPython's json.loads(payload.decode('utf-8')): each accepted
// document is checked as json.dumps(json.loads(text)) printed by CPython 3, each refused
// one is a text CPython raises on.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <string_view>

#include "firmware_model/python_json.hpp"

using namespace lampi::model;
using namespace std::string_view_literals;

namespace {

constexpr int kDepth = 1000;

std::string round_trip(std::string_view text) {
  auto v = python_json_loads(text, kDepth);
  REQUIRE(v.has_value());
  return python_json_dumps(*v);
}

}  // namespace

TEST_CASE("python_json_loads accepts what CPython accepts and keeps what it keeps") {
  struct Case {
    std::string_view text;
    std::string_view python;  // json.dumps(json.loads(text))
  };
  static constexpr Case kCases[] = {
      {R"(NaN)", R"(NaN)"},
      {R"([NaN, Infinity, -Infinity])", R"([NaN, Infinity, -Infinity])"},
      {R"(1e400)", R"(Infinity)"},
      {R"(-1e400)", R"(-Infinity)"},
      {R"([1e-400, -1e-400, 0e999999999999])", R"([0.0, -0.0, 0.0])"},
      {R"(5e-324)", R"(5e-324)"},
      {R"(18446744073709551615)", R"(18446744073709551615)"},
      {R"(-9223372036854775808)", R"(-9223372036854775808)"},
      {R"(-0)", R"(0)"},
      {R"(-0.0)", R"(-0.0)"},
      {R"(0.1e1)", R"(1.0)"},
      {R"(1E+2)", R"(100.0)"},
      {R"(1e-2)", R"(0.01)"},
      {R"("\ud800")", R"("\ud800")"},
      {R"("\udfff\ud800")", R"("\udfff\ud800")"},
      {R"("\ud83d\ude00")", R"("\ud83d\ude00")"},
      {R"("\uD83D\uDE00")", R"("\ud83d\ude00")"},
      {R"("\ud800\u0041")", R"("\ud800A")"},
      {R"("\ud800\n")", R"("\ud800\n")"},
      {R"("a\u00e9\u20ac")", R"("a\u00e9\u20ac")"},
      {"\"\303\251\342\202\254\360\237\230\200\"", R"("\u00e9\u20ac\ud83d\ude00")"},
      {R"({"a": 1, "b": 2, "a": 3})", R"({"a": 3, "b": 2})"},
      {R"({"k": {"x": 1, "x": [2]}})", R"({"k": {"x": [2]}})"},
      {" \011\012\015[ 1 , { } , [ ] ]\015\012\011 ", R"([1, {}, []])"},
      {R"("\"\\\/\b\f\n\r\t")", R"("\"\\/\b\f\n\r\t")"},
      {"\"\177\"", R"("\u007f")"},
      {R"({"": ""})", R"({"": ""})"},
      {R"([[[[[]]]]])", R"([[[[[]]]]])"},
      {R"(true)", R"(true)"},
      {R"(null)", R"(null)"},
  };
  for (const auto& c : kCases) {
    CAPTURE(c.text);
    CHECK(round_trip(c.text) == c.python);
  }
}

TEST_CASE("python_json_loads refuses what CPython raises on") {
  static constexpr std::string_view kBad[] = {
      ""sv,
      " "sv,
      "\357\273\277[]"sv,
      // UnicodeDecodeError: overlong, surrogate, past U+10FFFF, bad lead, truncated, stray
      "\300\257"sv,
      "\"\340\200\200\""sv,
      "\"\355\240\200\""sv,
      "\"\364\220\200\200\""sv,
      "\"\365\200\200\200\""sv,
      "\"\342\202\""sv,
      "\"\200\""sv,
      "[\"\377\"]"sv,
      "[] \377"sv,
      "\"\342\202"sv,
      // JSONDecodeError
      "\"a\000b\""sv,
      "\"a\037b\""sv,
      R"("\x41")"sv,
      R"("\u12")"sv,
      R"("\u12g4")"sv,
      R"("\ud800\u12g4")"sv,
      R"("abc)"sv,
      R"("\)"sv,
      R"([1,])"sv,
      R"({"a":1,})"sv,
      R"({"a" 1})"sv,
      R"({a:1})"sv,
      R"({1:1})"sv,
      R"([1 2])"sv,
      R"([] [])"sv,
      R"(01)"sv,
      R"(1.)"sv,
      R"(.5)"sv,
      R"(+1)"sv,
      R"(-)"sv,
      R"(--1)"sv,
      R"(nan)"sv,
      R"(infinity)"sv,
      R"(-NaN)"sv,
      R"(Infinity1)"sv,
      R"(1e)"sv,
      R"(1e+)"sv,
      "\014[]"sv,
      "\013[]"sv,
      "\302\240[]"sv,
      R"([)"sv,
      R"({)"sv,
      R"({"a")"sv,
      R"({"a":)"sv,
      R"(tru)"sv,
      R"(nul)"sv,
      R"('a')"sv,
  };
  for (auto text : kBad) {
    CAPTURE(text);
    CHECK_FALSE(python_json_loads(text, kDepth).has_value());
  }
}

TEST_CASE("python_json_loads keeps Python's number types") {
  auto v = python_json_loads(R"([1, -1, 1.0, -0, 18446744073709551615, NaN, -0.0])", kDepth);
  REQUIRE(v);
  const Json& a = *v;
  CHECK(a[0].is_number_unsigned());
  CHECK(a[1].is_number_integer());
  CHECK(a[2].is_number_float());
  CHECK(a[3].is_number_integer());
  CHECK(a[3].get<std::int64_t>() == 0);
  CHECK(a[4].get<std::uint64_t>() == 18446744073709551615ULL);
  CHECK(std::isnan(a[5].get<double>()));
  CHECK(std::signbit(a[6].get<double>()));
}

TEST_CASE("integers wider than 64 bits become the nearest double (Python keeps them exact)") {
  auto v = python_json_loads("[18446744073709551616, -9223372036854775809]", kDepth);
  REQUIRE(v);
  CHECK((*v)[0].is_number_float());
  CHECK((*v)[0].get<double>() == 18446744073709551616.0);
  CHECK((*v)[1].get<double>() == -9223372036854775808.0);
}

TEST_CASE("lone surrogates are kept as their three-byte form") {
  auto v = python_json_loads(R"(["\ud800", "\udc00x", "\ud83d\ude00"])", kDepth);
  REQUIRE(v);
  CHECK((*v)[0].get<std::string>() == "\355\240\200");
  CHECK((*v)[1].get<std::string>() == "\355\260\200x");
  CHECK((*v)[2].get<std::string>() == "\360\237\230\200");
}

TEST_CASE("a repeated key keeps its first position and its last value") {
  auto v = python_json_loads(R"({"b": 1, "a": 2, "b": 3})", kDepth);
  REQUIRE(v);
  CHECK(v->size() == 2);
  CHECK(v->begin().key() == "b");
  CHECK((*v)["b"] == 3);
}

TEST_CASE("max_depth: containers nested deeper are RecursionError, however the text ends") {
  auto nested = [](std::size_t depth, bool closed) {
    std::string s(depth, '[');
    if (closed) s.append(depth, ']');
    return s;
  };
  CHECK(python_json_loads(nested(3, true), 3).has_value());
  CHECK_FALSE(python_json_loads(nested(4, true), 3).has_value());
  CHECK(python_json_loads(R"({"a": [{"b": 1}]})", 3).has_value());
  CHECK_FALSE(python_json_loads(R"({"a": [{"b": []}]})", 3).has_value());
  CHECK_FALSE(python_json_loads(nested(100000, false), kDepth).has_value());
  CHECK_FALSE(python_json_loads(nested(100000, true), kDepth).has_value());
  CHECK(python_json_loads(nested(kDepth, true), kDepth).has_value());
  CHECK_FALSE(python_json_loads("[]", 0).has_value());
  CHECK(python_json_loads("1", 0).has_value());
}

TEST_CASE("a megabyte of text parses and round-trips") {
  std::string big(1 << 20, 'x');
  big[100] = '\n';
  auto v = python_json_loads(R"({"client": ")" + std::string(big).replace(100, 1, "\\n") + "\"}",
                             kDepth);
  REQUIRE(v);
  CHECK((*v)["client"].get<std::string>() == big);
}
