// Access to the host function table and the SDK's error type.
// HostError carries the host's status and message; the SDK's hook barrier turns an escaped
// HostError (or any exception) into a failed hook: 500 for a request, the instance unhealthy.
#pragma once

#include <machi/plugin_api.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace machi::sdk {

namespace detail {
// Set once by negotiate. Each plugin .so has its own copy (hidden visibility + version script).
inline const machi_host_api*& host_slot() {
  static const machi_host_api* host = nullptr;
  return host;
}
}  // namespace detail

inline const machi_host_api& host() { return *detail::host_slot(); }

inline machi_str to_view(std::string_view s) { return machi_str{s.data(), s.size()}; }
inline std::string_view from_view(machi_str s) {
  return s.ptr ? std::string_view(s.ptr, s.len) : std::string_view();
}

class HostError : public std::runtime_error {
 public:
  HostError(machi_status status, const std::string& what)
      : std::runtime_error(what), status_(status) {}
  machi_status status() const { return status_; }

 private:
  machi_status status_;
};

// Throws HostError with the host's last_error text unless `status` is a success (>= 0).
inline machi_status check(machi_status status, std::string_view what) {
  if (status >= 0) return status;
  machi_str message{};
  host().last_error(&message);
  throw HostError(status, std::string(what) + ": " + std::string(from_view(message)));
}

// An error the plugin means to show the caller: the barrier answers it with this status and
// {"error":{"code":…,"message":…}} and the instance stays healthy.
class HttpError : public std::runtime_error {
 public:
  HttpError(unsigned status, std::string code, const std::string& message)
      : std::runtime_error(message), status_(status), code_(std::move(code)) {}
  unsigned status() const { return status_; }
  const std::string& code() const { return code_; }

 private:
  unsigned status_;
  std::string code_;
};

}  // namespace machi::sdk
