// The value parsers the YAML loader and the command line share.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "fleet/config/config_loader.hpp"

using namespace lampi::fleet;
using lampi::model::Profile;

namespace {

// The problem text of the ConfigError f throws; fails the test if it throws none.
template <class F>
std::string problem_of(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    CHECK(e.key().empty());  // the caller adds the key
    return e.problem();
  }
  FAIL("no ConfigError thrown");
  return {};
}

double seconds(std::string_view text) {
  return parse_duration(text).count();
}

}  // namespace

TEST_CASE("parse_duration reads units, compounds and bare seconds") {
  CHECK(seconds("500ms") == doctest::Approx(0.5));
  CHECK(seconds("5s") == 5.0);
  CHECK(seconds("10m") == 600.0);
  CHECK(seconds("1h30m") == 5400.0);
  CHECK(seconds("1h 30m 15s") == 5415.0);
  CHECK(seconds("2.5s") == 2.5);
  CHECK(seconds("250us") == doctest::Approx(0.00025));
  CHECK(seconds("90") == 90.0);
  CHECK(seconds("0.25") == 0.25);
  CHECK(seconds(" 8h ") == 28800.0);
  CHECK(seconds("0") == 0.0);
}

TEST_CASE("parse_duration rejects malformed text and says what it accepts") {
  CHECK(problem_of([] { parse_duration(""); }).find("empty duration") != std::string::npos);
  auto unit = problem_of([] { parse_duration("5x"); });
  CHECK(unit.find("unknown unit \"x\"") != std::string::npos);
  CHECK(unit.find("expected a number with a unit us, ms, s, m or h") != std::string::npos);
  CHECK(problem_of([] { parse_duration("-5s"); }).find("negative") != std::string::npos);
  CHECK(problem_of([] { parse_duration("1h30"); }).find("a number without a unit") !=
        std::string::npos);
  CHECK(problem_of([] { parse_duration("30m1h"); }).find("largest to smallest") !=
        std::string::npos);
  CHECK(problem_of([] { parse_duration("5s5s"); }).find("largest to smallest") !=
        std::string::npos);
  CHECK(problem_of([] { parse_duration("1:30"); }).find("is not a duration") != std::string::npos);
  CHECK(problem_of([] { parse_duration("ten minutes"); }).find("is not a duration") !=
        std::string::npos);
  CHECK(problem_of([] { parse_duration("1e3"); }).find("unknown unit \"e\"") != std::string::npos);
  CHECK(problem_of([] { parse_duration("inf"); }).find("is not a duration") != std::string::npos);
  CHECK(problem_of([] { parse_duration("9000h"); }).find("longer than a year") !=
        std::string::npos);
}

TEST_CASE("format_duration writes what parse_duration reads back") {
  using S = std::chrono::duration<double>;
  CHECK(format_duration(S(0)) == "0s");
  CHECK(format_duration(S(0.5)) == "500ms");
  CHECK(format_duration(S(5400)) == "1h30m");
  CHECK(format_duration(S(90)) == "1m30s");
  CHECK(format_duration(S(2.5)) == "2.5s");
  CHECK(format_duration(S(0.00025)) == "250us");
  for (double s : {0.0, 0.001, 0.5, 1.5, 2.25, 59.0, 61.0, 3600.0, 28800.0, 5415.0, 0.000001})
    CHECK(parse_duration(format_duration(S(s))).count() == doctest::Approx(s));
}

TEST_CASE("parse_broker_url: schemes, default ports, IPv6 and names") {
  auto plain = parse_broker_url("mqtt://127.0.0.1:1883");
  CHECK_FALSE(plain.tls);
  CHECK(plain.host == "127.0.0.1");
  CHECK(plain.port == 1883);
  CHECK(parse_broker_url("mqtt://broker.local").port == 1883);
  auto tls = parse_broker_url("mqtts://lampi.example.com");
  CHECK(tls.tls);
  CHECK(tls.host == "lampi.example.com");
  CHECK(tls.port == 8883);
  auto v6 = parse_broker_url("mqtt://[::1]:1884");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 1884);
  CHECK(parse_broker_url("mqtts://[2001:db8::5]").port == 8883);
  CHECK(parse_broker_url("MQTT://Host-1.example.com:50001/").port == 50001);
  CHECK(format_broker_url(v6) == "mqtt://[::1]:1884");
  CHECK(format_broker_url(tls) == "mqtts://lampi.example.com:8883");
}

