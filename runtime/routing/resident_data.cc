#include "runtime/routing/resident_data.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "runtime/log/log.h"
#include "runtime/routing/home_order.h"

#include <algorithm>
#include <cctype>

namespace machi {

namespace json = boost::json;

HttpResponse export_resident_data(const MunicipalitySnapshot& m, const identity::Account& account) {
  json::object mini_apps;
  for (const auto& app : m.apps) {
    std::string subject = m.identity->pairwise_subject(app->entry.id, account.public_id);
    auto data = app->instance->export_subject(subject);
    mini_apps[app->entry.id] = data ? json::parse(data.value())
                                    : json::value(json::object{{"error", data.error()}});
  }
  json::array notifications;
  for (const auto& n : m.identity->notifications().all(account.id)) {
    notifications.push_back(notify::to_json(n));
  }
  HttpResponse r;
  r.body = json::serialize(json::object{{"municipality", m.manifest.municipality_id},
                                        {"account", identity::AuthApi::account_json(account)},
                                        {"notifications", std::move(notifications)},
                                        {"mini_apps", std::move(mini_apps)}});
  r.headers = {{"cache-control", "no-store"},
               {"content-disposition", "attachment; filename=\"machi-export.json\""}};
  return r;
}

HttpResponse delete_resident(const MunicipalitySnapshot& m, const identity::Account& account) {
  std::vector<std::string> failed;
  for (const auto& app : m.apps) {
    std::string subject = m.identity->pairwise_subject(app->entry.id, account.public_id);
    if (Status s = app->instance->erase_subject(subject); !s) failed.push_back(app->entry.id);
  }
  if (!failed.empty()) {
    std::string list;
    for (const auto& id : failed) list += (list.empty() ? "" : ", ") + id;
    log_line(LogLevel::kError, "identity", "account deletion stopped: mini-apps failed to erase",
             {{"mini_apps", list}});
    return json_error(502, "erase_failed",
                      "these mini-apps could not erase your data yet, so your account was kept; "
                      "please retry: " + list);
  }
  // Mini-apps of the manifest that are disabled now still hold data: their erasure waits, under
  // their pairwise subject, until they are enabled again (Municipalities::load runs it).
  for (const MiniAppEntry& entry : m.manifest.mini_apps) {
    if (m.find(entry.id)) continue;
    std::string subject = m.identity->pairwise_subject(entry.id, account.public_id);
    if (!m.identity->consents().add_pending_erasure(entry.id, subject)) {
      return json_error(500, "internal", "deleting the account failed; please retry");
    }
  }
  if (Status s = m.identity->accounts().delete_account(account.id); !s) {
    return json_error(500, "internal", "deleting the account failed; please retry");
  }
  log_line(LogLevel::kInfo, "identity", "account deleted");
  HttpResponse r;
  r.status = 204;
  return r;
}

}  // namespace machi

namespace machi {

namespace {

json::array to_array(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& i : items) a.emplace_back(i);
  return a;
}

std::vector<HomeEntry> parse_entries(const json::value& v) {
  std::vector<HomeEntry> entries;
  if (!v.is_array()) return entries;
  for (const json::value& item : v.as_array()) {
    const json::object* o = item.if_object();
    const json::value* id = o ? o->if_contains("id") : nullptr;
    const json::value* hidden = o ? o->if_contains("hidden") : nullptr;
    if (id && id->is_string()) {
      entries.push_back({std::string(id->as_string()), hidden && hidden->is_bool() && hidden->as_bool()});
    }
  }
  return entries;
}

// The resident's home list: saved order merged with the mini-apps enabled for their audience.
std::vector<HomeEntry> home_entries(const MunicipalitySnapshot& m, const identity::Account& account) {
  bool visitor = account.audience == "visitor";
  std::vector<std::string> enabled;
  for (const auto& app : m.apps) {
    if (visitor ? app->entry.for_visitors : app->entry.for_residents) enabled.push_back(app->entry.id);
  }
  boost::system::error_code ec;
  json::value saved = json::parse(m.identity->accounts().home_order(account.id), ec);
  return merge_home_order(ec ? std::vector<HomeEntry>{} : parse_entries(saved), enabled);
}

}  // namespace

