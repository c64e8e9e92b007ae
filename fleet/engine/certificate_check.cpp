#include "fleet/engine/certificate_check.hpp"

#include <fcntl.h>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

#include "fleet/config/config_loader.hpp"
#include "fleet/engine/private_key_decoder.hpp"

namespace lampi::fleet {

namespace {

template <auto Free>
struct Freer {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using X509Ptr = std::unique_ptr<X509, Freer<&X509_free>>;
using BioPtr = std::unique_ptr<BIO, Freer<&BIO_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Freer<&X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Freer<&X509_STORE_CTX_free>>;
struct ChainFreer {
  void operator()(STACK_OF(X509) * chain) const { sk_X509_pop_free(chain, X509_free); }
};
using ChainPtr = std::unique_ptr<STACK_OF(X509), ChainFreer>;

// Far larger than any certificate or key: a file this big is something else.
constexpr off_t kMaxPemBytes = 1 << 20;

// OpenSSL's reason for the last failure on this thread, and a clean queue for the next.
std::string openssl_reason() {
  unsigned long code = ERR_peek_last_error();
  const char* reason = code ? ERR_reason_error_string(code) : nullptr;
  ERR_clear_error();
  return reason ? reason : "unknown OpenSSL error";
}

// What a failed open() means for a file a lamp needs; thread-safe, unlike strerror().
std::string open_problem(int error, const char* expected) {
  switch (error) {
    case ENOENT:
      return fmt::format("does not exist; expected {}", expected);
    case ENOTDIR:
      return fmt::format("does not exist (part of its path is not a directory); expected {}",
                         expected);
    case EACCES:
      return "is not readable by this user";
    default:
      return fmt::format("cannot be opened: {}", strerrordesc_np(error));
  }
}

struct FileIdentity {
  dev_t device = 0;
  ino_t inode = 0;
  friend auto operator<=>(const FileIdentity&, const FileIdentity&) = default;
};

struct FileBytes {
  std::string bytes;
  FileIdentity identity;
  std::string problem;  // empty: read
};

// The whole of a small regular file. O_NONBLOCK so a FIFO put where a certificate should
// be cannot hang the check.
FileBytes read_pem_file(const std::string& path, const char* expected) {
  FileBytes out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    out.problem = open_problem(errno, expected);
    return out;
  }
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    out.problem = fmt::format("is not a file; expected {}", expected);
    return out;
  }
  out.identity = {st.st_dev, st.st_ino};
  if (st.st_size == 0) {
    out.problem = fmt::format("is empty; expected {}", expected);
  } else if (st.st_size > kMaxPemBytes) {
    out.problem = fmt::format("is {} bytes, too large for {}", st.st_size, expected);
  } else {
    out.bytes.resize(static_cast<std::size_t>(st.st_size));
    std::size_t got = 0;
    while (got < out.bytes.size()) {
      ssize_t n = ::read(fd, out.bytes.data() + got, out.bytes.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    out.bytes.resize(got);
    if (got == 0) out.problem = fmt::format("cannot be read; expected {}", expected);
  }
  ::close(fd);
  return out;
}

BioPtr memory_bio(const std::string& bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

std::string utc(const ASN1_TIME* t) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return "an unreadable date";
  return fmt::format("{:%Y-%m-%d %H:%M:%S} UTC", tm);
}

// The first CN of the subject, as mosquitto's use_identity_as_username takes it.
std::optional<std::string> common_name(X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return std::nullopt;
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return std::string();
  std::string cn(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return cn;
}

// Errors that mean "another CA signed this", as opposed to a chain that is otherwise bad.
bool wrong_issuer(int error) {
  switch (error) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return true;
    default:
      return false;
  }
}

using Fingerprint = std::array<unsigned char, EVP_MAX_MD_SIZE>;

// One lamp's findings, before the fleet-wide comparison of certificates.
struct LampFindings {
  std::vector<CertificateProblem> problems;
  std::optional<std::size_t> cn_problem;  // its index in problems
  std::optional<FileIdentity> cert_file;  // the certificate file, when it could be read
  std::optional<Fingerprint> fingerprint;  // the certificate, when it parsed
};

// The CA a lamp's certificate must verify against.
struct ClientCa {
  std::string key;   // broker.tls.client_ca_file or broker.tls.ca_file
  std::string file;  // its path
};

// A store holding the CA file's certificates; null when the file holds none.
StorePtr load_store(const std::string& file) {
  StorePtr store(X509_STORE_new());
  if (store && X509_STORE_load_file(store.get(), file.c_str()) == 1) return store;
  return nullptr;
}

class LampChecker {
 public:
  LampChecker(const FleetConfig& config, const ClientCa* ca, std::time_t now)
      : config_(config),
        ca_(ca),
        now_(now),
        // A store of its own: lookups in a shared one take its lock, lamp after lamp.
        store_(ca ? load_store(ca->file) : nullptr),
        verify_(X509_STORE_CTX_new()) {}
  LampChecker(const LampChecker&) = delete;
  LampChecker& operator=(const LampChecker&) = delete;

  LampFindings check(std::size_t index) {
    LampFindings out;
    const model::DeviceId id = model::device_id_at(config_.device_id_base, index);
    const std::string cert_path = expand_id_template(config_.tls.cert_file, id);
    const std::string key_path = expand_id_template(config_.tls.key_file, id);
    auto problem = [&](const std::string& file, std::string what) {
      out.problems.push_back({id, file, std::move(what)});
    };

    X509Ptr cert;
    ChainPtr chain(sk_X509_new_null());
    FileBytes cert_bytes = read_pem_file(cert_path, "the lamp's PEM certificate");
    if (!cert_bytes.problem.empty()) {
      problem(cert_path, cert_bytes.problem);
    } else {
      out.cert_file = cert_bytes.identity;
      BioPtr bio = memory_bio(cert_bytes.bytes);
      cert.reset(PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr));
      if (!cert) {
        problem(cert_path, fmt::format("is not a PEM certificate ({})", openssl_reason()));
      } else {
        // The rest of the file is the chain the handshake sends with it.
        while (X509* more = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
          sk_X509_push(chain.get(), more);
        ERR_clear_error();  // the end of the file
        check_certificate(id, cert_path, cert.get(), chain.get(), out);
      }
    }

    FileBytes key_bytes = read_pem_file(key_path, "the lamp's PEM private key");
    if (!key_bytes.problem.empty()) {
      problem(key_path, key_bytes.problem);
      return out;
    }
    // Never asked for a passphrase: nobody is there to type it.
    PemKey pem = first_private_key(key_bytes.bytes);
    PrivateKey key = pem.found && !pem.encrypted ? keys_.decode(pem.der) : nullptr;
    if (!pem.found) {
      problem(key_path, "is not a PEM private key (no \"PRIVATE KEY\" block)");
    } else if (pem.encrypted) {
      problem(key_path,
              "is encrypted with a passphrase; expected an unencrypted PEM private key");
    } else if (!key) {
      problem(key_path, fmt::format("is not a PEM private key ({})", openssl_reason()));
    } else if (cert && X509_check_private_key(cert.get(), key.get()) != 1) {
      ERR_clear_error();
      problem(key_path, fmt::format("is not the key of the certificate {}", cert_path));
    }
    return out;
  }

 private:
  void check_certificate(model::DeviceId id, const std::string& path, X509* cert,
                         STACK_OF(X509) * chain, LampFindings& out) {
    auto problem = [&](std::string what) { out.problems.push_back({id, path, std::move(what)}); };
    Fingerprint fingerprint{};
    unsigned int length = 0;
    if (X509_digest(cert, EVP_sha256(), fingerprint.data(), &length) == 1)
      out.fingerprint = fingerprint;
    ERR_clear_error();

    if (config_.tls.check_cn) {
      const std::string expected = id.str() + "_broker";
      auto cn = common_name(cert);
      if (cn != expected) {
        out.cn_problem = out.problems.size();
        const char* relax = "broker.tls.check_cn: false allows any CN";
        problem(cn ? fmt::format("has CN {}, not this lamp's {}: a broker with "
                                 "use_identity_as_username would take the lamp for {} ({})",
                                 *cn, expected, *cn, relax)
                   : fmt::format("has no CN; expected {} ({})", expected, relax));
      }
    }

    bool time_reported = false;
    if (X509_cmp_time(X509_get0_notAfter(cert), &now_) < 0) {
      problem(fmt::format("expired on {}", utc(X509_get0_notAfter(cert))));
      time_reported = true;
    } else if (X509_cmp_time(X509_get0_notBefore(cert), &now_) > 0) {
      problem(fmt::format("is not valid until {}", utc(X509_get0_notBefore(cert))));
      time_reported = true;
    }

    if (!ca_ || !store_ || !verify_) return;
    // As the broker verifies a client: the chain up to its CA, for TLS client use.
    X509_STORE_CTX* ctx = verify_.get();
    if (X509_STORE_CTX_init(ctx, store_.get(), cert, chain) != 1) {
      problem(fmt::format("could not be verified ({})", openssl_reason()));
      return;
    }
    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT);
    X509_STORE_CTX_set_time(ctx, 0, now_);
    if (X509_verify_cert(ctx) != 1) {
      int error = X509_STORE_CTX_get_error(ctx);
      bool leaf_time = X509_STORE_CTX_get_error_depth(ctx) == 0 &&
                       (error == X509_V_ERR_CERT_HAS_EXPIRED ||
                        error == X509_V_ERR_CERT_NOT_YET_VALID);
      if (!(leaf_time && time_reported)) {
        const bool own_key = ca_->key == "broker.tls.client_ca_file";
        // Past the lamp's own certificate, say whose: an expired CA fails every lamp.
        std::string whose;
        X509* at = X509_STORE_CTX_get_current_cert(ctx);
        if (X509_STORE_CTX_get_error_depth(ctx) > 0 && at) {
          char name[256];
          X509_NAME_oneline(X509_get_subject_name(at), name, sizeof name);
          whose = fmt::format(" (the CA certificate {})", name);
        }
        problem(fmt::format(
            "{} the CA in {} ({}), which the broker checks it against: {}{}{}",
            wrong_issuer(error) ? "is not signed by" : "does not verify against", ca_->key,
            ca_->file, X509_verify_cert_error_string(error), whose,
            own_key || !wrong_issuer(error)
                ? ""
                : " (if the broker checks the lamps against another CA, set "
                  "broker.tls.client_ca_file)"));
      }
    }
    ERR_clear_error();
    X509_STORE_CTX_cleanup(ctx);
  }

  const FleetConfig& config_;
  const ClientCa* ca_;
  std::time_t now_;
  StorePtr store_;
  StoreCtxPtr verify_;
  // One per thread, used for every lamp, so keys cost no more than certificates.
  PrivateKeyDecoder keys_;
};

unsigned threads_for(std::size_t lamps, unsigned asked) {
  if (asked > 0) return static_cast<unsigned>(std::min<std::size_t>(asked, lamps));
  // A lamp takes a few hundred microseconds: a thread pays for itself from a few hundred.
  std::size_t useful = std::max<std::size_t>(1, lamps / 256);
  return static_cast<unsigned>(
      std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), useful));
}

}  // namespace

