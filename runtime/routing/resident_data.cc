#include "runtime/routing/resident_data.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "runtime/log/log.h"

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
  HttpResponse r;
  r.body = json::serialize(json::object{{"municipality", m.manifest.municipality_id},
                                        {"account", identity::AuthApi::account_json(account)},
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
  if (Status s = m.identity->accounts().delete_account(account.id); !s) {
    return json_error(500, "internal", "deleting the account failed; please retry");
  }
  log_line(LogLevel::kInfo, "identity", "account deleted");
  HttpResponse r;
  r.status = 204;
  return r;
}

}  // namespace machi
