#include "runtime/notify/inbox_api.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <cstdio>

#include "runtime/scheduler/local_time.h"

namespace machi::notify {
namespace {

namespace json = boost::json;

}  // namespace

HttpResponse handle_inbox(NotificationStore& store, const identity::Account& account,
                          const HttpRequest& request, std::string_view rest) {
  int64_t now = unix_now_ms();
  if (rest.empty()) {
    if (request.method != "GET") return json_error(405, "method_not_allowed", "use GET");
    size_t limit = 20;
    if (auto l = query_param(request.query, "limit")) {
      auto n = positive_id(*l);
      if (!n || *n > 100) return json_error(400, "bad_request", "limit: an integer 1–100");
      limit = static_cast<size_t>(*n);
    }
    std::optional<int64_t> before;
    if (auto b = query_param(request.query, "before")) {
      before = positive_id(*b);
      if (!before) return json_error(400, "bad_request", "before: a notification id");
    }
    auto page = store.inbox(account.id, now, before, limit);
    if (!page) return json_error(500, "storage", "the inbox could not be read");
    json::array items;
    for (const Notification& n : page.value().items) items.push_back(to_json(n));
    json::object body{{"items", std::move(items)}, {"unread", page.value().unread}};
    body["next_before"] = page.value().next_before ? json::value(*page.value().next_before)
                                                   : json::value(nullptr);
    return json_response(200, body);
  }
  if (request.method != "POST") return json_error(405, "method_not_allowed", "use POST");
  if (rest == "/read-all") {
    auto marked = store.mark_all_read(account.id, now);
    if (!marked) return json_error(500, "storage", "could not mark notifications read");
    return json_response(200, json::object{{"marked", marked.value()}});
  }
  if (rest.starts_with("/") && rest.ends_with("/read")) {
    auto id = positive_id(rest.substr(1, rest.size() - 6));
    if (!id) return json_error(404, "not_found", "no such notification");
    if (!store.mark_read(account.id, *id, now)) {
      return json_error(404, "not_found", "no notification " + std::to_string(*id) + " in your inbox");
    }
    HttpResponse r;
    r.status = 204;
    r.headers = {{"cache-control", "no-store"}};
    return r;
  }
  return json_error(404, "not_found", "no such endpoint under /api/v1/me/notifications");
}

namespace {

std::string hhmm(int minute) {
  char text[6];
  std::snprintf(text, sizeof text, "%02d:%02d", minute / 60, minute % 60);
  return text;
}

std::optional<int> minute_of(const json::value* v) {
  if (!v || !v->is_string() || v->as_string().size() != 5) return std::nullopt;
  std::string_view s = v->as_string();
  if (s[2] != ':') return std::nullopt;
  int h = 0, m = 0;
  auto r1 = std::from_chars(s.data(), s.data() + 2, h);
  auto r2 = std::from_chars(s.data() + 3, s.data() + 5, m);
  if (r1.ec != std::errc() || r2.ec != std::errc() || r1.ptr != s.data() + 2 || r2.ptr != s.data() + 5 ||
      h > 23 || m > 59) {
    return std::nullopt;
  }
  return h * 60 + m;
}

json::object preferences_json(NotificationStore::Preferences p, const identity::Account& account) {
  json::array muted;
  for (const auto& [source, category] : p.muted) {
    muted.push_back(json::object{{"source", source.empty() ? json::value(nullptr) : json::value(source)},
                                 {"category", category}});
  }
  json::value quiet = nullptr;
  if (p.quiet) quiet = json::object{{"start", hhmm(p.quiet->start_minute)}, {"end", hhmm(p.quiet->end_minute)}};
  return json::object{{"muted", std::move(muted)}, {"quiet_hours", quiet}, {"language", account.language}};
}

}  // namespace

HttpResponse handle_preferences(NotificationStore& store, identity::AccountStore& accounts,
                                const Manifest& manifest, const identity::Account& account,
                                const HttpRequest& request) {
  if (request.method == "GET") return json_response(200, preferences_json(store.preferences(account.id), account));
  if (request.method != "PUT") return json_error(405, "method_not_allowed", "use GET or PUT");
  if (request.body.size() > 32 * 1024) return json_error(413, "body_too_large", "at most 32 KiB");
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return json_error(400, "bad_request", "the body must be a JSON object");
  const json::object& o = body.as_object();
  for (const auto& [key, value] : o) {
    if (key != "muted" && key != "quiet_hours" && key != "language") {
      return json_error(400, "bad_request", std::string(key) + ": unknown field");
    }
  }
  NotificationStore::Preferences p = store.preferences(account.id);
  if (const json::value* muted = o.if_contains("muted")) {
    if (!muted->is_array()) return json_error(400, "bad_request", "muted: an array of {source, category}");
    p.muted.clear();
    size_t i = 0;
    for (const json::value& item : muted->as_array()) {
      std::string at = "muted/" + std::to_string(i++);
      const json::object* m = item.if_object();
      const json::value* source = m ? m->if_contains("source") : nullptr;
      const json::value* category = m ? m->if_contains("category") : nullptr;
      if (!source || !category || !category->is_string() || !(source->is_null() || source->is_string())) {
        return json_error(400, "bad_request", at + ": {source: mini-app id or null, category: string}");
      }
      std::string src = source->is_null() ? "" : std::string(source->as_string());
      bool known = src.empty() || std::any_of(manifest.mini_apps.begin(), manifest.mini_apps.end(),
                                              [&](const MiniAppEntry& e) { return e.id == src; });
      if (!known) return json_error(400, "bad_request", at + "/source: no mini-app '" + src + "' here");
      std::string cat(category->as_string());
      if (cat.empty() || cat.size() > 32 ||
          cat.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") != std::string::npos) {
        return json_error(400, "bad_request", at + "/category: 1–32 of [a-z0-9_-]");
      }
      p.muted.emplace_back(std::move(src), std::move(cat));
    }
  }
  if (const json::value* quiet = o.if_contains("quiet_hours")) {
    if (quiet->is_null()) {
      p.quiet.reset();
    } else {
      const json::object* q = quiet->if_object();
      auto start = minute_of(q ? q->if_contains("start") : nullptr);
      auto end = minute_of(q ? q->if_contains("end") : nullptr);
      if (!start || !end) return json_error(400, "bad_request", "quiet_hours: {start: \"HH:MM\", end: \"HH:MM\"} or null");
      p.quiet = NotificationStore::QuietHours{*start, *end};
    }
  }
  identity::Account updated = account;
  if (const json::value* language = o.if_contains("language")) {
    if (!language->is_string() ||
        std::find(manifest.locales.begin(), manifest.locales.end(), language->as_string()) == manifest.locales.end()) {
      std::string list;
      for (const auto& l : manifest.locales) list += (list.empty() ? "" : ", ") + l;
      return json_error(400, "bad_request", "language: one of " + list);
    }
    updated.language = std::string(language->as_string());
    if (Status s = accounts.update_profile(updated); !s) return json_error(500, "storage", "could not store the language");
  }
  if (Status s = store.set_preferences(account.id, p); !s) return json_error(400, "bad_request", s.message());
  return json_response(200, preferences_json(store.preferences(account.id), updated));
}

}  // namespace machi::notify