std::shared_ptr<const Claims> claims_for(const MunicipalitySnapshot& m, const MountedApp& app,
                                        const identity::Principal& caller) {
  // Read before the account data, so a change racing with this build leaves the view stale
  // under an old generation, never current.
  uint64_t generation = m.identity->accounts().disclosure_generation();
  if (auto memo = caller.claims_memo.find(&app, m.generation, generation)) return memo;
  auto claims = std::make_shared<Claims>();
  claims->values[MACHI_CLAIM_SUBJECT] = m.identity->pairwise_subject(app.entry.id, caller.public_id);
  claims->values[MACHI_CLAIM_ASSURANCE] = caller.assurance == "verified" ? "verified" : "self-registered";
  if (!caller.locale.empty()) claims->values[MACHI_CLAIM_LOCALE] = caller.locale;
  claims->values[MACHI_CLAIM_AUDIENCE] = caller.audience;
  if (!caller.roles.empty()) {
    json::array roles;
    for (const auto& r : caller.roles) roles.emplace_back(r);
    claims->values[MACHI_CLAIM_ROLES] = json::serialize(roles);
  }
  for (auto& [name, value] : m.identity->disclosed_claims(caller.public_id, app.entry.id, app.entry.grants)) {
    claims->values[name] = std::move(value);
  }
  caller.claims_memo.store(&app, m.generation, generation, claims);
  return claims;
}

HttpResponse handle_info_cards(const MunicipalitySnapshot& m, const identity::Account& account,
                               const HttpRequest& request) {
  if (request.method != "GET") return json_error(405, "method_not_allowed", "use GET");
  std::string locale = query_param(request.query, "locale").value_or(account.language);
  bool locale_ok = !locale.empty() && locale.size() <= 35 &&
                   std::all_of(locale.begin(), locale.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
  if (!locale_ok) return json_error(400, "invalid_locale", "?locale= is a language tag such as ja, en or ja-Hira");
  identity::Principal caller{.public_id = account.public_id,
                             .roles = m.identity->accounts().roles(account.id),
                             .claims_memo = {},
                             .issuer = m.manifest.public_url,
                             .assurance = account.assurance,
                             .locale = account.language,
                             .audience = account.audience};
  json::array cards, unavailable;
  for (const HomeEntry& e : home_entries(m, account)) {
    if (e.hidden) continue;
    auto app = m.find(e.id);
    auto card = app->instance->info_card(*claims_for(m, *app, caller), locale);
    if (!card) {
      log_line(LogLevel::kWarn, "cards", "info card failed", {{"mini_app", e.id}, {"error", card.error()}});
      unavailable.emplace_back(e.id);
      continue;
    }
    if (card.value().empty()) continue;  // nothing to show now
    boost::system::error_code ec;
    json::value parsed = json::parse(card.value(), ec);
    const json::object* o = ec ? nullptr : parsed.if_object();
    const json::value* title = o ? o->if_contains("title") : nullptr;
    if (!title || !title->is_string()) {
      log_line(LogLevel::kWarn, "cards", "info card without a title", {{"mini_app", e.id}});
      unavailable.emplace_back(e.id);
      continue;
    }
    json::object out = *o;
    std::string base = "/apps/" + e.id;
    const json::value* link = o->if_contains("link");
    out["link"] = link && link->is_string() && link->as_string().starts_with("/") &&
                          !link->as_string().starts_with("//")
                      ? base + std::string(link->as_string())
                      : base + "/";
    out["app"] = e.id;
    out["app_name"] = app->entry.name;
    cards.push_back(std::move(out));
  }
  HttpResponse r;
  r.body = json::serialize(json::object{{"locale", locale}, {"cards", std::move(cards)}, {"unavailable", std::move(unavailable)}});
  r.headers = {{"cache-control", "no-store"}};
  return r;
}

HttpResponse handle_consents(const MunicipalitySnapshot& m, const identity::Account& account,
                             const HttpRequest& request, std::string_view mount_id) {
  identity::ConsentStore& store = m.identity->consents();
  if (mount_id.empty()) {
    if (request.method != "GET") return json_error(405, "method_not_allowed", "use GET");
    json::array list;
    for (const auto& app : m.apps) {
      if (app->entry.grants.empty()) continue;
      std::vector<std::string> granted;
      for (const auto& claim : store.consented(account.id, app->entry.id)) {
        const auto& g = app->entry.grants;
        if (std::find(g.begin(), g.end(), claim) != g.end()) granted.push_back(claim);
      }
      list.push_back(json::object{{"mini_app", app->entry.id}, {"name", app->entry.name},
                                  {"requested", to_array(app->entry.grants)},
                                  {"granted", to_array(granted)}});
    }
    HttpResponse r;
    r.body = json::serialize(json::object{{"consents", std::move(list)}});
    r.headers = {{"cache-control", "no-store"}};
    return r;
  }
  auto app = m.find(mount_id);
  if (!app || app->entry.grants.empty()) {
    return json_error(404, "not_found", "no enabled mini-app '" + std::string(mount_id) +
                                            "' asks for claims");
  }
  if (request.method == "DELETE") {
    if (!store.revoke_consent(account.id, mount_id)) return json_error(500, "internal", "retry");
    return HttpResponse{204, "application/json", "", {}, nullptr};
  }
  if (request.method != "PUT") return json_error(405, "method_not_allowed", "use GET, PUT or DELETE");
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  const json::value* claims = !ec && body.is_object() ? body.as_object().if_contains("claims") : nullptr;
  if (!claims || !claims->is_array()) {
    return json_error(400, "invalid_request", "/claims must be an array of claim names");
  }
  std::vector<std::string> accepted;
  size_t index = 0;
  for (const json::value& c : claims->as_array()) {
    const auto& g = app->entry.grants;
    if (!c.is_string() || std::find(g.begin(), g.end(), c.as_string()) == g.end()) {
      return json_error(400, "not_granted", "/claims/" + std::to_string(index) +
                                                ": this mini-app is not granted that claim");
    }
    accepted.emplace_back(c.as_string());
    ++index;
  }
  if (!store.set_consent(account.id, mount_id, accepted)) return json_error(500, "internal", "retry");
  HttpResponse r;
  r.body = json::serialize(json::object{{"mini_app", app->entry.id}, {"granted", to_array(accepted)}});
  return r;
}

}  // namespace machi

