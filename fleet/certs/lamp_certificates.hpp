// Client certificates for a fleet, the way chapter 13 of the course makes one per lamp:
// CN <id>_broker, signed by the course CA (or a new CA, for a test stack), in the layout
// the TLS config's {id} templates expect. Keys are P-256: a fleet of 100,000 lamps gets
// its keys in seconds, where RSA would take many minutes.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fleet/config/fleet_config.hpp"

struct x509_st;
struct evp_pkey_st;

namespace lampi::fleet {

struct IssuedCertificate {
  std::string cert_pem;
  std::string key_pem;  // unencrypted PKCS #8, as the lamps' key files are
};

class CertificateAuthority {
 public:
  // The course CA's certificate and its key, PEM. Throws std::runtime_error naming the
  // file and what is wrong (unreadable, not PEM, a key that is not the certificate's, not
  // a CA).
  static CertificateAuthority load(const std::filesystem::path& cert,
                                   const std::filesystem::path& key);
  // A new self-signed CA, for a stack that has none yet (a test broker).
  static CertificateAuthority create(std::string_view common_name, std::chrono::days valid);

  CertificateAuthority(CertificateAuthority&&) noexcept;
  CertificateAuthority& operator=(CertificateAuthority&&) noexcept;
  ~CertificateAuthority();

  std::string cert_pem() const;
  std::string key_pem() const;
  // Writes the key (0600) and the certificate (0644), never over a file that is there.
  void save(const std::filesystem::path& cert, const std::filesystem::path& key) const;
  // A client certificate (TLS client auth) for `common_name` and its new key, valid from an
  // hour ago (clocks drift) for `valid`. Safe to call from several threads at once.
  IssuedCertificate issue(std::string_view common_name, std::chrono::days valid) const;

 private:
  struct Free {
    void operator()(x509_st* p) const;
    void operator()(evp_pkey_st* p) const;
  };
  CertificateAuthority(std::unique_ptr<x509_st, Free> cert, std::unique_ptr<evp_pkey_st, Free> key);
  std::unique_ptr<x509_st, Free> cert_;
  std::unique_ptr<evp_pkey_st, Free> key_;
};

struct LampCertificatePlan {
  std::uint64_t device_id_base = 0;
  LampSlice lamps;            // fleet lamp indices, as a shard holds them
  std::filesystem::path dir;  // must exist
  // File names in `dir`, {id} the device ID: what --cert-template and --key-template
  // then name as DIR/{id}_broker.crt and DIR/{id}_broker.key.
  std::string cert_name = "{id}_broker.crt";
  std::string key_name = "{id}_broker.key";
  std::chrono::days valid{825};
  unsigned threads = 0;  // 0: one per core
  // Keep a lamp whose certificate and key are both there (an init container run again on
  // its emptyDir); make again one that has only one of them.
  bool keep_existing = false;
};

// Writes every lamp's key (mode 0600), then its certificate (0644). Never replaces a file
// that is there (it might be a key in use; but see keep_existing), nor writes through a
// link: throws std::runtime_error naming the first file it would not or could not write.
// Returns how many lamps it kept as they were.
std::size_t issue_lamp_certificates(const CertificateAuthority& ca,
                                    const LampCertificatePlan& plan);

}  // namespace lampi::fleet
