#include "runtime/notify/inbox_api.h"

#include <boost/json/serialize.hpp>

#include <charconv>

#include "runtime/scheduler/local_time.h"

namespace machi::notify {
namespace {

namespace json = boost::json;

HttpResponse ok(const json::value& v) {
  HttpResponse r;
  r.status = 200;
  r.body = json::serialize(v);
  r.headers = {{"cache-control", "no-store"}};
  return r;
}

std::optional<int64_t> positive(std::string_view text) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

}  // namespace

HttpResponse handle_inbox(NotificationStore& store, const identity::Account& account,
                          const HttpRequest& request, std::string_view rest) {
  int64_t now = unix_now_ms();
  if (rest.empty()) {
    if (request.method != "GET") return json_error(405, "method_not_allowed", "use GET");
    size_t limit = 20;
    if (auto l = query_param(request.query, "limit")) {
      auto n = positive(*l);
      if (!n || *n > 100) return json_error(400, "bad_request", "limit: an integer 1–100");
      limit = static_cast<size_t>(*n);
    }
    std::optional<int64_t> before;
    if (auto b = query_param(request.query, "before")) {
      before = positive(*b);
      if (!before) return json_error(400, "bad_request", "before: a notification id");
    }
    auto page = store.inbox(account.id, now, before, limit);
    if (!page) return json_error(500, "storage", "the inbox could not be read");
    json::array items;
    for (const Notification& n : page.value().items) items.push_back(to_json(n));
    json::object body{{"items", std::move(items)}, {"unread", page.value().unread}};
    body["next_before"] = page.value().next_before ? json::value(*page.value().next_before)
                                                   : json::value(nullptr);
    return ok(body);
  }
  if (request.method != "POST") return json_error(405, "method_not_allowed", "use POST");
  if (rest == "/read-all") {
    auto marked = store.mark_all_read(account.id, now);
    if (!marked) return json_error(500, "storage", "could not mark notifications read");
    return ok(json::object{{"marked", marked.value()}});
  }
  if (rest.starts_with("/") && rest.ends_with("/read")) {
    auto id = positive(rest.substr(1, rest.size() - 6));
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

}  // namespace machi::notify
