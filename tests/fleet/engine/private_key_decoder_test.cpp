// One decoder for every lamp's key, whatever the key file's shape: the handshake and the
// certificate check both load keys through it.
#include "fleet/engine/private_key_decoder.hpp"

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <cstdlib>
#include <string>

#include "tests/support/read_text.hpp"
#include "tests/support/temp_dir.hpp"

using namespace lampi;
using lampi::testing::TempDir;

namespace {

std::string openssl(const TempDir& dir, const std::string& args, const std::string& out) {
  std::string path = (dir.path / out).string();
  std::string cmd = "openssl " + args + " -out " + path + " >/dev/null 2>&1";
  INFO(cmd);
  REQUIRE(std::system(cmd.c_str()) == 0);
  return path;
}

}  // namespace

TEST_CASE("private keys: PKCS #8 and traditional, EC and RSA, all through one decoder") {
  TempDir dir;
  fleet::PrivateKeyDecoder keys;
  // `ecparam -genkey` writes the curve's parameters ahead of the key.
  auto ec_traditional = openssl(dir, "ecparam -name prime256v1 -genkey", "ec.key");
  auto ec_pkcs8 = openssl(dir, "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256", "ec8.key");
  auto rsa = openssl(dir, "genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048", "rsa.key");
  for (int round = 0; round < 2; ++round) {  // the same decoder, used again
    for (const auto& [path, type] :
         {std::pair{ec_traditional, EVP_PKEY_EC}, std::pair{ec_pkcs8, EVP_PKEY_EC},
          std::pair{rsa, EVP_PKEY_RSA}}) {
      CAPTURE(path);
      auto key = keys.load_pem_file(path.c_str());
      REQUIRE(key);
      CHECK(EVP_PKEY_get_base_id(key.get()) == type);
    }
  }
}

TEST_CASE("private keys: encrypted, missing, empty or not a key load as none") {
  TempDir dir;
  fleet::PrivateKeyDecoder keys;
  auto encrypted = openssl(dir,
                           "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 "
                           "-pass pass:secret",
                           "encrypted.key");
  CHECK(fleet::first_private_key(lampi::testing::read_text(encrypted)).encrypted);
  CHECK_FALSE(keys.load_pem_file(encrypted.c_str()));
  CHECK_FALSE(keys.load_pem_file((dir.path / "absent.key").c_str()));
  CHECK_FALSE(keys.load_pem_file(dir.write("empty.key", "").c_str()));
  CHECK_FALSE(keys.load_pem_file(dir.write("text.key", "not a key\n").c_str()));
  // A PEM block named like a key whose body is not one.
  CHECK_FALSE(keys.load_pem_file(
      dir.write("bogus.key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
          .c_str()));
  // The decoder still works after all that.
  auto good = openssl(dir, "genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256", "good.key");
  CHECK(keys.load_pem_file(good.c_str()));
}
