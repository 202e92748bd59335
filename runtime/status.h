// Status and Result<T>: how fallible runtime calls report failure without exceptions.
// A failure carries a code that callers branch on (never on the text; LevelDB's Status is the
// model) and a message that says what was wrong and where (file, field, plugin id) for people.
// Thread-safety: value types; distinct objects may be used from different threads freely.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace machi {

// What kind of failure: what a caller may do about it. kFailed is every failure no caller needs
// to tell apart (it reads the message to a person).
enum class StatusCode {
  kOk = 0,
  kFailed,          // anything else: storage, I/O, a plugin's refusal …
  kInvalidArgument, // the input itself is wrong (a file, a field)
  kNotFound,        // what was asked for does not exist
  kAlreadyExists,   // a unique thing (a login, a key) is taken
  kUnavailable,     // busy or down for now: retrying later may work
};

class Status {
 public:
  Status() = default;  // OK
  static Status ok() { return Status(); }
  static Status error(std::string message) { return Status(StatusCode::kFailed, std::move(message)); }
  static Status error(StatusCode code, std::string message) { return Status(code, std::move(message)); }

  bool is_ok() const { return !message_.has_value(); }
  StatusCode code() const { return code_; }
  explicit operator bool() const { return is_ok(); }
  const std::string& message() const {
    static const std::string kEmpty;
    return message_ ? *message_ : kEmpty;
  }

 private:
  Status(StatusCode code, std::string message)
      : code_(code == StatusCode::kOk ? StatusCode::kFailed : code), message_(std::move(message)) {}
  StatusCode code_ = StatusCode::kOk;
  std::optional<std::string> message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Status failure) : state_(std::move(failure)) {}  // NOLINT: must be a failure

  bool is_ok() const { return state_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const T& value() const& { return std::get<0>(state_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const std::string& error() const { return std::get<1>(state_).message(); }
  StatusCode code() const { return is_ok() ? StatusCode::kOk : std::get<1>(state_).code(); }
  Status status() const { return is_ok() ? Status::ok() : std::get<1>(state_); }

 private:
  std::variant<T, Status> state_;
};

}  // namespace machi