TEST_CASE("parse_broker_url rejects malformed URLs with the reason") {
  auto check = [](std::string_view url, std::string_view reason) {
    CAPTURE(url);
    auto p = problem_of([&] { parse_broker_url(url); });
    CHECK(p.find(reason) != std::string::npos);
    CHECK(p.find(std::string(url)) != std::string::npos);
  };
  check("127.0.0.1:1883", "has no scheme; expected mqtt://host[:port] or mqtts://host[:port]");
  check("http://broker:80", "unsupported scheme \"http\"");
  check("mqtt://", "has no host");
  check("mqtt://:1883", "has no host");
  check("mqtt://broker:0", "is not a number from 1 to 65535");
  check("mqtt://broker:70000", "is not a number from 1 to 65535");
  check("mqtt://broker:port", "is not a number from 1 to 65535");
  check("mqtt://::1:1883", "IPv6 addresses go in brackets");
  check("mqtt://[::1", "no closing ']'");
  check("mqtt://[not-v6]:1883", "is not an IPv6 address");
  check("mqtt://user:secret@broker", "holds credentials; set broker.username and broker.password");
  check("mqtt://broker:1883/lamps", "has a path");
  check("mqtt://256.1.1.1", "is not an IPv4 address or a host name");
  check("mqtt://bad host", "is not an IPv4 address or a host name");
}

TEST_CASE("parse_source_addresses expands ranges in order") {
  auto one = parse_source_addresses("127.0.0.2");
  REQUIRE(one.size() == 1);
  CHECK(one[0].value == 0x7f000002);
  CHECK(one[0].str() == "127.0.0.2");
  auto range = parse_source_addresses("127.0.0.2-127.0.0.9");
  REQUIRE(range.size() == 8);
  CHECK(range.front().str() == "127.0.0.2");
  CHECK(range.back().str() == "127.0.0.9");
  auto carry = parse_source_addresses("10.0.0.254 - 10.0.1.1");
  REQUIRE(carry.size() == 4);
  CHECK(carry[1].str() == "10.0.0.255");
  CHECK(carry[2].str() == "10.0.1.0");
  CHECK(parse_source_addresses("127.0.0.0-127.0.255.255").size() == 65536);
  CHECK(parse_source_addresses("0.0.0.0-0.0.0.1")[0].str() == "0.0.0.0");
  CHECK(parse_source_addresses("255.255.255.255")[0].str() == "255.255.255.255");
  CHECK(Ipv4Address{1} < Ipv4Address{2});
}

TEST_CASE("parse_source_addresses rejects bad addresses and ranges") {
  auto bad = [](std::string entry, std::string_view reason) {
    CAPTURE(entry);
    CHECK(problem_of([&] { parse_source_addresses(entry); }).find(reason) != std::string::npos);
  };
  const char* expected =
      "expected an IPv4 address like 127.0.0.2 or a range like 127.0.0.2-127.0.0.9";
  bad("127.0.0.256", expected);
  bad("127.0.0", expected);
  bad("127.0.0.1.5", expected);
  bad("127.0.0.02", expected);
  bad("::1", expected);
  bad("localhost", expected);
  bad("127.0.0.2-", expected);
  bad("127.0.0.9-127.0.0.2", "runs backwards; write the lower address first");
  bad("10.0.0.0-10.1.0.0", "covers 65537 addresses; a range may cover at most 65536");
}

