// Notification: one message to one resident's inbox, from a mini-app (source = its mount id) or
// from the municipality (source = ""), and how a notification's JSON form is checked.
// Thread-safety: plain values and free functions.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace machi::notify {

inline constexpr size_t kMaxTitleBytes = 200;
inline constexpr size_t kMaxBodyBytes = 2000;
inline constexpr size_t kMaxLinkBytes = 512;
inline constexpr size_t kMaxKeyBytes = 128;
inline constexpr size_t kMaxJsonBytes = 8 * 1024;

struct Notification {
  int64_t id = 0;             // inbox id, once stored
  std::string source;         // mount id of the mini-app; "" = the municipality
  std::string key;            // idempotency key: one notification per (resident, source, key)
  std::string category;       // [a-z0-9_-], ≤ 32: residents choose categories per source
  std::string title;
  std::string body;
  std::string link;           // a path: inside the mini-app for a plugin ("/…"), else absolute
  std::string urgency = "normal";  // low | normal | high | critical
  int64_t created_ms = 0;
  std::optional<int64_t> expires_ms;  // not shown (nor pushed) after this instant
  std::optional<int64_t> read_ms;
  std::optional<int64_t> broadcast_id;
};

// Checks a notification's JSON ({key, category, title, body?, link?, urgency?,
// expires_unix_ms?}) and returns it, or an error naming the field. `now_ms` refuses an expiry in
// the past.
Result<Notification> parse_notification(std::string_view json_text, int64_t now_ms);
Result<Notification> parse_notification(const boost::json::object& o, int64_t now_ms);

// The JSON a resident's inbox shows for it.
boost::json::object to_json(const Notification& n);

bool valid_urgency(std::string_view u);

// A positive decimal id from a path segment or query value ("42"); nullopt for anything else.
std::optional<int64_t> positive_id(std::string_view text);

}  // namespace machi::notify
