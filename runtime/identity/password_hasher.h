// PasswordHasher: scrypt (OpenSSL EVP_PBE_scrypt) with N = 2^15, r = 8, p = 1 (32 MiB and
// ~50–100 ms per derivation here), a 16-byte random salt per password and a 32-byte key, stored
// as "scrypt$15$8$1$<salt>$<key>" (base64url) so parameters can be raised later per hash.
// Derivations are bounded: at most `max_concurrent` run at once and a caller waits at most
// `max_wait` for a turn (then Busy) — a sign-in flood queues instead of starving the machine.
// Comparison is constant-time (CRYPTO_memcmp).
// Thread-safety: every method is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace machi::identity {

class PasswordHasher {
 public:
  enum class Check { kMatch, kMismatch, kBusy, kMalformed };

  PasswordHasher(int max_concurrent, std::chrono::milliseconds max_wait, int log2_n = 15)
      : max_concurrent_(max_concurrent), max_wait_(max_wait), log2_n_(log2_n) {}

  // The encoded hash, or an error when busy or out of memory.
  Result<std::string> hash(std::string_view password);
  Check verify(std::string_view password, std::string_view encoded);

  int peak_concurrency() const { return peak_.load(); }

 private:
  class Turn;
  bool derive(std::string_view password, std::string_view salt, int log2_n, int r, int p,
              std::string& key);

  int max_concurrent_;
  std::chrono::milliseconds max_wait_;
  int log2_n_;
  std::mutex mutex_;
  std::condition_variable freed_;
  int running_ = 0;
  std::atomic<int> peak_{0};
};

}  // namespace machi::identity