TEST_CASE("profiles by name, and profile mixes") {
  CHECK(parse_profile("idle") == Profile::idle);
  CHECK(parse_profile("seed-worst-case") == Profile::seed_worst_case);
  CHECK(parse_profile("touch-drag") == Profile::touch_drag);
  CHECK(parse_profile("bluetooth") == Profile::bluetooth);
  for (auto p : {Profile::idle, Profile::seed_worst_case, Profile::touch_drag, Profile::bluetooth})
    CHECK(parse_profile(profile_name(p)) == p);
  auto unknown = problem_of([] { parse_profile("touch_drg"); });
  CHECK(unknown ==
        "unknown profile \"touch_drg\"; expected one of idle, seed-worst-case, touch-drag, "
        "bluetooth; did you mean touch-drag?");

  auto single = parse_profile_mix("touch-drag");
  REQUIRE(single.size() == 1);
  CHECK(single[0].profile == Profile::touch_drag);
  CHECK(single[0].percent == 100.0);
  auto mix = parse_profile_mix("touch-drag:80, idle:20");
  REQUIRE(mix.size() == 2);
  CHECK(mix[0].profile == Profile::touch_drag);
  CHECK(mix[0].percent == 80.0);
  CHECK(mix[1].profile == Profile::idle);
  CHECK(mix[1].percent == 20.0);
  auto even = parse_profile_mix("idle,touch-drag,bluetooth");
  REQUIRE(even.size() == 3);
  CHECK(even[2].percent == doctest::Approx(100.0 / 3));
  CHECK(parse_profile_mix("seed-worst-case:100").size() == 1);
}

TEST_CASE("parse_profile_mix rejects bad mixes with the reason") {
  auto bad = [](std::string_view mix, std::string_view reason) {
    CAPTURE(mix);
    CHECK(problem_of([&] { parse_profile_mix(mix); }).find(reason) != std::string::npos);
  };
  bad("", "empty profile mix");
  bad("touch-drag:80,idle:10", "adds up to 90; expected 100");
  bad("touch-drag:80,idle", "give all or none");
  bad("idle:50,idle:50", "names idle twice");
  bad("idel:100", "unknown profile \"idel\"");
  bad("idle:lots", "is not a percentage from 0 to 100");
  bad("idle:150", "is not a percentage from 0 to 100");
  bad("idle:100,", "has an empty entry");
}

TEST_CASE("a ProfileMix is valid or is not made, the error naming the profile at fault") {
  auto refused = [](std::vector<ProfileShare> shares) {
    try {
      ProfileMix mix(std::move(shares));
    } catch (const ConfigError& e) {
      return e.key() + ": " + e.problem();
    }
    FAIL("the mix was accepted");
    return std::string();
  };
  CHECK(refused({}) == ": empty; expected at least one profile, e.g. touch-drag: 100");
  CHECK(refused({{Profile::idle, 150}, {Profile::touch_drag, -50}}) ==
        "idle: must be a percentage from 0 to 100; got 150");
  CHECK(refused({{Profile::idle, 50}, {Profile::idle, 50}}) == "idle: listed twice");
  CHECK(refused({{Profile::idle, 80}, {Profile::bluetooth, 10}}) ==
        ": shares add up to 90; expected 100");
  CHECK(refused({{Profile::idle, std::nan("")}}).starts_with("idle: must be a percentage"));

  ProfileMix mix{{Profile::idle, 33.3}, {Profile::touch_drag, 33.3}, {Profile::bluetooth, 33.4}};
  REQUIRE(mix.size() == 3);
  CHECK(mix[2].profile == Profile::bluetooth);
  CHECK(mix.shares().back().percent == 33.4);
  // The command line reaches the same rules, worded in its own syntax.
  CHECK(problem_of([] { parse_profile_mix("idle:60,idle:40"); }) ==
        "profile mix \"idle:60,idle:40\" names idle twice");
  CHECK(problem_of([] { parse_profile_mix("idle:60,touch-drag:30"); }) ==
        "profile mix \"idle:60,touch-drag:30\" adds up to 90; expected 100");
  CHECK(problem_of([] { parse_profile_mix("idle:150"); }) ==
        "profile mix \"idle:150\": \"150\" is not a percentage from 0 to 100");
}

