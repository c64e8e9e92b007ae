// set_config payloads and the lamp/changed each must produce, shared by the tests that
// feed them to apply_set_config directly and through a whole lamp. Every expected string
// was printed by CPython 3 running the course's lamp_service handler (json.loads, the
// range checks, round(x, 2), json.dumps); none is computed by the code under test.
#pragma once

#include <string_view>

#include "firmware_model/set_config.hpp"

namespace lampi::model::test {

struct Golden {
  std::string_view payload;
  std::string_view changed;  // lamp/changed after applying `payload` to the defaults
};

// Faithful mode: each payload applied to a first-boot lamp.
inline constexpr Golden kFaithfulGoldens[] = {
    {R"({"client": "web", "on": false})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": false, "client": "web"})"},
    {R"({"client": "a", "color": {"h": 0.47, "s": 0.1}, "brightness": 0.0})",
     R"({"color": {"h": 0.47, "s": 0.1}, "brightness": 0.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.005})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.01, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.125})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.12, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.375})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.38, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.285})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.28, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.675})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.68, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.004})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.996})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.994999})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.99, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 1e-5})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 5E-1})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.5, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.5019607843137255})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.5, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.3333333333333333})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.33, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.29})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.29, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0.57})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.57, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": -0.0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": -0.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": -0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 1})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": true})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": false})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0, "on": true, "client": "a"})"},
    {R"({"client": "a", "brightness": 1.0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "color": {"h": 1, "s": 0}})",
     R"({"color": {"h": 1, "s": 0}, "brightness": 1.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "color": {"h": 0.1, "s": 1}})",
     R"({"color": {"h": 0.1, "s": 1}, "brightness": 1.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "color": {"h": -0.0, "s": true}})",
     R"({"color": {"h": -0.0, "s": 1}, "brightness": 1.0, "on": true, "client": "a"})"},
    {R"({"client": "a", "on": 1})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": 1, "client": "a"})"},
    {R"({"client": "a", "on": 0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": 0, "client": "a"})"},
    {R"({"client": "a", "on": 1.0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": 1.0, "client": "a"})"},
    {R"({"client": "a", "on": 0.0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": 0.0, "client": "a"})"},
    {R"({"client": "a", "on": -0.0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": -0.0, "client": "a"})"},
    {R"({"client": "a", "on": true})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "a"})"},
    {R"({"client": 42})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": 42})"},
    {R"({"client": 1.5})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": 1.5})"},
    {R"({"client": null})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": null})"},
    {R"({"client": true})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": true})"},
    {R"({"client": -0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": 0})"},
    {R"({"client": 1E2})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": 100.0})"},
    {R"({"client": 12345678901234567890})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": 12345678901234567890})"},
    {R"({"client": -9223372036854775808})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": -9223372036854775808})"},
    {R"({"client": [1, "x", {"k": null}, [], {}]})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": [1, "x", {"k": null}, [], {}]})"},
    {R"({"client": {"b": 1, "a": [true, false]}})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": {"b": 1, "a": [true, false]}})"},
    {"{\"client\": \"h\303\251llo \346\227\245\346\234\254\"}",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "h\u00e9llo \u65e5\u672c"})"},
    {"{\"client\": \"del\177\"}",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "del\u007f"})"},
    {R"({"client": "del\u007f"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "del\u007f"})"},
    {"{\"client\": \"\360\237\230\200\"}",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "\ud83d\ude00"})"},
    {R"({"client": "\ud83d\ude00"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "\ud83d\ude00"})"},
    {R"({"client": "tab\tnew\nline\r\b\f"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "tab\tnew\nline\r\b\f"})"},
    {R"({"client": "quote\"back\\slash\/"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "quote\"back\\slash/"})"},
    {R"({"client": "nul\u0000\u001f"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "nul\u0000\u001f"})"},
    {R"({"client": "first", "client": "second"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "second"})"},
    {R"({"client": {"a": 1, "b": 2, "a": 3}})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": {"a": 3, "b": 2}})"},
    {R"({"client": "x", "foo": [1, 2], "on": true, "bar": {"h": 5}})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "x"})"},
    {"  \012{\"client\":\"x\",\"on\":false}\011\015\012",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": false, "client": "x"})"},
    {R"({"brightness": 0.3, "on": false, "client": "x", "color": {"s": 0.2, "h": 0.9}})",
     R"({"color": {"h": 0.9, "s": 0.2}, "brightness": 0.3, "on": false, "client": "x"})"},
    {R"({"client": "x", "color": {"h": 0.5, "s": 0.5, "extra": 9}})",
     R"({"color": {"h": 0.5, "s": 0.5}, "brightness": 1.0, "on": true, "client": "x"})"},
    {R"({"color":{"h":0.5,"s":1},"brightness":0.8,"on":true,"client":"0.123_web_client"})",
     R"({"color": {"h": 0.5, "s": 1}, "brightness": 0.8, "on": true, "client": "0.123_web_client"})"},
    {R"({"client": "x", "brightness": NaN})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": NaN, "on": true, "client": "x"})"},
    {R"({"client": "x", "color": {"h": NaN, "s": 0.25}})",
     R"({"color": {"h": NaN, "s": 0.25}, "brightness": 1.0, "on": true, "client": "x"})"},
    {R"({"client": NaN})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": NaN})"},
    {R"({"client": Infinity})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": Infinity})"},
    {R"({"client": -Infinity})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": -Infinity})"},
    {R"({"client": 1e400})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": Infinity})"},
    {R"({"client": [1e-400, -1e-400]})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": [0.0, -0.0]})"},
    {R"({"client": "\ud800"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "\ud800"})"},
    {R"({"client": "\udc00\ud800x"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "\udc00\ud800x"})"},
    {R"({"client": "\ud800\u0041"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "\ud800A"})"},
};

