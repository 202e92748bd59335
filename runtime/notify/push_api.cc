#include "runtime/notify/push_api.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>


#include "runtime/identity/base64url.h"
#include "runtime/notify/web_push.h"
#include "runtime/scheduler/local_time.h"

namespace machi::notify {
namespace {

namespace json = boost::json;

const json::string* string_at(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? &v->as_string() : nullptr;
}

HttpResponse add(NotificationStore& store, const Manifest& manifest, const identity::Account& account,
                 const HttpRequest& request) {
  if (request.body.size() > 4096) return json_error(413, "body_too_large", "at most 4 KiB");
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) return json_error(400, "bad_request", "the body must be a JSON object");
  const json::object& o = body.as_object();
  const json::string* endpoint = string_at(o, "endpoint");
  if (!endpoint || endpoint->empty()) return json_error(400, "bad_request", "endpoint: required");
  if (endpoint->size() > kMaxEndpointBytes) {
    return json_error(400, "bad_request", "endpoint: longer than " + std::to_string(kMaxEndpointBytes) + " bytes");
  }
  if (!push_endpoint_allowed(manifest.push.services, *endpoint)) {
    return json_error(422, "push_service_not_allowed",
                      "endpoint: '" + push_origin(*endpoint) +
                          "' is not a push service this municipality allows (https only)");
  }
  const json::value* keys = o.if_contains("keys");
  const json::string* p256dh = keys && keys->is_object() ? string_at(keys->as_object(), "p256dh") : nullptr;
  const json::string* auth = keys && keys->is_object() ? string_at(keys->as_object(), "auth") : nullptr;
  if (!p256dh || !auth) return json_error(400, "bad_request", "keys: {p256dh, auth} required");
  auto point = identity::base64url_decode(*p256dh);
  auto secret = identity::base64url_decode(*auth);
  if (!point || !secret) return json_error(400, "bad_request", "keys: base64url expected");
  if (Status s = check_subscription_keys(*point, *secret); !s) return json_error(400, "bad_request", s.message());
  NotificationStore::Subscription sub{0, std::string(*endpoint), *point, *secret, unix_now_ms()};
  auto id = store.add_subscription(account.id, sub);
  if (!id) return json_error(409, "too_many_subscriptions", id.error());
  return json_response(201, json::object{{"id", id.value()}, {"origin", push_origin(*endpoint)}});
}

}  // namespace

HttpResponse handle_push_subscriptions(NotificationStore& store, const Manifest& manifest,
                                       const identity::Account& account, const HttpRequest& request,
                                       std::string_view rest) {
  if (rest.empty()) {
    if (request.method == "POST") return add(store, manifest, account, request);
    if (request.method != "GET") return json_error(405, "method_not_allowed", "use GET or POST");
    json::array list;
    for (const auto& s : store.subscriptions(account.id)) {
      list.push_back(json::object{{"id", s.id}, {"origin", push_origin(s.endpoint)},
                                  {"created_unix_ms", s.created_ms}});
    }
    return json_response(200, json::object{{"subscriptions", std::move(list)}});
  }
  if (request.method != "DELETE") return json_error(405, "method_not_allowed", "use DELETE");
  auto id = positive_id(rest.substr(1));
  if (!id || !store.remove_subscription(account.id, *id)) {
    return json_error(404, "not_found", "no such push subscription");
  }
  HttpResponse r;
  r.status = 204;
  return r;
}

}  // namespace machi::notify