TEST_CASE("parse_listen_address") {
  auto a = parse_listen_address("127.0.0.1:9464");
  CHECK(a.host == "127.0.0.1");
  CHECK(a.port == 9464);
  CHECK(parse_listen_address("0.0.0.0:0").port == 0);
  CHECK(parse_listen_address("[::1]:9464").host == "::1");
  CHECK(problem_of([] { parse_listen_address("9464"); }).find("has no port") != std::string::npos);
  CHECK(problem_of([] { parse_listen_address("localhost:9464"); }).find("numeric address") !=
        std::string::npos);
  CHECK(problem_of([] { parse_listen_address("127.0.0.1:99999"); }).find("0 to 65535") !=
        std::string::npos);
  for (auto text : {"127.0.0.1:9464", "0.0.0.0:0", "[::1]:9464", "[2001:db8::5]:80"})
    CHECK(format_listen_address(parse_listen_address(text)) == text);
}

TEST_CASE("parse_metrics_listen: an address, or \"\" for none") {
  CHECK(parse_metrics_listen("127.0.0.1:9464") == ListenAddress{"127.0.0.1", 9464});
  CHECK_FALSE(parse_metrics_listen("").has_value());
  auto p = problem_of([] { parse_metrics_listen("localhost"); });
  CHECK(p.find("has no port") != std::string::npos);
  CHECK(p.ends_with(", or \"\" to disable metrics"));
}

TEST_CASE("expand_id_template and closest_match") {
  lampi::model::DeviceId id{0x1e000000002aULL};
  CHECK(expand_id_template("certs/{id}_broker.crt", id) == "certs/1e000000002a_broker.crt");
  CHECK(expand_id_template("{id}/{id}.key", id) == "1e000000002a/1e000000002a.key");
  CHECK(expand_id_template("plain.crt", id) == "plain.crt");

  constexpr std::array<std::string_view, 3> known{"hatch_rate", "max_in_flight",
                                                  "source_addresses"};
  CHECK(closest_match("hatch-rate", known) == "hatch_rate");
  CHECK(closest_match("hatchrate", known) == "hatch_rate");
  CHECK(closest_match("max_in_fligth", known) == "max_in_flight");
  CHECK(closest_match("threads", known).empty());
}

TEST_CASE("ConfigError composes source, key, problem and location") {
  ConfigError e("config.yaml", "lamps", "must be from 1 to 1000000; got 0", 3, 8);
  CHECK(std::string(e.what()) ==
        "config.yaml: lamps: must be from 1 to 1000000; got 0 (line 3, column 8)");
  CHECK(std::string(ConfigError("bad").what()) == "bad");
  auto moved = ConfigError("bad value").with_context("command line", "--duration");
  CHECK(std::string(moved.what()) == "command line: --duration: bad value");
  CHECK(moved.key() == "--duration");
}

TEST_CASE("excerpt and quote_value show short values whole, and cut long ones short") {
  CHECK(kExcerptChars == 60);
  CHECK(excerpt("5x") == "5x");
  CHECK(quote_value("5x") == "\"5x\"");
  CHECK(quote_value("") == "\"\"");
  const std::string sixty(60, 'a');
  CHECK(excerpt(sixty) == sixty);
  CHECK(excerpt(sixty + "b") == sixty + "…(61 bytes)");
  CHECK(quote_value(sixty + "b") == "\"" + sixty + "…\" (61 bytes)");
  CHECK(excerpt(sixty + "b", 61) == sixty + "b");
  // Characters, not bytes: a cut never splits one.
  std::string accents;
  for (int i = 0; i < 100; ++i) accents += "é";
  std::string sixty_accents;
  for (int i = 0; i < 60; ++i) sixty_accents += "é";
  CHECK(excerpt(accents) == sixty_accents + "…(200 bytes)");
  // A message stays on one line whatever the value holds.
  CHECK(excerpt("a\nb\tc\x01") == "a\\nb\\tc\\x01");
  // The parsers quote through it.
  const std::string huge(1 << 20, 'x');
  auto duration = problem_of([&] { parse_duration(huge); });
  CHECK(
      duration.starts_with("\"" + std::string(60, 'x') + "…\" (1048576 bytes) is not a duration"));
  CHECK(problem_of([&] { parse_profile_mix(huge); }).size() < 300);
  CHECK(problem_of([&] { parse_broker_url(huge); }).size() < 300);
  CHECK(problem_of([&] { parse_listen_address(huge); }).size() < 300);
  CHECK(problem_of([&] { parse_source_addresses(huge); }).size() < 300);
}
