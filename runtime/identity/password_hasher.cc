#include "runtime/identity/password_hasher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <vector>

#include "runtime/identity/base64url.h"

namespace machi::identity {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kKeyBytes = 32;
constexpr int kR = 8;
constexpr int kP = 1;

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == separator) {
      parts.push_back(text.substr(start, i - start));
      start = i + 1;
    }
  }
  return parts;
}

}  // namespace

// Holds one of the bounded derivation slots for its lifetime.
class PasswordHasher::Turn {
 public:
  explicit Turn(PasswordHasher& h) : h_(h) {
    std::unique_lock lock(h_.mutex_);
    granted_ = h_.freed_.wait_for(lock, h_.max_wait_,
                                  [&] { return h_.running_ < h_.max_concurrent_; });
    if (!granted_) return;
    int now = ++h_.running_;
    int peak = h_.peak_.load();
    while (now > peak && !h_.peak_.compare_exchange_weak(peak, now)) {
    }
  }
  ~Turn() {
    if (!granted_) return;
    {
      std::lock_guard lock(h_.mutex_);
      --h_.running_;
    }
    h_.freed_.notify_one();
  }
  bool granted() const { return granted_; }

 private:
  PasswordHasher& h_;
  bool granted_ = false;
};

bool PasswordHasher::derive(std::string_view password, std::string_view salt, int log2_n, int r,
                            int p, std::string& key) {
  key.assign(kKeyBytes, '\0');
  uint64_t n = uint64_t{1} << log2_n;
  uint64_t max_memory = 128 * n * static_cast<uint64_t>(r) * static_cast<uint64_t>(p) + (1 << 20);
  return EVP_PBE_scrypt(password.data(), password.size(),
                        reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n,
                        static_cast<uint64_t>(r), static_cast<uint64_t>(p), max_memory,
                        reinterpret_cast<unsigned char*>(key.data()), key.size()) == 1;
}

Result<std::string> PasswordHasher::hash(std::string_view password) {
  std::string salt(kSaltBytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size()));
  Turn turn(*this);
  if (!turn.granted()) return Status::error("busy");
  std::string key;
  if (!derive(password, salt, log2_n_, kR, kP, key)) return Status::error("scrypt failed");
  return "scrypt$" + std::to_string(log2_n_) + "$" + std::to_string(kR) + "$" +
         std::to_string(kP) + "$" + base64url_encode(salt) + "$" + base64url_encode(key);
}

PasswordHasher::Check PasswordHasher::verify(std::string_view password,
                                             std::string_view encoded) {
  auto parts = split(encoded, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return Check::kMalformed;
  int log2_n, r, p;
  try {
    log2_n = std::stoi(std::string(parts[1]));
    r = std::stoi(std::string(parts[2]));
    p = std::stoi(std::string(parts[3]));
  } catch (const std::exception&) {
    return Check::kMalformed;
  }
  auto salt = base64url_decode(parts[4]);
  auto expected = base64url_decode(parts[5]);
  if (!salt || !expected || expected->size() != kKeyBytes || log2_n < 10 || log2_n > 20 ||
      r < 1 || r > 32 || p < 1 || p > 16) {
    return Check::kMalformed;
  }
  Turn turn(*this);
  if (!turn.granted()) return Check::kBusy;
  std::string key;
  if (!derive(password, *salt, log2_n, r, p, key)) return Check::kMalformed;
  return CRYPTO_memcmp(key.data(), expected->data(), kKeyBytes) == 0 ? Check::kMatch
                                                                       : Check::kMismatch;
}

}  // namespace machi::identity
