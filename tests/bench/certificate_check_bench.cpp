// How long the certificate check takes before the first connect (docs/benchmarks.md):
// makes a CA and N lamps' certificates and keys in a temporary directory (with OpenSSL's
// library, as the command line would take minutes for ten thousand), then times
// check_certificates() on one thread and on every core.
//
//   certificate_check_bench [lamps=10000] [ec|rsa] [--keep]
//
// --keep leaves the directory (printed) for timing `lampi-fleet validate` on it, with the
// CA's key and a broker certificate for localhost (broker.crt, broker.key) beside the
// lamps', so a mosquitto TLS listener can serve them (tests/bench/tls_scale_bench.py).
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "fleet/engine/certificate_check.hpp"

using namespace lampi;
namespace fs = std::filesystem;

namespace {

EVP_PKEY* new_key(bool rsa) {
  return rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
}

X509* new_cert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key,
               long serial, const char* subject_alt_name = nullptr) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 2 * 86400);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert, key);
  if (!issuer) {  // the CA: a v3 certificate is a CA only when it says so
    X509_EXTENSION* ca = X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints,
                                             "critical,CA:TRUE");
    X509_add_ext(cert, ca, -1);
    X509_EXTENSION_free(ca);
  }
  if (subject_alt_name) {
    X509_EXTENSION* san =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, subject_alt_name);
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
  }
  X509_sign(cert, issuer_key, EVP_sha256());
  return cert;
}

void write_cert(const fs::path& path, X509* cert) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
}

void write_key(const fs::path& path, EVP_PKEY* key) {
  FILE* f = std::fopen(path.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
}

double seconds_of(const fleet::FleetConfig& config, unsigned threads, std::size_t& problems) {
  fleet::CertificateCheckOptions options;
  options.threads = threads;
  auto start = std::chrono::steady_clock::now();
  auto found = fleet::check_certificates(config, options);
  problems = found.size();
  if (!found.empty()) std::printf("  first problem: %s\n", fleet::describe(found[0]).c_str());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t lamps = argc > 1 ? std::stoul(argv[1]) : 10000;
  const bool rsa = argc > 2 && std::string(argv[2]) == "rsa";
  const bool keep = argc > 3 && std::string(argv[3]) == "--keep";
  char tmpl[] = "/tmp/lampi-certbench-XXXXXX";
  const fs::path dir = mkdtemp(tmpl);

  EVP_PKEY* ca_key = new_key(rsa);
  X509* ca = new_cert("lampi_ca", ca_key, nullptr, ca_key, 1);
  write_cert(dir / "lampi_ca.crt", ca);
  // One key for every lamp: the check reads and parses each lamp's file all the same,
  // and making ten thousand RSA keys would take longer than the check itself.
  EVP_PKEY* lamp_key = new_key(rsa);
  for (std::size_t i = 0; i < lamps; ++i) {
    auto id = model::device_id_at(model::kDefaultDeviceIdBase, i).str();
    X509* cert = new_cert(id + "_broker", lamp_key, ca, ca_key, static_cast<long>(i + 2));
    write_cert(dir / (id + "_broker.crt"), cert);
    write_key(dir / (id + "_broker.key"), lamp_key);
    X509_free(cert);
  }

  fleet::FleetConfig config;
  config.lamps = lamps;
  config.broker = fleet::BrokerTarget{true, "localhost", 8883};
  config.tls.ca_file = (dir / "lampi_ca.crt").string();
  config.tls.cert_file = (dir / "{id}_broker.crt").string();
  config.tls.key_file = (dir / "{id}_broker.key").string();

  std::size_t problems = 0;
  seconds_of(config, 0, problems);  // once to warm the page cache, as a second run would find it
  std::printf("%zu lamps, %s keys, %u cores\n", lamps, rsa ? "RSA-2048" : "P-256",
              std::thread::hardware_concurrency());
  for (unsigned threads : {1u, 0u}) {
    double s = seconds_of(config, threads, problems);
    std::printf("  %-16s %.3f s (%.1f us per lamp), %zu problems\n",
                threads == 1 ? "one thread" : "default threads", s, s * 1e6 / double(lamps),
                problems);
  }
  if (keep) {
    write_key(dir / "lampi_ca.key", ca_key);
    EVP_PKEY* broker_key = new_key(rsa);
    X509* broker = new_cert("localhost", broker_key, ca, ca_key, 1,
                            "DNS:localhost,IP:127.0.0.1");
    write_cert(dir / "broker.crt", broker);
    write_key(dir / "broker.key", broker_key);
    X509_free(broker);
    EVP_PKEY_free(broker_key);
    std::printf("kept %s\n", dir.c_str());
  } else {
    fs::remove_all(dir);
  }
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  EVP_PKEY_free(lamp_key);
  return problems == 0 ? 0 : 1;
}
