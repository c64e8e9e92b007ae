// Private keys from PEM files with one OpenSSL decoder kept for every key. OpenSSL 3.0
// spends ~0.6 ms setting a decoder up and ~0.05 ms decoding a key with it, so building one
// per key (as PEM_read_bio_PrivateKey and SSL_use_PrivateKey_file do) would be most of a
// lamp's certificate check and a fifth of its handshake. Not thread-safe: one per thread.
#pragma once

#include <openssl/decoder.h>
#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string_view>
#include <vector>

namespace lampi::fleet {

// The first PEM block of a key file that holds a private key (a file from `openssl
// ecparam -genkey` starts with the curve's parameters), as DER.
struct PemKey {
  std::vector<unsigned char> der;
  bool found = false;
  bool encrypted = false;  // PKCS #8 encrypted, or a traditional key with Proc-Type ENCRYPTED
};
PemKey first_private_key(std::string_view pem_text);

struct PrivateKeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PrivateKey = std::unique_ptr<EVP_PKEY, PrivateKeyFree>;

class PrivateKeyDecoder {
 public:
  PrivateKeyDecoder();
  ~PrivateKeyDecoder();
  PrivateKeyDecoder(const PrivateKeyDecoder&) = delete;
  PrivateKeyDecoder& operator=(const PrivateKeyDecoder&) = delete;

  // The key in `der` (any type OpenSSL knows), or null when it is not one.
  PrivateKey decode(std::span<const unsigned char> der);
  // The first private key of the PEM file at `path`, or null when it cannot be read, holds
  // none, or holds only an encrypted one (nobody is there to type a passphrase).
  PrivateKey load_pem_file(const char* path);

 private:
  EVP_PKEY* decoded_ = nullptr;  // where the decoder puts each key it decodes
  OSSL_DECODER_CTX* ctx_ = nullptr;
};

}  // namespace lampi::fleet
