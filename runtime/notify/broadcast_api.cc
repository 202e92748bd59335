#include "runtime/notify/broadcast_api.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

#include "runtime/log/log.h"
#include "runtime/notify/notifier.h"
#include "runtime/routing/municipalities.h"
#include "runtime/scheduler/local_time.h"

namespace machi::notify {
namespace {

namespace json = boost::json;

json::object state_json(const BroadcastState& s) {
  double open_rate = s.recipients == 0 ? 0.0 : static_cast<double>(s.read) / static_cast<double>(s.recipients);
  return json::object{{"id", s.id},
                      {"key", s.key},
                      {"title", s.title},
                      {"category", s.category},
                      {"urgency", s.urgency},
                      {"created_by", s.created_by},
                      {"created_unix_ms", s.created_ms},
                      {"recipients", s.recipients},
                      {"read", s.read},
                      {"open_rate", open_rate},
                      {"push_pending", s.push_pending}};
}

// The audience from JSON, or the error to answer.
std::optional<Audience> parse_audience(const json::value* v, const Manifest& manifest, std::string& error) {
  Audience a;
  if (!v || v->is_null()) return a;  // everyone
  if (!v->is_object()) {
    error = "audience: must be an object";
    return std::nullopt;
  }
  const json::object& o = v->as_object();
  for (const auto& [key, value] : o) {
    if (key != "districts" && key != "age" && key != "children_under" && key != "audience" && key != "languages") {
      error = "audience/" + std::string(key) + ": unknown attribute";
      return std::nullopt;
    }
  }
  auto strings = [&](const char* name, std::vector<std::string>& out, auto valid, const std::string& what) {
    const json::value* list = o.if_contains(name);
    if (!list) return true;
    if (!list->is_array() || list->as_array().empty() || list->as_array().size() > 100) {
      error = std::string("audience/") + name + ": a non-empty array (at most 100)";
      return false;
    }
    for (const json::value& item : list->as_array()) {
      if (!item.is_string() || !valid(std::string_view(item.as_string()))) {
        error = std::string("audience/") + name + ": " + what;
        return false;
      }
      out.emplace_back(item.as_string());
    }
    return true;
  };
  if (!strings("districts", a.districts, [&](std::string_view d) {
        return std::any_of(manifest.districts.begin(), manifest.districts.end(),
                           [&](const auto& entry) { return entry.first == d; });
      }, "each must be a district id from the manifest")) {
    return std::nullopt;
  }
  if (!strings("languages", a.languages, [&](std::string_view l) {
        return std::find(manifest.locales.begin(), manifest.locales.end(), l) != manifest.locales.end();
      }, "each must be one of the manifest's locales")) {
    return std::nullopt;
  }
  auto small_int = [&](const json::value* x, int lo, int hi, std::optional<int>& out, const char* at) {
    if (!x || x->is_null()) return true;
    if (!x->is_int64() || x->as_int64() < lo || x->as_int64() > hi) {
      error = std::string("audience/") + at + ": an integer " + std::to_string(lo) + "–" + std::to_string(hi);
      return false;
    }
    out = static_cast<int>(x->as_int64());
    return true;
  };
  if (const json::value* age = o.if_contains("age")) {
    if (!age->is_object()) {
      error = "audience/age: {min, max} in years";
      return std::nullopt;
    }
    if (!small_int(age->as_object().if_contains("min"), 0, 150, a.min_age, "age/min") ||
        !small_int(age->as_object().if_contains("max"), 0, 150, a.max_age, "age/max")) {
      return std::nullopt;
    }
    if (a.min_age && a.max_age && *a.min_age > *a.max_age) {
      error = "audience/age: min is above max";
      return std::nullopt;
    }
  }
  if (!small_int(o.if_contains("children_under"), 1, 18, a.children_under, "children_under")) return std::nullopt;
  if (const json::value* who = o.if_contains("audience")) {
    if (!who->is_string() || (who->as_string() != "resident" && who->as_string() != "visitor")) {
      error = "audience/audience: \"resident\" or \"visitor\"";
      return std::nullopt;
    }
    a.audience = std::string(who->as_string());
  }
  return a;
}

// Tells the recipients who have a stream open right now.
void tell_open_streams(const MunicipalitySnapshot& m, const BroadcastState& state,
                       const Notification& n, LiveHub* live) {
  if (!live) return;
  std::string prefix = Notifier::inbox_channel(m.manifest.municipality_id, "");
  std::vector<std::string> public_ids;
  for (const std::string& channel : live->channels_with_prefix(prefix)) public_ids.push_back(channel.substr(prefix.size()));
  if (public_ids.empty()) return;
  for (const auto& [public_id, id] : m.identity->broadcasts().recipients_among(state.id, public_ids)) {
    Notification copy = n;
    copy.id = id;
    copy.broadcast_id = state.id;
    live->publish(prefix + public_id,
                  json::serialize(json::object{{"type", "notification"}, {"notification", to_json(copy)}}));
  }
}

}  // namespace

HttpResponse handle_broadcasts(const MunicipalitySnapshot& m, const std::string& staff_login,
                               const HttpRequest& request, std::string_view rest, LiveHub* live) {
  BroadcastStore& store = m.identity->broadcasts();
  int64_t now = unix_now_ms();
  std::string today = local_date(m.manifest.timezone, now);
  if (rest.empty() && request.method == "GET") {
    json::array list;
    for (const auto& s : store.list(100)) list.push_back(state_json(s));
    return json_response(200, json::object{{"broadcasts", std::move(list)}});
  }
  if (rest.starts_with("/") && rest != "/preview") {
    if (request.method != "GET") return json_error(405, "method_not_allowed", "use GET");
    auto id = positive_id(rest.substr(1));
    auto state = id ? store.get(*id) : std::nullopt;
    if (!state) return json_error(404, "not_found", "no such broadcast");
    return json_response(200, state_json(*state));
  }
  if (request.method != "POST") return json_error(405, "method_not_allowed", "use POST");
  if (request.body.size() > 16 * 1024) return json_error(413, "body_too_large", "at most 16 KiB");
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return json_error(400, "bad_request", "the body must be a JSON object");
  std::string error;
  auto audience = parse_audience(body.as_object().if_contains("audience"), m.manifest, error);
  if (!audience) return json_error(400, "bad_audience", error);
  int64_t minimum = m.manifest.broadcast_minimum_audience;
  if (rest == "/preview") {
    auto size = store.audience_size(*audience, today);
    if (!size) return json_error(500, "storage", "the audience could not be counted");
    return json_response(200, json::object{{"audience_size", size.value()},
                                    {"minimum", minimum},
                                    {"allowed", size.value() >= minimum}});
  }
  const json::value* n = body.as_object().if_contains("notification");
  if (!n || !n->is_object()) return json_error(400, "bad_request", "notification: required object");
  auto notification = parse_notification(n->as_object(), now);
  if (!notification) return json_error(400, "bad_notification", "notification/" + notification.error());
  auto sent = store.send(*audience, today, notification.value(), staff_login, minimum);
  if (!sent) {
    bool small = sent.error().find("minimum") != std::string::npos;
    return json_error(small ? 422 : 500, small ? "audience_too_small" : "storage", sent.error());
  }
  if (sent.value().created) {
    log_line(LogLevel::kInfo, "broadcast", "broadcast sent",
             {{"municipality", m.manifest.municipality_id},
              {"recipients", std::to_string(sent.value().state.recipients)}});
    tell_open_streams(m, sent.value().state, notification.value(), live);
  }
  return json_response(sent.value().created ? 201 : 200, state_json(sent.value().state));
}

}  // namespace machi::notify
