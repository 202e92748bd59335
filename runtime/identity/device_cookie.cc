#include "runtime/identity/device_cookie.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <vector>

#include "runtime/identity/base64url.h"

namespace machi::identity {

namespace {

constexpr size_t kRandomBytes = 16;
constexpr size_t kPayloadBytes = kRandomBytes + 8;

std::string hmac(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &length);
  return std::string(reinterpret_cast<const char*>(out), length);
}

std::string fold(std::string_view login) {
  std::string out(login);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
  }
  return out;
}

std::vector<std::string_view> entries(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty() && out.size() < 16) {  // never more work than a few entries
    size_t end = value.find('~');
    out.push_back(value.substr(0, end));
    if (end == std::string_view::npos) break;
    value.remove_prefix(end + 1);
  }
  return out;
}

}  // namespace

std::string_view cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
    if (end == std::string_view::npos) break;
    header.remove_prefix(end + 1);
  }
  return {};
}

DeviceCookies::DeviceCookies(std::string_view secret)
    : key_(hmac(secret, "machi device cookie key v1")) {}

std::string DeviceCookies::mac(std::string_view login, std::string_view payload) const {
  std::string message = "machi-device-v1\n" + fold(login) + "\n";
  message.append(payload);
  return hmac(key_, message);
}

std::string DeviceCookies::trusted(std::string_view cookie_header, std::string_view login,
                                   int64_t now_s) const {
  for (std::string_view entry : entries(cookie_value(cookie_header, kName))) {
    size_t dot = entry.find('.');
    if (dot == std::string_view::npos) continue;
    auto payload = base64url_decode(entry.substr(0, dot));
    auto presented = base64url_decode(entry.substr(dot + 1));
    if (!payload || !presented || payload->size() != kPayloadBytes) continue;
    std::string expected = mac(login, *payload);
    if (presented->size() != expected.size() ||
        CRYPTO_memcmp(presented->data(), expected.data(), expected.size()) != 0) {
      continue;
    }
    int64_t issued = 0;
    for (size_t i = kRandomBytes; i < kPayloadBytes; ++i) {
      issued = (issued << 8) | static_cast<unsigned char>((*payload)[i]);
    }
    if (issued > now_s + 300 || now_s - issued > kLifetime.count()) continue;
    return std::string(entry.substr(0, dot));
  }
  return {};
}

std::string DeviceCookies::after_sign_in(std::string_view cookie_header, std::string_view login,
                                         int64_t now_s) const {
  std::string mine;
  std::string known = trusted(cookie_header, login, now_s);
  std::vector<std::string_view> kept;
  for (std::string_view entry : entries(cookie_value(cookie_header, kName))) {
    if (!known.empty() && entry.starts_with(known + ".")) {
      mine = std::string(entry);
      continue;
    }
    // Other residents' entries are kept as they are (they cannot be checked without their
    // login); only well-formed ones, so junk never grows the cookie.
    size_t dot = entry.find('.');
    if (dot == std::string_view::npos || entry.size() > 96 || !base64url_decode(entry.substr(0, dot)) ||
        !base64url_decode(entry.substr(dot + 1))) {
      continue;
    }
    kept.push_back(entry);
  }
  if (mine.empty()) {
    std::string payload(kPayloadBytes, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(payload.data()), static_cast<int>(kRandomBytes));
    for (size_t i = 0; i < 8; ++i) {
      payload[kPayloadBytes - 1 - i] = static_cast<char>((static_cast<uint64_t>(now_s) >> (8 * i)) & 0xff);
    }
    mine = base64url_encode(payload) + "." + base64url_encode(mac(login, payload));
  }
  std::string value = mine;
  for (size_t i = 0; i < kept.size() && i + 1 < kMaxEntries; ++i) value.append("~").append(kept[i]);
  return value;
}

std::string DeviceCookies::set_cookie(std::string_view value, bool tls) {
  return std::string(kName) + "=" + std::string(value) + "; Path=/api/v1/auth; HttpOnly; SameSite=Strict; Max-Age=" +
         std::to_string(kLifetime.count()) + (tls ? "; Secure" : "");
}

}  // namespace machi::identity