// Strict mode stores every number as a float (so `1` echoes `1.0` and `-0.0` echoes
// `0.0`); the digits are still Python's round(x, 2) and repr.
inline constexpr Golden kStrictGoldens[] = {
    {R"({"client": "s", "color": {"h": 1, "s": 0}, "brightness": 0.125, "on": false})",
     R"({"color": {"h": 1.0, "s": 0.0}, "brightness": 0.12, "on": false, "client": "s"})"},
    {R"({"client": "s", "brightness": -0.0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.0, "on": true, "client": "s"})"},
    {R"({"client": "s", "brightness": 0})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.0, "on": true, "client": "s"})"},
    {R"({"client": "s", "brightness": 0.005})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 0.01, "on": true, "client": "s"})"},
    {R"({"client": "s", "color": {"h": 0.47, "s": 0.1}})",
     R"({"color": {"h": 0.47, "s": 0.1}, "brightness": 1.0, "on": true, "client": "s"})"},
    {R"({"client": "s", "on": true, "extra": [1]})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "s"})"},
    {R"({"client": "\ud83d\ude00"})",
     R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "\ud83d\ude00"})"},
    {R"({"client": "s", "color": {"h": 0.5, "s": 0.5, "v": 9}})",
     R"({"color": {"h": 0.5, "s": 0.5}, "brightness": 1.0, "on": true, "client": "s"})"},
};

struct Refusal {
  std::string_view payload;
  SetConfigOutcome outcome;
  InvalidClass why;
  std::string_view state_after;  // render_changed of the state the refusal leaves behind
};

inline constexpr std::string_view kUntouched =
    R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": ""})";
// The client is stored before any other field is looked at.
inline constexpr std::string_view kClientX =
    R"({"color": {"h": 1.0, "s": 1.0}, "brightness": 1.0, "on": true, "client": "x"})";

using O = SetConfigOutcome;
using C = InvalidClass;

