#include "fleet/engine/private_key_decoder.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <utility>

namespace lampi::fleet {

PemKey first_private_key(std::string_view pem_text) {
  PemKey out;
  BIO* bio = BIO_new_mem_buf(pem_text.data(), static_cast<int>(pem_text.size()));
  if (!bio) return out;
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  while (PEM_read_bio(bio, &name, &header, &data, &length) == 1) {
    std::string_view n(name);
    if (n.ends_with("PRIVATE KEY")) {
      out.found = true;
      out.encrypted = n.find("ENCRYPTED") != n.npos ||
                      std::string_view(header).find("ENCRYPTED") != std::string_view::npos;
      out.der.assign(data, data + length);
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (out.found) break;
  }
  BIO_free(bio);
  ERR_clear_error();  // the end of the file
  return out;
}

PrivateKeyDecoder::PrivateKeyDecoder()
    : ctx_(OSSL_DECODER_CTX_new_for_pkey(&decoded_, "DER", nullptr, nullptr, EVP_PKEY_KEYPAIR,
                                         nullptr, nullptr)) {}

PrivateKeyDecoder::~PrivateKeyDecoder() {
  OSSL_DECODER_CTX_free(ctx_);
  EVP_PKEY_free(decoded_);
}

PrivateKey PrivateKeyDecoder::decode(std::span<const unsigned char> der) {
  if (!ctx_ || der.empty()) return nullptr;
  const unsigned char* data = der.data();
  std::size_t length = der.size();
  decoded_ = nullptr;
  if (OSSL_DECODER_from_data(ctx_, &data, &length) != 1) {
    EVP_PKEY_free(std::exchange(decoded_, nullptr));
    ERR_clear_error();
    return nullptr;
  }
  return PrivateKey(std::exchange(decoded_, nullptr));
}

PrivateKey PrivateKeyDecoder::load_pem_file(const char* path) {
  BIO* file = BIO_new_file(path, "r");
  if (!file) {
    ERR_clear_error();
    return nullptr;
  }
  // Key files are a few kB; 64 kB is far beyond any key and bounds a wrong file.
  std::vector<char> text(64 * 1024);
  int got = BIO_read(file, text.data(), static_cast<int>(text.size()));
  BIO_free(file);
  if (got <= 0) return nullptr;
  PemKey pem = first_private_key(std::string_view(text.data(), static_cast<std::size_t>(got)));
  if (!pem.found || pem.encrypted) return nullptr;
  return decode(pem.der);
}

}  // namespace lampi::fleet
