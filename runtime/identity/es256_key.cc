#include "runtime/identity/es256_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "runtime/identity/base64url.h"

namespace machi::identity {
namespace {

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

// The order n of P-256: valid signatures have 0 < r, s < n.
const BIGNUM* p256_order() {
  static BIGNUM* order = [] {
    BIGNUM* n = nullptr;
    BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
    return n;
  }();
  return order;
}

}  // namespace

Result<Es256Key> Es256Key::generate() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  if (!key) return Status::error("cannot generate a P-256 key");
  return Es256Key(key);
}

Result<Es256Key> Es256Key::load_pem(const std::filesystem::path& file) {
  FILE* f = std::fopen(file.c_str(), "r");
  if (!f) return Status::error("key " + file.string() + ": cannot open");
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!key) return Status::error("key " + file.string() + ": not a PEM private key");
  char group[64] = {0};
  size_t length = 0;
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
      !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                      &length) ||
      std::string(group) != "prime256v1") {
    EVP_PKEY_free(key);
    return Status::error("key " + file.string() + ": not a P-256 key");
  }
  return Es256Key(key);
}

Result<Es256Key> Es256Key::from_public_jwk(std::string_view x_text, std::string_view y_text) {
  auto x = base64url_decode(x_text);
  auto y = base64url_decode(y_text);
  if (!x || !y || x->size() != 32 || y->size() != 32) {
    return Status::error("JWK x and y must be 32-byte base64url values");
  }
  std::string point = "\x04" + *x + *y;  // uncompressed SEC1 point
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
  OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size());
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = ctx && EVP_PKEY_fromdata_init(ctx) > 0 &&
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) > 0;
  EVP_PKEY_CTX_free(ctx);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  if (ok) {  // the point must be on the curve
    EVP_PKEY_CTX* check = EVP_PKEY_CTX_new(key, nullptr);
    ok = check && EVP_PKEY_public_check(check) > 0;
    EVP_PKEY_CTX_free(check);
  }
  if (!ok) {
    EVP_PKEY_free(key);
    return Status::error("JWK is not a valid P-256 public key");
  }
  return Es256Key(key);
}

Status Es256Key::save_pem(const std::filesystem::path& file) const {
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  std::filesystem::path temporary = file.string() + ".tmp";
  mode_t old = ::umask(077);
  FILE* f = std::fopen(temporary.c_str(), "w");
  ::umask(old);
  if (!f) return Status::error("key " + file.string() + ": cannot write");
  bool ok = PEM_write_PrivateKey(f, key_.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  ok = (std::fflush(f) == 0) && ok;
  ok = (::fsync(fileno(f)) == 0) && ok;
  std::fclose(f);
  if (ok) std::filesystem::rename(temporary, file, ec);
  if (!ok || ec) return Status::error("key " + file.string() + ": cannot write");
  return Status::ok();
}

Result<std::string> Es256Key::sign(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t length = 0;
  std::string der;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &length,
                           reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (ok) {
    der.resize(length);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &length,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    der.resize(length);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return Status::error("signing failed");
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (!sig) return Status::error("signing produced no ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig, &r, &s);
  std::string raw(64, '\0');
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

bool Es256Key::verify(std::string_view data, std::string_view signature) const {
  if (signature.size() != 64) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  Bn r(BN_bin2bn(bytes, 32, nullptr));
  Bn s(BN_bin2bn(bytes + 32, 32, nullptr));
  if (!r || !s || BN_is_zero(r.get()) || BN_is_zero(s.get()) ||
      BN_cmp(r.get(), p256_order()) >= 0 || BN_cmp(s.get(), p256_order()) >= 0) {
    return false;  // r = s = 0 and friends ("psychic signatures") never reach the verifier
  }
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, r.release(), s.release());
  unsigned char* der = nullptr;
  int der_length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (der_length <= 0) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_.get()) == 1 &&
            EVP_DigestVerify(ctx, der, static_cast<size_t>(der_length),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

std::string Es256Key::coordinate(const char* name) const {
  BIGNUM* value = nullptr;
  if (!EVP_PKEY_get_bn_param(key_.get(), name, &value)) return "";
  std::string raw(32, '\0');
  BN_bn2binpad(value, reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_free(value);
  return base64url_encode(raw);
}

std::string Es256Key::jwk_x() const { return coordinate(OSSL_PKEY_PARAM_EC_PUB_X); }
std::string Es256Key::jwk_y() const { return coordinate(OSSL_PKEY_PARAM_EC_PUB_Y); }

}  // namespace machi::identity