// Faithful mode, from a first-boot lamp. CPython's verdict is in the comment:
// "invalid" = InvalidLampConfig (caught), anything else = the exception that killed it.
inline constexpr Refusal kFaithfulRefusals[] = {
    // 'client' not in new_config -> InvalidLampConfig
    {R"({"on": true})", O::ignored, C::missing_client, kUntouched},
    {R"({})", O::ignored, C::missing_client, kUntouched},
    {R"([])", O::ignored, C::not_object, kUntouched},
    {R"(["on"])", O::ignored, C::not_object, kUntouched},
    {R"("hello")", O::ignored, C::not_object, kUntouched},
    {R"([{"client": "x"}])", O::ignored, C::not_object, kUntouched},
    // TypeError: `in` on a number, or indexing a list/str with "client"
    {R"(42)", O::crashed, C::not_object, kUntouched},
    {R"(1.5)", O::crashed, C::not_object, kUntouched},
    {R"(null)", O::crashed, C::not_object, kUntouched},
    {R"(true)", O::crashed, C::not_object, kUntouched},
    {R"(false)", O::crashed, C::not_object, kUntouched},
    {R"(["client"])", O::crashed, C::not_object, kUntouched},
    {R"("client")", O::crashed, C::not_object, kUntouched},
    {R"("my client")", O::crashed, C::not_object, kUntouched},
    {R"([1, "client"])", O::crashed, C::not_object, kUntouched},
    // JSONDecodeError
    {"", O::crashed, C::not_json, kUntouched},
    {"   ", O::crashed, C::not_json, kUntouched},
    {R"({)", O::crashed, C::not_json, kUntouched},
    {R"({"client": "x",})", O::crashed, C::not_json, kUntouched},
    {R"({'client': 'x'})", O::crashed, C::not_json, kUntouched},
    {"\357\273\277{\"client\": \"x\"}", O::crashed, C::not_json, kUntouched},  // BOM
    {R"({"client": "x"} extra)", O::crashed, C::not_json, kUntouched},
    {R"({"client": "x"}{})", O::crashed, C::not_json, kUntouched},
    {R"({"client": "x", "brightness": 01})", O::crashed, C::not_json, kUntouched},
    {R"({"client": "\x"})", O::crashed, C::not_json, kUntouched},
    {"{\"client\": \"a\001b\"}", O::crashed, C::not_json, kUntouched},
    {R"(nan)", O::crashed, C::not_json, kUntouched},
    {R"({"client": undefined})", O::crashed, C::not_json, kUntouched},
    {R"({"client": "x", "brightness": .5})", O::crashed, C::not_json, kUntouched},
    {R"({"client": "x", "brightness": 1.})", O::crashed, C::not_json, kUntouched},
    {R"(+1)", O::crashed, C::not_json, kUntouched},
    {R"({"client": "\ud80"})", O::crashed, C::not_json, kUntouched},
    // UnicodeDecodeError
    {"\377", O::crashed, C::not_json, kUntouched},
    {"{\"client\": \"\303(\"}", O::crashed, C::not_json, kUntouched},
    {"{\"client\": \"\355\240\200\"}", O::crashed, C::not_json, kUntouched},  // UTF-8 surrogate
    {"{\"client\": \"\300\257\"}", O::crashed, C::not_json, kUntouched},      // overlong
    // invalid: `on` not in [True, False]
    {R"({"client": "x", "on": "true"})", O::rejected, C::wrong_type, kClientX},
    {R"({"client": "x", "on": null})", O::rejected, C::wrong_type, kClientX},
    {R"({"client": "x", "on": []})", O::rejected, C::wrong_type, kClientX},
    {R"({"client": "x", "on": {}})", O::rejected, C::wrong_type, kClientX},
    {R"({"client": "x", "on": 2})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "on": 0.5})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "on": NaN})", O::rejected, C::out_of_range, kClientX},
    // invalid: v < 0 or v > 1.0
    {R"({"client": "x", "brightness": 1.01})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "brightness": -0.01})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "brightness": 2})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "brightness": -1})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "brightness": 1e400})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "brightness": -1e400})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "brightness": Infinity})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "brightness": -Infinity})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "brightness": 100000000000000000000})", O::rejected, C::out_of_range,
     kClientX},
    {R"({"client": "x", "color": {"h": 1.5, "s": 0.5}})", O::rejected, C::out_of_range, kClientX},
    {R"({"client": "x", "color": {"h": 0.5, "s": -0.1}})", O::rejected, C::out_of_range, kClientX},
    // h is range-checked before s is looked up, so the missing s is never noticed
    {R"({"client": "x", "color": {"h": 2.0}})", O::rejected, C::out_of_range, kClientX},
    // TypeError: comparing or indexing the wrong type
    {R"({"client": "x", "brightness": "0.5"})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "brightness": null})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "brightness": [0.5]})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "brightness": {}})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "color": "red"})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "color": [0.1, 0.2]})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "color": null})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "color": 5})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "color": {"h": "0.5", "s": 0.5}})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "color": {"h": 0.5, "s": null}})", O::crashed, C::wrong_type, kClientX},
    {R"({"client": "x", "color": {"h": "x"}})", O::crashed, C::wrong_type, kClientX},
    // KeyError: new_color['h'] or new_color['s']
    {R"({"client": "x", "color": {"h": 0.5}})", O::crashed, C::color_incomplete, kClientX},
    {R"({"client": "x", "color": {"s": 0.5}})", O::crashed, C::color_incomplete, kClientX},
    {R"({"client": "x", "color": {}})", O::crashed, C::color_incomplete, kClientX},
    {R"({"client": "x", "color": {"s": 2.0}})", O::crashed, C::color_incomplete, kClientX},
    {R"({"client": "x", "color": {"s": "x"}})", O::crashed, C::color_incomplete, kClientX},
};

