#include "fleet/certs/lamp_certificates.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>

#include "firmware_model/device_id.hpp"
#include "fleet/config/bounded_file.hpp"
#include "fleet/config/config_loader.hpp"

namespace lampi::fleet {

namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

std::string openssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "no reason given";
  std::array<char, 256> text{};
  ERR_error_string_n(e, text.data(), text.size());
  return text.data();
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + " (" + openssl_error() + ")");
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

std::string read_file(const std::filesystem::path& path, std::string_view what) {
  std::optional<std::string> text;
  try {
    text = read_at_most(path, 1 << 20);  // a CA certificate or key is a few kilobytes
  } catch (const std::system_error& e) {
    throw std::runtime_error(
        fmt::format("{} {}: cannot open it: {}", what, path.string(), e.code().message()));
  }
  if (!text)
    throw std::runtime_error(
        fmt::format("{} {}: is larger than 1 MiB; expected a PEM file", what, path.string()));
  return *text;
}

EVP_PKEY* new_p256_key() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (key == nullptr) fail("could not make a P-256 key");
  return key;
}

// One X.509 v3 extension, by its openssl.cnf spelling ("critical,CA:FALSE").
void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr || X509_add_ext(cert, ext, -1) != 1) {
    X509_EXTENSION_free(ext);
    fail(fmt::format("could not add the extension {}", value));
  }
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`, its serial 128 random bits, valid from an hour ago.
X509* new_certificate(std::string_view cn, EVP_PKEY* key, std::chrono::days valid) {
  X509* cert = X509_new();
  if (cert == nullptr) fail("out of memory");
  BIGNUM* serial = BN_new();
  bool ok = serial != nullptr && BN_rand(serial, 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
            BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) != nullptr;
  BN_free(serial);
  X509_NAME* name = X509_get_subject_name(cert);
  ok =
      ok && X509_set_version(cert, 2) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(cert), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(cert),
                      std::chrono::duration_cast<std::chrono::seconds>(valid).count()) != nullptr &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.data()),
                                 static_cast<int>(cn.size()), -1, 0) == 1 &&
      X509_set_pubkey(cert, key) == 1;
  if (!ok) {
    X509_free(cert);
    fail(fmt::format("could not make a certificate for CN {}", cn));
  }
  return cert;
}

std::string cert_pem_of(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("could not write a certificate");
  return bio_text(bio.get());
}

std::string key_pem_of(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("could not write a key");
  return bio_text(bio.get());
}

// Creates `path` with `mode`, refusing one that is there (or a link there).
void write_new_file(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      throw std::runtime_error(
          fmt::format("{} is there already, and a certificate or key is never replaced: use a new "
                      "folder, or remove the old files first",
                      path.string()));
    throw std::runtime_error(
        fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
  }
  // A half-written key would block every later try (nothing is replaced): remove it.
  auto fail_write = [&](int err) {
    ::unlink(path.c_str());
    throw std::runtime_error(fmt::format("cannot write {}: {}", path.string(), std::strerror(err)));
  };
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : ENOSPC;
      ::close(fd);
      fail_write(err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) fail_write(errno);
}

// There, as a file or as a link (links are never followed, nor written through).
bool is_there(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::exists(std::filesystem::symlink_status(p, ec));
}

}  // namespace

void CertificateAuthority::Free::operator()(x509_st* p) const {
  X509_free(p);
}
void CertificateAuthority::Free::operator()(evp_pkey_st* p) const {
  EVP_PKEY_free(p);
}

CertificateAuthority::CertificateAuthority(std::unique_ptr<x509_st, Free> cert,
                                           std::unique_ptr<evp_pkey_st, Free> key)
    : cert_(std::move(cert)), key_(std::move(key)) {}
CertificateAuthority::CertificateAuthority(CertificateAuthority&&) noexcept = default;
CertificateAuthority& CertificateAuthority::operator=(CertificateAuthority&&) noexcept = default;
CertificateAuthority::~CertificateAuthority() = default;

CertificateAuthority CertificateAuthority::load(const std::filesystem::path& cert_path,
                                                const std::filesystem::path& key_path) {
  const std::string cert_text = read_file(cert_path, "the CA certificate");
  const std::string key_text = read_file(key_path, "the CA key");
  BioPtr cert_bio(BIO_new_mem_buf(cert_text.data(), static_cast<int>(cert_text.size())));
  std::unique_ptr<x509_st, Free> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!cert)
    fail(fmt::format("the CA certificate {} is not a PEM certificate", cert_path.string()));
  BioPtr key_bio(BIO_new_mem_buf(key_text.data(), static_cast<int>(key_text.size())));
  // An empty passphrase: a key that needs one is refused, not prompted for.
  std::unique_ptr<evp_pkey_st, Free> key(PEM_read_bio_PrivateKey(
      key_bio.get(), nullptr, [](char*, int, int, void*) { return 0; }, nullptr));
  if (!key)
    fail(fmt::format("the CA key {} is not an unencrypted PEM private key", key_path.string()));
  if (X509_check_private_key(cert.get(), key.get()) != 1)
    fail(fmt::format("the CA key {} is not the key of {}", key_path.string(), cert_path.string()));
  if (X509_check_ca(cert.get()) == 0)
    throw std::runtime_error(fmt::format(
        "{} cannot sign certificates (it is not a CA: basicConstraints CA:TRUE, or a keyUsage "
        "with keyCertSign, is missing): give the CA that signs the lamps' certificates, such "
        "as the course's lampi_ca.crt",
        cert_path.string()));
  return CertificateAuthority(std::move(cert), std::move(key));
}

CertificateAuthority CertificateAuthority::create(std::string_view common_name,
                                                  std::chrono::days valid) {
  std::unique_ptr<evp_pkey_st, Free> key(new_p256_key());
  std::unique_ptr<x509_st, Free> cert(new_certificate(common_name, key.get(), valid));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get()));
  add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("could not sign the new CA");
  return CertificateAuthority(std::move(cert), std::move(key));
}

std::string CertificateAuthority::cert_pem() const {
  return cert_pem_of(cert_.get());
}
std::string CertificateAuthority::key_pem() const {
  return key_pem_of(key_.get());
}

void CertificateAuthority::save(const std::filesystem::path& cert,
                                const std::filesystem::path& key) const {
  write_new_file(key, key_pem(), 0600);
  write_new_file(cert, cert_pem(), 0644);
}

IssuedCertificate CertificateAuthority::issue(std::string_view common_name,
                                              std::chrono::days valid) const {
  std::unique_ptr<evp_pkey_st, Free> key(new_p256_key());
  std::unique_ptr<x509_st, Free> cert(new_certificate(common_name, key.get(), valid));
  X509_set_issuer_name(cert.get(), X509_get_subject_name(cert_.get()));
  add_extension(cert.get(), cert_.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), cert_.get(), NID_key_usage, "critical,digitalSignature");
  add_extension(cert.get(), cert_.get(), NID_ext_key_usage, "clientAuth");
  add_extension(cert.get(), cert_.get(), NID_subject_key_identifier, "hash");
  add_extension(cert.get(), cert_.get(), NID_authority_key_identifier, "keyid");
  if (X509_sign(cert.get(), key_.get(), EVP_sha256()) == 0)
    fail(fmt::format("could not sign the certificate for CN {}", common_name));
  return {cert_pem_of(cert.get()), key_pem_of(key.get())};
}

std::size_t issue_lamp_certificates(const CertificateAuthority& ca,
                                    const LampCertificatePlan& plan) {
  unsigned threads =
      plan.threads ? plan.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::clamp<std::size_t>(plan.lamps.count, 1, threads));
  std::atomic<std::size_t> next{0}, kept{0};
  std::mutex error_mutex;
  std::string first_error;
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (std::size_t n = next++; n < plan.lamps.count && !failed; n = next++) {
      const model::DeviceId id = model::device_id_at(plan.device_id_base, plan.lamps.first + n);
      const auto key = plan.dir / expand_id_template(plan.key_name, id);
      const auto cert = plan.dir / expand_id_template(plan.cert_name, id);
      try {
        if (plan.keep_existing) {
          if (is_there(key) && is_there(cert)) {
            ++kept;
            continue;
          }
          // Half a lamp, from a run cut short between its two files: made again whole.
          std::error_code ec;
          std::filesystem::remove(key, ec);
          std::filesystem::remove(cert, ec);
        }
        IssuedCertificate issued = ca.issue(id.str() + "_broker", plan.valid);
        // The key first: a lamp with a certificate but no key is a half-written lamp.
        write_new_file(key, issued.key_pem, 0600);
        write_new_file(cert, issued.cert_pem, 0644);
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mutex);
        if (!failed.exchange(true)) first_error = e.what();
      }
    }
  };
  {
    std::vector<std::jthread> pool;  // joined however this block is left
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
  }
  if (failed) throw std::runtime_error(first_error);
  return kept;
}

}  // namespace lampi::fleet
