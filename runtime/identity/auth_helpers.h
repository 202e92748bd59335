// Internal to runtime/identity: small helpers the account API files share (JSON answers, body
// parsing, random tokens, hashing). Not part of any public interface.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "runtime/http/http_message.h"
#include "runtime/identity/auth_api.h"
#include "runtime/identity/base64url.h"
#include "runtime/storage/file_digest.h"

namespace machi::identity {

namespace detail {

namespace json = boost::json;

inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

inline HttpResponse ok_json(const json::value& v, unsigned status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = json::serialize(v);
  r.headers = {{"cache-control", "no-store"}};
  return r;
}

inline HttpResponse no_content() {
  HttpResponse r;
  r.status = 204;
  r.headers = {{"cache-control", "no-store"}};
  return r;
}

inline HttpResponse unauthorized(std::string_view message) {
  HttpResponse r = json_error(401, "invalid_token", message);
  r.headers = {{"www-authenticate", "Bearer error=\"invalid_token\""}};
  return r;
}

// The request body as a JSON object, or the 400 to answer.
inline std::optional<json::object> body_object(const HttpRequest& r, HttpResponse& error) {
  if (r.body.size() > AuthApi::kMaxBody) {
    error = json_error(413, "body_too_large", "at most 16 KiB");
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (ec || !v.is_object()) {
    error = json_error(400, "invalid_json", "the body must be a JSON object");
    return std::nullopt;
  }
  return std::move(v.as_object());
}

inline std::string field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

inline std::string random_token() {
  std::string bytes(32, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  return base64url_encode(bytes);
}

inline std::string sha256_hex(std::string_view text) { return storage::sha256_hex(text); }

// The two sign-in back-off counters a login attempt touches: per login (case-folded) and per
// client address.
inline std::pair<std::string, std::string> backoff_keys(std::string_view login,
                                                        const std::string& client) {
  std::string login_key = "login:" + std::string(login);
  std::transform(login_key.begin(), login_key.end(), login_key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return {login_key, "client:" + client};
}

inline bool valid_login(std::string_view login) {
  return login.size() >= 3 && login.size() <= 254 &&
         std::none_of(login.begin(), login.end(),
                      [](unsigned char c) { return c <= 0x20 || c == 0x7f; });
}

// Password rules: 8 to 1024 bytes (NIST SP 800-63B: length, not composition).
inline const char* password_problem(std::string_view password) {
  if (password.size() < 8) return "the password must be at least 8 characters";
  if (password.size() > 1024) return "the password must be at most 1024 bytes";
  return nullptr;
}


inline HttpResponse too_many(int64_t until_ms) {
  int64_t seconds = std::max<int64_t>(1, (until_ms - now_ms() + 999) / 1000);
  HttpResponse r = json_error(429, "slow_down",
                              "too many failed sign-ins; try again in " + std::to_string(seconds) + " s");
  r.headers = {{"retry-after", std::to_string(seconds)}};
  return r;
}

}  // namespace detail

}  // namespace machi::identity