// Strict mode: everything is refused before anything is applied.
inline constexpr Refusal kStrictRefusals[] = {
    {"", O::rejected, C::not_json, kUntouched},
    {R"({"client": "x",})", O::rejected, C::not_json, kUntouched},
    {"\377", O::rejected, C::not_json, kUntouched},
    {"{\"client\": \"\303(\"}", O::rejected, C::not_json, kUntouched},
    {"\357\273\277{\"client\": \"x\"}", O::rejected, C::not_json, kUntouched},
    {R"([])", O::rejected, C::not_object, kUntouched},
    {R"(["client"])", O::rejected, C::not_object, kUntouched},
    {R"("client")", O::rejected, C::not_object, kUntouched},
    {R"("hello")", O::rejected, C::not_object, kUntouched},
    {R"(42)", O::rejected, C::not_object, kUntouched},
    {R"(null)", O::rejected, C::not_object, kUntouched},
    {R"(true)", O::rejected, C::not_object, kUntouched},
    {R"({})", O::rejected, C::missing_client, kUntouched},
    {R"({"on": true})", O::rejected, C::missing_client, kUntouched},
    {R"({"client": 42})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": null})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": ["a"]})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "on": 1})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "on": "true"})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "on": null})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "brightness": "0.5"})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "brightness": null})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "brightness": [0.5]})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "brightness": true})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "brightness": 1.01})", O::rejected, C::out_of_range, kUntouched},
    {R"({"client": "x", "brightness": -0.01})", O::rejected, C::out_of_range, kUntouched},
    {R"({"client": "x", "brightness": 2})", O::rejected, C::out_of_range, kUntouched},
    {R"({"client": "x", "brightness": NaN})", O::rejected, C::out_of_range, kUntouched},
    {R"({"client": "x", "brightness": Infinity})", O::rejected, C::out_of_range, kUntouched},
    {R"({"client": "x", "brightness": 1e400})", O::rejected, C::out_of_range, kUntouched},
    {R"({"client": "x", "color": "red"})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "color": {"h": 0.5}})", O::rejected, C::color_incomplete, kUntouched},
    {R"({"client": "x", "color": {"s": 0.5}})", O::rejected, C::color_incomplete, kUntouched},
    {R"({"client": "x", "color": {"h": 2.0}})", O::rejected, C::color_incomplete, kUntouched},
    {R"({"client": "x", "color": {"h": "x", "s": 0.5}})", O::rejected, C::wrong_type, kUntouched},
    {R"({"client": "x", "color": {"h": 0.5, "s": 1.5}})", O::rejected, C::out_of_range, kUntouched},
    // all-or-nothing: the valid fields before the bad one are not applied either
    {R"({"client": "x", "on": false, "color": {"h": 0.2, "s": 0.3}, "brightness": 7})", O::rejected,
     C::out_of_range, kUntouched},
    {R"({"client": "x", "on": false, "color": {"h": 0.2, "s": "y"}})", O::rejected, C::wrong_type,
     kUntouched},
};

}  // namespace lampi::model::test