std::string describe(const CertificateProblem& p) {
  if (!p.lamp) return fmt::format("{}: {}", p.file, p.problem);
  return fmt::format("lamp {}: {}: {}", p.lamp->str(), p.file, p.problem);
}

std::vector<CertificateProblem> check_certificates(const FleetConfig& config,
                                                   const CertificateCheckOptions& options) {
  std::vector<CertificateProblem> problems;
  if (config.tls.cert_file.empty()) return problems;

  std::optional<ClientCa> ca;
  const bool own = !config.tls.client_ca_file.empty();
  if (own || !config.tls.ca_file.empty()) {
    ca.emplace();
    ca->key = own ? "broker.tls.client_ca_file" : "broker.tls.ca_file";
    ca->file = own ? config.tls.client_ca_file : config.tls.ca_file;
    if (!load_store(ca->file)) {
      problems.push_back({std::nullopt, ca->file,
                          fmt::format("is {} but cannot be read as PEM CA certificates ({})",
                                      ca->key, openssl_reason())});
      ca.reset();  // the lamps are still checked, their CA aside
    }
  }

  // A shard checks the certificates of its own lamps only.
  const LampSlice slice = shard_slice(config);
  const std::size_t lamps = slice.count;
  std::vector<LampFindings> findings(lamps);
  const unsigned threads = threads_for(lamps, options.threads);
  auto work = [&](std::size_t begin, std::size_t end) {
    LampChecker checker(config, ca ? &*ca : nullptr, options.now);
    for (std::size_t i = begin; i < end; ++i) findings[i] = checker.check(slice.first + i);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t)
    pool.emplace_back(work, lamps * t / threads, lamps * (t + 1) / threads);
  work(0, lamps / threads);
  for (auto& thread : pool) thread.join();

  // Two lamps with one certificate: the broker sees one identity twice. The first lamp
  // to have it keeps it; every later one is named, with the lamp it copies.
  std::map<FileIdentity, std::size_t> by_file;
  std::map<Fingerprint, std::size_t> by_content;
  for (std::size_t i = 0; i < lamps; ++i) {
    LampFindings& f = findings[i];
    std::optional<std::string> shared;
    auto owner = [&](std::size_t j) {
      auto id = model::device_id_at(config.device_id_base, slice.first + j);
      return fmt::format("lamp {}'s ({})", id.str(), expand_id_template(config.tls.cert_file, id));
    };
    if (f.cert_file) {
      auto [at, fresh] = by_file.emplace(*f.cert_file, i);
      if (!fresh)
        shared = fmt::format("is the same file as {}; each lamp needs a certificate of its own",
                             owner(at->second));
    }
    if (f.fingerprint) {
      auto [at, fresh] = by_content.emplace(*f.fingerprint, i);
      if (!fresh && !shared)
        shared = fmt::format(
            "is the same certificate as {}; each lamp needs a certificate of its own",
            owner(at->second));
    }
    if (shared) {
      // Its CN is the other lamp's: that is what the sharing already says.
      if (f.cn_problem)
        f.problems.erase(f.problems.begin() + static_cast<std::ptrdiff_t>(*f.cn_problem));
      auto id = model::device_id_at(config.device_id_base, slice.first + i);
      f.problems.insert(f.problems.begin(),
                        {id, expand_id_template(config.tls.cert_file, id), *shared});
    }
    for (auto& p : f.problems) problems.push_back(std::move(p));
  }
  return problems;
}

std::vector<std::string> certificate_report(const std::vector<CertificateProblem>& problems,
                                            std::size_t lamps, std::size_t shown) {
  std::vector<std::string> lines;
  if (problems.empty()) return lines;
  std::set<std::uint64_t> bad_lamps;
  bool relative = false;
  for (const auto& p : problems) {
    if (p.lamp) bad_lamps.insert(p.lamp->value);
    relative = relative || std::filesystem::path(p.file).is_relative();
  }
  std::string where;
  if (relative) {
    std::error_code ec;
    where = fmt::format("; relative paths are from {}", std::filesystem::current_path(ec).string());
  }
  lines.push_back(fmt::format(
      "broker.tls: {} problem{} with the certificates of {} of the {} lamps{}; nothing was "
      "started:",
      problems.size(), problems.size() == 1 ? "" : "s", bad_lamps.size(), lamps, where));
  for (std::size_t i = 0; i < problems.size() && i < shown; ++i)
    lines.push_back("  " + describe(problems[i]));
  if (problems.size() > shown)
    lines.push_back(fmt::format("  ...and {} more", problems.size() - shown));
  return lines;
}

}  // namespace lampi::fleet
