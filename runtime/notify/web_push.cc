#include "runtime/notify/web_push.h"

#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <memory>

#include "runtime/identity/base64url.h"
#include "runtime/identity/jwt.h"

namespace machi::notify {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
struct CtxFree {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BldFree {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct CipherFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), bytes(data), data.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

// A P-256 key from parameters (a public point, and optionally the private scalar).
Pkey key_from(std::string_view public_point, const BIGNUM* priv) {
  std::unique_ptr<OSSL_PARAM_BLD, BldFree> bld(OSSL_PARAM_BLD_new());
  OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, public_point.data(), public_point.size());
  if (priv) OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_PRIV_KEY, priv);
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  Pkey owned(key);
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> check(EVP_PKEY_CTX_new(key, nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;  // not on the curve
  return owned;
}

Pkey public_key(std::string_view point) {
  if (point.size() != 65 || point[0] != 0x04) return nullptr;
  return key_from(point, nullptr);
}

// The sender's key from a raw private scalar (tests), with its public point computed.
Pkey private_key(std::string_view scalar, std::string& public_point) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> priv(BN_bin2bn(bytes(scalar), static_cast<int>(scalar.size()), nullptr), BN_free);
  std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), EC_GROUP_free);
  std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> point(EC_POINT_new(group.get()), EC_POINT_free);
  if (!priv || !group || !point || EC_POINT_mul(group.get(), point.get(), priv.get(), nullptr, nullptr, nullptr) != 1) {
    return nullptr;
  }
  unsigned char out[65];
  if (EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, out, sizeof out, nullptr) != 65) {
    return nullptr;
  }
  public_point.assign(reinterpret_cast<const char*>(out), 65);
  return key_from(public_point, priv.get());
}

Pkey ephemeral_key(std::string& public_point) {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) return nullptr;
  unsigned char out[65];
  size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, sizeof out, &length) != 1 ||
      length != 65) {
    return nullptr;
  }
  public_point.assign(reinterpret_cast<const char*>(out), length);
  return key;
}

}  // namespace

Status check_subscription_keys(std::string_view p256dh, std::string_view auth) {
  if (auth.size() != 16) return Status::error("keys.auth must be 16 bytes (base64url)");
  if (!public_key(p256dh)) return Status::error("keys.p256dh must be an uncompressed P-256 point (65 bytes, base64url)");
  return Status::ok();
}

Result<std::string> encrypt_push(std::string_view plaintext, const PushEncryptionInputs& in) {
  if (plaintext.size() > kMaxPushPlaintext) {
    return Status::error("push payload of " + std::to_string(plaintext.size()) + " bytes exceeds " +
                         std::to_string(kMaxPushPlaintext));
  }
  if (Status s = check_subscription_keys(in.ua_public, in.auth); !s) return s;
  Pkey ua = public_key(in.ua_public);
  std::string as_public;
  Pkey as = in.as_private.empty() ? ephemeral_key(as_public) : private_key(in.as_private, as_public);
  if (!as) return Status::error("cannot make the sender's P-256 key");
  std::string salt(in.salt);
  if (salt.empty()) {
    salt.resize(16);
    RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), 16);
  }
  if (salt.size() != 16) return Status::error("salt must be 16 bytes");

  // ECDH shared secret.
  std::unique_ptr<EVP_PKEY_CTX, CtxFree> derive(EVP_PKEY_CTX_new(as.get(), nullptr));
  unsigned char shared[32];
  size_t shared_length = sizeof shared;
  if (!derive || EVP_PKEY_derive_init(derive.get()) != 1 ||
      EVP_PKEY_derive_set_peer(derive.get(), ua.get()) != 1 ||
      EVP_PKEY_derive(derive.get(), shared, &shared_length) != 1 || shared_length != 32) {
    return Status::error("ECDH with the subscription's key failed");
  }
  std::string ecdh(reinterpret_cast<const char*>(shared), 32);

  // RFC 8291 §3.4: IKM from the auth secret; RFC 8188 §2.2: CEK and nonce from the salt.
  std::string prk_key = hmac_sha256(in.auth, ecdh);
  std::string key_info = std::string("WebPush: info") + '\0' + std::string(in.ua_public) + as_public + '\x01';
  std::string ikm = hmac_sha256(prk_key, key_info);
  std::string prk = hmac_sha256(salt, ikm);
  std::string cek = hmac_sha256(prk, std::string("Content-Encoding: aes128gcm") + '\0' + '\x01').substr(0, 16);
  std::string nonce = hmac_sha256(prk, std::string("Content-Encoding: nonce") + '\0' + '\x01').substr(0, 12);

  // One record: plaintext ‖ 0x02 (last-record delimiter, no padding), AES-128-GCM.
  std::string record(plaintext);
  record.push_back('\x02');
  std::string sealed(record.size() + 16, '\0');
  std::unique_ptr<EVP_CIPHER_CTX, CipherFree> c(EVP_CIPHER_CTX_new());
  int n = 0, tail = 0;
  if (!c || EVP_EncryptInit_ex(c.get(), EVP_aes_128_gcm(), nullptr, bytes(cek), bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(c.get(), reinterpret_cast<unsigned char*>(sealed.data()), &n, bytes(record),
                        static_cast<int>(record.size())) != 1 ||
      EVP_EncryptFinal_ex(c.get(), reinterpret_cast<unsigned char*>(sealed.data()) + n, &tail) != 1 ||
      EVP_CIPHER_CTX_ctrl(c.get(), EVP_CTRL_GCM_GET_TAG, 16,
                          reinterpret_cast<unsigned char*>(sealed.data()) + record.size()) != 1) {
    return Status::error("AES-128-GCM failed");
  }
  std::string body = salt;
  body += std::string("\x00\x00\x10\x00", 4);  // rs = 4096, big-endian
  body.push_back(static_cast<char>(as_public.size()));
  body += as_public;
  body += sealed;
  return body;
}

Result<std::string> vapid_authorization(const identity::Es256Key& key, std::string_view origin,
                                        std::string_view subject, int64_t expires_unix_s) {
  boost::json::object claims{{"aud", origin}, {"exp", expires_unix_s}, {"sub", subject}};
  auto jwt = identity::sign_jwt(key, "", "JWT", claims);
  if (!jwt) return jwt.status();
  return "vapid t=" + jwt.value() + ", k=" + vapid_public_key(key);
}

std::string push_origin(std::string_view endpoint) {
  auto url = boost::urls::parse_absolute_uri(endpoint);
  return url ? "https://" + std::string(url->encoded_host_and_port()) : std::string();
}

std::string vapid_public_key(const identity::Es256Key& key) {
  std::string point = "\x04" + identity::base64url_decode(key.jwk_x()).value_or("") +
                      identity::base64url_decode(key.jwk_y()).value_or("");
  return identity::base64url_encode(point);
}

}  // namespace machi::notify