namespace machi {

HttpResponse handle_home_order(const MunicipalitySnapshot& m, const identity::Account& account,
                               const HttpRequest& request) {
  identity::AccountStore& store = m.identity->accounts();
  if (request.method == "PUT") {
    boost::system::error_code ec;
    json::value body = json::parse(request.body, ec);
    const json::value* apps = !ec && body.is_object() ? body.as_object().if_contains("apps") : nullptr;
    if (!apps || !apps->is_array() || apps->as_array().size() > 500) {
      return json_error(400, "invalid_request", "/apps must be an array of at most 500 {id, hidden}");
    }
    size_t index = 0;
    json::array saved;
    for (const json::value& item : apps->as_array()) {
      std::string at = "/apps/" + std::to_string(index++);
      const json::object* o = item.if_object();
      const json::value* id = o ? o->if_contains("id") : nullptr;
      const json::value* hidden = o ? o->if_contains("hidden") : nullptr;
      bool known = id && id->is_string() &&
                   std::any_of(m.manifest.mini_apps.begin(), m.manifest.mini_apps.end(),
                               [&](const MiniAppEntry& e) { return e.id == id->as_string(); });
      if (!known) return json_error(400, "unknown_mini_app", at + "/id: not a mini-app of this municipality");
      if (hidden && !hidden->is_bool()) return json_error(400, "invalid_request", at + "/hidden: true or false");
      saved.push_back(json::object{{"id", id->as_string()}, {"hidden", hidden && hidden->as_bool()}});
    }
    if (!store.set_home_order(account.id, json::serialize(saved))) return json_error(500, "internal", "retry");
  } else if (request.method != "GET") {
    return json_error(405, "method_not_allowed", "use GET or PUT");
  }
  json::array out;
  for (const HomeEntry& e : home_entries(m, account)) {
    auto app = m.find(e.id);
    out.push_back(json::object{{"id", e.id}, {"name", app->entry.name}, {"hidden", e.hidden},
                               {"url", m.manifest.public_url + "/apps/" + e.id + "/"}});
  }
  HttpResponse r;
  r.body = json::serialize(json::object{{"apps", std::move(out)}});
  r.headers = {{"cache-control", "no-store"}};
  return r;
}

}  // namespace machi
