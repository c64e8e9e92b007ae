// Per-lamp certificates (fleet/certs): what chapter 13 makes with the openssl CLI, made in
// process, and held to the same preflight check every TLS run passes first.
#include "fleet/certs/lamp_certificates.hpp"

#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "fleet/engine/certificate_check.hpp"
#include "tests/support/read_text.hpp"
#include "tests/support/temp_dir.hpp"

using namespace lampi::fleet;
using lampi::testing::read_text;
using lampi::testing::TempDir;
namespace fs = std::filesystem;

namespace {

FleetConfig tls_fleet(const fs::path& dir, std::size_t lamps) {
  FleetConfig c;
  c.lamps = lamps;
  c.broker = BrokerTarget{true, "localhost", 8883};
  c.tls.ca_file = (dir / "ca.crt").string();
  c.tls.cert_file = (dir / "{id}_broker.crt").string();
  c.tls.key_file = (dir / "{id}_broker.key").string();
  return c;
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 0777;
}

std::string load_error(const fs::path& cert, const fs::path& key) {
  try {
    CertificateAuthority::load(cert, key);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "(loaded)";
}

}  // namespace

TEST_CASE("every lamp's certificate passes the TLS preflight: its CN, its key, signed by the CA") {
  TempDir dir;
  auto ca = CertificateAuthority::create("test CA", std::chrono::days(2));
  ca.save(dir.path / "ca.crt", dir.path / "ca.key");
  issue_lamp_certificates(ca, {.device_id_base = lampi::model::kDefaultDeviceIdBase,
                               .lamps = {0, 25},
                               .dir = dir.path,
                               .threads = 2});
  FleetConfig c = tls_fleet(dir.path, 25);
  CHECK(check_certificates(c).empty());
  // The same CA, read back from its files, signs more that pass too.
  auto again = CertificateAuthority::load(dir.path / "ca.crt", dir.path / "ca.key");
  CHECK(again.cert_pem() == ca.cert_pem());
  issue_lamp_certificates(
      again,
      {.device_id_base = lampi::model::kDefaultDeviceIdBase, .lamps = {25, 5}, .dir = dir.path});
  CHECK(check_certificates(tls_fleet(dir.path, 30)).empty());
  // Keys are the lamp's secret: only its owner reads them.
  CHECK(mode_of(dir.path / "1e0000000003_broker.key") == 0600);
  CHECK(mode_of(dir.path / "1e0000000003_broker.crt") == 0644);
  CHECK(mode_of(dir.path / "ca.key") == 0600);
  // A certificate for TLS client authentication, not a CA.
  const std::string pem = read_text(dir.path / "1e0000000003_broker.crt");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  REQUIRE(cert != nullptr);
  CHECK(X509_check_ca(cert) == 0);
  CHECK((X509_get_extended_key_usage(cert) & XKU_SSL_CLIENT) != 0);
  X509_free(cert);
}

TEST_CASE("a shard's certificates are its own slice of the device IDs") {
  TempDir dir;
  auto ca = CertificateAuthority::create("test CA", std::chrono::days(2));
  FleetConfig c;
  c.lamps = 10;
  c.shard = {.index = 1, .count = 3};
  issue_lamp_certificates(
      ca, {.device_id_base = 0xabc000000000, .lamps = shard_slice(c), .dir = dir.path});
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(dir.path)) files.insert(e.path().filename());
  CHECK(files == std::set<std::string>{"abc000000004_broker.crt", "abc000000004_broker.key",
                                       "abc000000005_broker.crt", "abc000000005_broker.key",
                                       "abc000000006_broker.crt", "abc000000006_broker.key"});
}

TEST_CASE("a file that is there, or a link, is never written over") {
  TempDir dir;
  auto ca = CertificateAuthority::create("test CA", std::chrono::days(2));
  const LampCertificatePlan plan{.device_id_base = 0x100, .lamps = {0, 3}, .dir = dir.path};
  std::ofstream(dir.path / "000000000101_broker.key") << "a key in use\n";
  fs::create_symlink("/etc/passwd", dir.path / "000000000102_broker.crt");
  try {
    issue_lamp_certificates(ca, plan);
    FAIL("wrote over a file");
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    CAPTURE(what);
    CHECK((what.find("000000000101_broker.key is there already") != std::string::npos ||
           what.find("000000000102_broker.crt is there already") != std::string::npos));
  }
  CHECK(read_text(dir.path / "000000000101_broker.key") == "a key in use\n");
  CHECK(fs::is_symlink(dir.path / "000000000102_broker.crt"));
}

TEST_CASE("a CA that cannot sign is refused by name") {
  TempDir dir;
  auto ca = CertificateAuthority::create("test CA", std::chrono::days(2));
  ca.save(dir.path / "ca.crt", dir.path / "ca.key");
  auto other = CertificateAuthority::create("other CA", std::chrono::days(2));
  other.save(dir.path / "other.crt", dir.path / "other.key");
  issue_lamp_certificates(ca, {.device_id_base = 0, .lamps = {0, 1}, .dir = dir.path});
  const auto lamp_cert = dir.path / "000000000000_broker.crt";
  const auto lamp_key = dir.path / "000000000000_broker.key";

  CHECK(load_error(dir.path / "ca.crt", dir.path / "other.key").find("is not the key of") !=
        std::string::npos);
  CHECK(load_error(lamp_cert, lamp_key).find("cannot sign certificates (it is not a CA") !=
        std::string::npos);
  CHECK(load_error(dir.path / "missing.crt", dir.path / "ca.key")
            .starts_with("the CA certificate " + (dir.path / "missing.crt").string() +
                         ": cannot open it"));
  CHECK(load_error(dir.path / "ca.key", dir.path / "ca.key").find("is not a PEM certificate") !=
        std::string::npos);
  // A key under a passphrase is refused rather than asked for.
  REQUIRE(std::system(("openssl pkey -in " + (dir.path / "ca.key").string() +
                       " -aes256 -passout pass:secret -out " + (dir.path / "locked.key").string() +
                       " 2>/dev/null")
                          .c_str()) == 0);
  CHECK(load_error(dir.path / "ca.crt", dir.path / "locked.key")
            .find("is not an unencrypted PEM private key") != std::string::npos);
}
