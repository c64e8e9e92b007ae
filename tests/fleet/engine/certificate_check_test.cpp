// Issue 12: every lamp's certificate and key checked before the first connect, each
// problem one message naming the lamp, the file and what is wrong. Real files, made with
// the openssl command line as the course makes them; no broker.
#include "fleet/engine/certificate_check.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/support/tls_fixture.hpp"

using namespace lampi;
namespace fs = std::filesystem;
using testing::lamp_id;
using testing::TlsFixture;

namespace {

// Three lamps with good certificates from the course CA, in the fixture's directory.
struct ThreeLamps {
  TlsFixture f;
  fleet::FleetConfig config = f.fleet_config(3);
  ThreeLamps() { f.make_lamp_certs(3); }

  fs::path cert(std::size_t lamp) const { return f.dir / (lamp_id(lamp) + "_broker.crt"); }
  fs::path key(std::size_t lamp) const { return f.dir / (lamp_id(lamp) + "_broker.key"); }
  std::vector<std::string> problems(const fleet::CertificateCheckOptions& o = {}) const {
    std::vector<std::string> out;
    for (const auto& p : fleet::check_certificates(config, o)) out.push_back(fleet::describe(p));
    return out;
  }
};

// For CAPTURE: one problem a line.
std::string lines(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += "\n" + p;
  return out;
}

bool contains(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

// The lamp and file named first, then what is wrong.
void check_one(const std::vector<std::string>& problems, std::size_t lamp, const fs::path& file,
               const std::string& what) {
  CAPTURE(lines(problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].starts_with("lamp " + lamp_id(lamp) + ": " + file.string() + ": "));
  CHECK(contains(problems[0], what));
}

void write(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

}  // namespace

TEST_CASE("certificate check: good certificates pass, and none configured means none checked") {
  ThreeLamps t;
  CHECK(t.problems().empty());
  t.config.tls.ca_file.clear();  // nothing to verify them against: the rest still holds
  CHECK(t.problems().empty());
  fs::remove(t.cert(0));
  t.config.tls.cert_file.clear();
  t.config.tls.key_file.clear();
  CHECK(t.problems().empty());
}

TEST_CASE("certificate check: a certificate from another CA names the CA it is not signed by") {
  ThreeLamps t;
  testing::make_cert(t.f.dir, lamp_id(1) + "_broker", lamp_id(1) + "_broker", "other_ca");
  const auto ca = (t.f.dir / "lampi_ca.crt").string();
  check_one(t.problems(), 1, t.cert(1),
            "is not signed by the CA in broker.tls.ca_file (" + ca +
                "), which the broker checks it against: unable to get local issuer certificate");
  // The broker's cafile may be another CA than the one that signed its own certificate.
  t.config.tls.client_ca_file = (t.f.dir / "other_ca.crt").string();
  auto problems = t.problems();
  CAPTURE(lines(problems));
  REQUIRE(problems.size() == 2);  // now lamps 0 and 2 are the odd ones out
  CHECK(problems[0].starts_with("lamp " + lamp_id(0) + ": "));
  CHECK(contains(problems[0], "is not signed by the CA in broker.tls.client_ca_file"));
}

TEST_CASE("certificate check: an expired certificate, and one not valid yet") {
  ThreeLamps t;
  const auto name = lamp_id(2) + "_broker";
  testing::make_dated_cert(t.f.dir, name, "lampi_ca", "20200101000000Z", "20200102000000Z");
  check_one(t.problems(), 2, t.cert(2), "expired on 2020-01-02 00:00:00 UTC");
  testing::make_dated_cert(t.f.dir, name, "lampi_ca", "20990101000000Z", "20990102000000Z");
  check_one(t.problems(), 2, t.cert(2), "is not valid until 2099-01-01 00:00:00 UTC");
  // Without a CA to verify against, validity is still checked.
  t.config.tls.ca_file.clear();
  check_one(t.problems(), 2, t.cert(2), "is not valid until 2099-01-01 00:00:00 UTC");
}

TEST_CASE("certificate check: validity is judged at the time given") {
  ThreeLamps t;
  fleet::CertificateCheckOptions in_2100;
  in_2100.now = 4102444800;  // 2100-01-01, long after the fixture's two days
  auto problems = t.problems(in_2100);
  CAPTURE(lines(problems));
  REQUIRE(problems.size() == 6);
  for (std::size_t lamp = 0; lamp < 3; ++lamp) {
    // The lamp's certificate, then the CA's, which has expired too.
    const std::string named = "lamp " + lamp_id(lamp) + ": " + t.cert(lamp).string() + ": ";
    CHECK(problems[2 * lamp].starts_with(named + "expired on "));
    CHECK(problems[2 * lamp + 1] ==
          named + "does not verify against the CA in broker.tls.ca_file (" +
              t.config.tls.ca_file +
              "), which the broker checks it against: certificate has expired (the CA "
              "certificate /CN=lampi_ca)");
  }
}

TEST_CASE("certificate check: a wrong CN is an error unless broker.tls.check_cn is false") {
  ThreeLamps t;
  testing::make_cert(t.f.dir, lamp_id(1) + "_broker", "kitchen_lamp", "lampi_ca");
  check_one(t.problems(), 1, t.cert(1),
            "has CN kitchen_lamp, not this lamp's " + lamp_id(1) +
                "_broker: a broker with use_identity_as_username would take the lamp for "
                "kitchen_lamp (broker.tls.check_cn: false allows any CN)");
  t.config.tls.check_cn = false;
  CHECK(t.problems().empty());
}

TEST_CASE("certificate check: missing, empty and non-PEM files") {
  ThreeLamps t;
  write(t.cert(0), "");
  check_one(t.problems(), 0, t.cert(0), "is empty; expected the lamp's PEM certificate");
  write(t.cert(0), "not a certificate\n");
  check_one(t.problems(), 0, t.cert(0), "is not a PEM certificate (no start line)");
  t.f.make_lamp_certs(1);  // lamp 0's afresh
  fs::remove(t.key(2));
  check_one(t.problems(), 2, t.key(2), "does not exist; expected the lamp's PEM private key");
  fs::create_directory(t.key(2));
  check_one(t.problems(), 2, t.key(2), "is not a file");
  fs::remove(t.key(2));
  fs::copy_file(t.cert(2), t.key(2));
  check_one(t.problems(), 2, t.key(2), "is not a PEM private key");
}

TEST_CASE("certificate check: a key that belongs to another certificate") {
  ThreeLamps t;
  fs::copy_file(t.key(0), t.key(1), fs::copy_options::overwrite_existing);
  check_one(t.problems(), 1, t.key(1), "is not the key of the certificate " + t.cert(1).string());
}

TEST_CASE("certificate check: two lamps with one certificate, one file or two copies") {
  ThreeLamps t;
  fs::copy_file(t.cert(0), t.cert(2), fs::copy_options::overwrite_existing);
  fs::copy_file(t.key(0), t.key(2), fs::copy_options::overwrite_existing);
  // Only the sharing is named: lamp 0's CN on lamp 2 is what sharing means.
  check_one(t.problems(), 2, t.cert(2),
            "is the same certificate as lamp " + lamp_id(0) + "'s (" + t.cert(0).string() +
                "); each lamp needs a certificate of its own");
  fs::remove(t.cert(2));
  fs::create_symlink(t.cert(0), t.cert(2));
  check_one(t.problems(), 2, t.cert(2),
            "is the same file as lamp " + lamp_id(0) + "'s (" + t.cert(0).string() + ")");
  // Sharing is wrong whatever the CNs: the broker sees one identity twice.
  t.config.tls.check_cn = false;
  check_one(t.problems(), 2, t.cert(2), "is the same file as lamp " + lamp_id(0));
}

TEST_CASE("certificate check: an unreadable CA is one problem of its own") {
  ThreeLamps t;
  write(t.f.dir / "empty_ca.crt", "");
  t.config.tls.ca_file = (t.f.dir / "empty_ca.crt").string();
  auto problems = t.problems();
  CAPTURE(lines(problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].starts_with(t.config.tls.ca_file + ": is broker.tls.ca_file but cannot be "
                                                       "read as PEM CA certificates"));
}

TEST_CASE("certificate check: every lamp, in lamp order, whatever the number of threads") {
  ThreeLamps t;
  t.config.lamps = 2000;  // lamps 3 and up have no files
  fleet::CertificateCheckOptions one, four;
  one.threads = 1;
  four.threads = 4;
  auto serial = t.problems(one);
  CHECK(serial.size() == 2 * 1997);  // a certificate and a key each
  CHECK(serial.front().starts_with("lamp " + lamp_id(3) + ": " + t.cert(3).string()));
  CHECK(serial[1].starts_with("lamp " + lamp_id(3) + ": " + t.key(3).string()));
  CHECK(serial.back().starts_with("lamp " + lamp_id(1999) + ": " + t.key(1999).string()));
  CHECK(t.problems(four) == serial);
}

TEST_CASE("certificate report: what failed, the first ten problems and how many more") {
  std::vector<fleet::CertificateProblem> problems;
  for (std::size_t i = 0; i < 30; ++i)
    problems.push_back({model::device_id_at(model::kDefaultDeviceIdBase, i / 2),
                        "/certs/" + std::to_string(i), "is empty"});
  auto report = fleet::certificate_report(problems, 100);
  CAPTURE(lines(report));
  REQUIRE(report.size() == 12);
  CHECK(report[0] == "broker.tls: 30 problems with the certificates of 15 of the 100 lamps; "
                    "nothing was started:");
  CHECK(report[1] == "  lamp 1e0000000000: /certs/0: is empty");
  CHECK(report[10] == "  lamp 1e0000000004: /certs/9: is empty");
  CHECK(report[11] == "  ...and 20 more");
  CHECK(fleet::certificate_report({}, 100).empty());
  report = fleet::certificate_report({problems[0]}, 1);
  CHECK(report.size() == 2);
  CHECK(report[0].starts_with("broker.tls: 1 problem with the certificates of 1 of the 1 lamps"));
}

TEST_CASE("certificate check: keys in the PEM forms openssl writes, and one with a passphrase") {
  ThreeLamps t;
  fleet::CertificateCheckOptions one;
  one.threads = 1;  // one key decoder for every lamp: a bad key must not spoil the next
  const auto k = [&](std::size_t lamp) { return t.key(lamp).string(); };
  // Lamp 0: a passphrase; lamp 1: `ecparam -genkey` output, the curve before the key, in
  // SEC 1 form; lamp 2: PKCS #8 as `req -newkey` wrote it (left as it is).
  testing::run_quietly("openssl pkey -in " + k(0) + " -aes128 -passout pass:secret -out " +
                       k(0) + ".enc && mv " + k(0) + ".enc " + k(0));
  testing::run_quietly("sh -c 'openssl ecparam -name prime256v1 -out " + k(1) +
                       ".pem && openssl ec -in " + k(1) + " -outform PEM >> " + k(1) +
                       ".pem && mv " + k(1) + ".pem " + k(1) + "'");
  check_one(t.problems(one), 0, t.key(0),
            "is encrypted with a passphrase; expected an unencrypted PEM private key");
  write(t.key(0), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  check_one(t.problems(one), 0, t.key(0), "is not a PEM private key (");
  write(t.key(0), "");
  check_one(t.problems(one), 0, t.key(0), "is empty; expected the lamp's PEM private key");
}
