// Es256Key: a P-256 key pair (or public key only) for ES256 JWS, on OpenSSL 3. Signatures are
// the JOSE form: 64 bytes, r || s, each 32 bytes big-endian (RFC 7518 §3.4).
// Thread-safety: const methods may be called from any thread at once.
#pragma once

#include <openssl/evp.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace machi::identity {

class Es256Key {
 public:
  static Result<Es256Key> generate();
  static Result<Es256Key> load_pem(const std::filesystem::path& file);  // private key
  // A public key from a JWK's x and y (base64url, 32 bytes each).
  static Result<Es256Key> from_public_jwk(std::string_view x, std::string_view y);

  // Writes the private key as PEM, readable by the owner only (0600).
  Status save_pem(const std::filesystem::path& file) const;

  // 64-byte r||s signature of SHA-256(data). Needs the private key.
  Result<std::string> sign(std::string_view data) const;
  // Refuses r or s out of range (zero, or not below the group order) before asking OpenSSL.
  bool verify(std::string_view data, std::string_view signature) const;

  // {"kty":"EC","crv":"P-256","x":…,"y":…} members, base64url.
  std::string jwk_x() const;
  std::string jwk_y() const;

 private:
  struct Free {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  };
  explicit Es256Key(EVP_PKEY* key) : key_(key, Free()) {}
  std::string coordinate(const char* name) const;

  std::shared_ptr<EVP_PKEY> key_;
};

}  // namespace machi::identity
