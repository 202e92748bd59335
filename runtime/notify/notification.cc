#include "runtime/notify/notification.h"

#include <boost/json/parse.hpp>

#include <charconv>

namespace machi::notify {
namespace {

namespace json = boost::json;

bool valid_category(std::string_view c) {
  if (c.empty() || c.size() > 32) return false;
  for (char ch : c) {
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')) return false;
  }
  return true;
}

// Visible text: no control characters except newline and tab in the body.
bool plain_text(std::string_view s, bool multiline) {
  for (unsigned char ch : s) {
    if (ch == 0x7f || (ch < 0x20 && !(multiline && (ch == '\n' || ch == '\t')))) return false;
  }
  return true;
}

Result<std::string> text_field(const json::object& o, const char* name, size_t max, bool required,
                               bool multiline) {
  const json::value* v = o.if_contains(name);
  if (!v || v->is_null()) {
    if (required) return Status::error(std::string(name) + ": required");
    return std::string();
  }
  if (!v->is_string()) return Status::error(std::string(name) + ": must be a string");
  std::string s(v->as_string());
  if (required && s.empty()) return Status::error(std::string(name) + ": must not be empty");
  if (s.size() > max) {
    return Status::error(std::string(name) + ": longer than " + std::to_string(max) + " bytes");
  }
  if (!plain_text(s, multiline)) return Status::error(std::string(name) + ": control characters are not allowed");
  return s;
}

}  // namespace

std::optional<int64_t> positive_id(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

bool valid_urgency(std::string_view u) {
  return u == "low" || u == "normal" || u == "high" || u == "critical";
}

Result<Notification> parse_notification(std::string_view json_text, int64_t now_ms) {
  if (json_text.size() > kMaxJsonBytes) {
    return Status::error("notification JSON over " + std::to_string(kMaxJsonBytes) + " bytes");
  }
  boost::system::error_code ec;
  json::value v = json::parse(json_text, ec);
  if (ec) return Status::error("notification is not JSON: " + ec.message());
  if (!v.is_object()) return Status::error("notification must be a JSON object");
  return parse_notification(v.as_object(), now_ms);
}

Result<Notification> parse_notification(const json::object& o, int64_t now_ms) {
  for (const auto& [name, value] : o) {
    if (name != "key" && name != "category" && name != "title" && name != "body" &&
        name != "link" && name != "urgency" && name != "expires_unix_ms") {
      return Status::error(std::string(name) + ": unknown field");
    }
  }
  Notification n;
  auto key = text_field(o, "key", kMaxKeyBytes, true, false);
  if (!key) return key.status();
  n.key = std::move(key).value();
  auto category = text_field(o, "category", 32, true, false);
  if (!category) return category.status();
  if (!valid_category(category.value())) {
    return Status::error("category: 1–32 of [a-z0-9_-]");
  }
  n.category = std::move(category).value();
  auto title = text_field(o, "title", kMaxTitleBytes, true, false);
  if (!title) return title.status();
  n.title = std::move(title).value();
  auto body = text_field(o, "body", kMaxBodyBytes, false, true);
  if (!body) return body.status();
  n.body = std::move(body).value();
  auto link = text_field(o, "link", kMaxLinkBytes, false, false);
  if (!link) return link.status();
  if (!link.value().empty() && (link.value()[0] != '/' || link.value().starts_with("//"))) {
    return Status::error("link: must be a path starting with '/'");
  }
  n.link = std::move(link).value();
  auto urgency = text_field(o, "urgency", 16, false, false);
  if (!urgency) return urgency.status();
  if (!urgency.value().empty()) {
    if (!valid_urgency(urgency.value())) return Status::error("urgency: one of low, normal, high, critical");
    n.urgency = urgency.value();
  }
  if (const json::value* e = o.if_contains("expires_unix_ms"); e && !e->is_null()) {
    if (!e->is_int64()) return Status::error("expires_unix_ms: must be an integer");
    if (e->as_int64() <= now_ms) return Status::error("expires_unix_ms: already in the past");
    n.expires_ms = e->as_int64();
  }
  n.created_ms = now_ms;
  return n;
}

json::object to_json(const Notification& n) {
  json::object o{{"id", n.id},
                 {"source", n.source.empty() ? json::value(nullptr) : json::value(n.source)},
                 {"category", n.category},
                 {"title", n.title},
                 {"body", n.body},
                 {"link", n.link},
                 {"urgency", n.urgency},
                 {"created_unix_ms", n.created_ms},
                 {"read", n.read_ms.has_value()}};
  if (n.expires_ms) o["expires_unix_ms"] = *n.expires_ms;
  return o;
}

}  // namespace machi::notify
