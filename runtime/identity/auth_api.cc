#include "runtime/identity/auth_api.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "runtime/identity/auth_helpers.h"
#include "runtime/identity/base64url.h"
#include "runtime/identity/ekyc.h"
#include "runtime/log/log.h"

namespace machi::identity {
namespace json = boost::json;

using namespace detail;

json::object AuthApi::account_json(const Account& a) {
  json::object o{{"login", a.login},         {"display_name", a.display_name},
                 {"language", a.language},   {"audience", a.audience},
                 {"assurance", a.assurance}, {"created_ms", a.created_ms}};
  o["district"] = a.district;
  boost::system::error_code hec;
  json::value household = json::parse(a.household_json, hec);
  o["household"] = hec ? json::value(json::array{}) : household;
  if (a.assurance == "verified") {
    o["legal_name"] = a.legal_name;
    o["birthdate"] = a.birthdate;
    boost::system::error_code ec;
    json::value address = json::parse(a.address_json, ec);
    o["address"] = ec ? json::value(nullptr) : address;
  }
  return o;
}

HttpResponse AuthApi::verification_nonce(const HttpRequest& r, MunicipalityIdentity& id,
                                         const std::string& issuer) {
  HttpResponse error;
  auto account = authenticated_account(r, id, issuer, error);
  if (!account) return error;
  std::string nonce = random_token();
  constexpr int64_t kLifetimeSeconds = 600;
  if (!id.sign_ins().add_nonce(sha256_hex(nonce), account->id, now_ms() + kLifetimeSeconds * 1000)) {
    return json_error(500, "internal", "cannot store the nonce");
  }
  return ok_json(json::object{{"nonce", nonce}, {"expires_in", kLifetimeSeconds},
                              {"audience", issuer}});
}

HttpResponse AuthApi::verify(const HttpRequest& r, MunicipalityIdentity& id, const Manifest& manifest) {
  HttpResponse error;
  auto account = authenticated_account(r, id, manifest.public_url, error);
  if (!account) return error;
  auto body = body_object(r, error);
  if (!body) return error;
  auto verified = verify_ekyc_assertion(field(*body, "assertion"), manifest.verifiers,
                                        manifest.public_url);
  if (!verified) {
    log_line(LogLevel::kWarn, "identity", "eKYC assertion refused", {{"reason", verified.error()}});
    return json_error(403, "verification_refused", verified.error());
  }
  switch (id.sign_ins().use_nonce(sha256_hex(verified->nonce), account->id, now_ms())) {
    case SignInStore::NonceUse::kOk: break;
    case SignInStore::NonceUse::kUsed:
      return json_error(403, "verification_refused", "invalid assertion: nonce already used");
    case SignInStore::NonceUse::kExpired:
      return json_error(403, "verification_refused", "invalid assertion: nonce expired");
    case SignInStore::NonceUse::kUnknown:
    case SignInStore::NonceUse::kOtherAccount:
      return json_error(403, "verification_refused", "invalid assertion: nonce not issued to you");
  }
  if (!id.accounts().set_verified(account->id, verified->legal_name, verified->birthdate,
                                  verified->address_json)) {
    return json_error(500, "internal", "cannot store the verification");
  }
  log_line(LogLevel::kInfo, "identity", "account verified", {{"verifier", verified->issuer}});
  return ok_json(account_json(*id.accounts().by_id(account->id)));
}

std::optional<Account> AuthApi::authenticated_account(const HttpRequest& r,
                                                      MunicipalityIdentity& id,
                                                      const std::string& issuer,
                                                      HttpResponse& error,
                                                      const std::string* password) {
  auto caller = id.authenticate_request(r.header("authorization"), r.header("cookie"),
                                        r.header("x-csrf-token"), r.method, issuer);
  if (caller.status != 200) {
    error = caller.status == 403 ? json_error(403, "csrf", caller.message)
                                 : unauthorized(caller.status == 0 ? "sign in first" : caller.message);
    return std::nullopt;
  }
  auto account = id.accounts().by_public_id(caller.principal->public_id);
  if (!account) {
    error = unauthorized("the account no longer exists");
    return std::nullopt;
  }
  if (password) {
    auto check = hasher_.verify(*password, account->password_hash);
    if (check != PasswordHasher::Check::kMatch) {
      error = check == PasswordHasher::Check::kBusy
                  ? json_error(503, "busy", "retry shortly")
                  : json_error(403, "invalid_credentials", "/password is wrong");
      return std::nullopt;
    }
  }
  return account;
}

AuthApi::AuthApi(PasswordHasher& hasher) : hasher_(hasher) {
  dummy_hash_ = hasher_.hash("not a password anyone has").value();
}

HttpResponse AuthApi::handle(const HttpRequest& request, std::string_view path,
                             MunicipalityIdentity& identity, const Manifest& manifest,
                             const std::string& client) {
  const std::string& issuer = manifest.public_url;
  auto need = [&](const char* method) { return request.method == method; };
  if (path == "me/citizen-card") {
    return need("GET") ? citizen_card(request, identity, issuer) : json_error(405, "method_not_allowed", "use GET");
  }
  if (path == "me/disclosures") {
    return need("GET") ? my_disclosures(request, identity, issuer) : json_error(405, "method_not_allowed", "use GET");
  }
  if (path == "staff/citizen-card/verify") {
    return need("POST") ? staff_verify_card(request, identity, issuer)
                        : json_error(405, "method_not_allowed", "use POST");
  }
  if (path == "staff/recovery") {
    return need("POST") ? staff_recovery(request, identity, issuer)
                        : json_error(405, "method_not_allowed", "use POST");
  }
  if (path == "auth/recover") {
    return need("POST") ? recover(request, identity, client) : json_error(405, "method_not_allowed", "use POST");
  }
  if (path == "me/verification/nonce") {
    return need("POST") ? verification_nonce(request, identity, issuer)
                        : json_error(405, "method_not_allowed", "use POST");
  }
  if (path == "me/verification") {
    return need("POST") ? verify(request, identity, manifest)
                        : json_error(405, "method_not_allowed", "use POST");
  }
  if (path == "auth/register") {
    return need("POST") ? register_account(request, identity, issuer, client)
                        : json_error(405, "method_not_allowed", "use POST");
  }
  if (path == "auth/token") {
    return need("POST") ? token(request, identity, issuer, client)
                        : json_error(405, "method_not_allowed", "use POST");
  }
  if (path == "auth/session") {
    if (need("POST")) return open_session(request, identity, manifest, client);
    if (need("DELETE")) return close_session(request, identity, issuer);
    if (need("GET")) return current_session(request, identity);
    return json_error(405, "method_not_allowed", "use GET, POST or DELETE");
  }
  if (path == "auth/signout") {
    return need("POST") ? sign_out(request, identity) : json_error(405, "method_not_allowed", "use POST");
  }
  if (path == "me") {
    if (need("PATCH")) return update_profile(request, identity, manifest);
    return need("GET") ? me(request, identity, issuer) : json_error(405, "method_not_allowed", "use GET or PATCH");
  }
  if (path == "me/password") {
    return need("POST") ? change_password(request, identity, issuer)
                        : json_error(405, "method_not_allowed", "use POST");
  }
  return json_error(404, "not_found", "no such endpoint: /api/v1/" + std::string(path));
}

HttpResponse AuthApi::tokens_for(const Account& account, MunicipalityIdentity& id,
                                 const std::string& issuer, std::string family, unsigned status) {
  auto access = id.issue_access_token(account, issuer);
  if (!access) return json_error(500, "internal", "cannot sign a token");
  std::string refresh = random_token();
  if (family.empty()) family = random_token();
  Status stored = id.sign_ins().add_refresh(sha256_hex(refresh), account.id, family,
                                            now_ms() + kRefreshTokenLifetime.count() * 1000);
  if (!stored) return json_error(500, "internal", "cannot store the refresh token");
  return ok_json(json::object{{"token_type", "Bearer"},
                              {"access_token", access.value()},
                              {"expires_in", kAccessTokenLifetime.count()},
                              {"refresh_token", refresh},
                              {"account", account_json(account)}},
                 status);
}

HttpResponse AuthApi::register_account(const HttpRequest& r, MunicipalityIdentity& id,
                                       const std::string& issuer, const std::string& client) {
  HttpResponse error;
  auto body = body_object(r, error);
  if (!body) return error;
  // "login_taken" tells whether a login exists (residents need to know); so that it cannot list
  // logins fast, each such answer to one client counts like a failed sign-in: three free, then
  // 1 s, 2 s, 4 s … up to 15 minutes (429). Successful sign-ups never count and never reset it.
  const std::string signup_key = "signup:" + client;
  if (int64_t blocked = id.sign_ins().blocked_until_ms(signup_key); blocked > now_ms()) return too_many(blocked);
  Account a;
  a.login = field(*body, "login");
  std::string password = field(*body, "password");
  a.display_name = field(*body, "display_name");
  a.language = field(*body, "language");
  if (a.language.empty()) a.language = "ja";
  a.audience = field(*body, "audience");
  if (a.audience.empty()) a.audience = "resident";
  if (a.audience != "resident" && a.audience != "visitor") {
    return json_error(400, "invalid_audience", "/audience: resident or visitor");
  }
  if (!valid_login(a.login)) return json_error(400, "invalid_login", "/login: 3–254 characters, no spaces");
  if (const char* p = password_problem(password)) return json_error(400, "weak_password", std::string("/password: ") + p);
  if (a.display_name.empty() || a.display_name.size() > 200) {
    return json_error(400, "invalid_display_name", "/display_name: 1–200 bytes");
  }
  if (a.language.size() > 35) return json_error(400, "invalid_language", "/language: a BCP 47 tag");
  auto hashed = hasher_.hash(password);
  if (!hashed) return json_error(503, "busy", "sign-up is busy; retry shortly");
  a.password_hash = hashed.value();
  auto created = id.accounts().create(a);
  if (!created) {
    if (created.code() == StatusCode::kAlreadyExists) {
      id.sign_ins().record_failure(signup_key, now_ms());
      return json_error(409, "login_taken", "/login is already registered");
    }
    return json_error(500, "internal", "cannot store the account");
  }
  log_line(LogLevel::kInfo, "identity", "account registered");
  return tokens_for(created.value(), id, issuer, "", 201);
}

HttpResponse AuthApi::token(const HttpRequest& r, MunicipalityIdentity& id,
                            const std::string& issuer, const std::string& client) {
  HttpResponse error;
  auto body = body_object(r, error);
  if (!body) return error;
  std::string grant = field(*body, "grant_type");
  if (grant == "password") return password_grant(r, *body, id, issuer, client);
  if (grant == "refresh_token") return refresh_grant(*body, id, issuer);
  return json_error(400, "unsupported_grant_type", "grant_type must be password or refresh_token");
}

std::optional<Account> AuthApi::check_password(const json::object& body, MunicipalityIdentity& id,
                                               const std::string& client, std::string_view cookie_header,
                                               HttpResponse& error, std::string& device_cookie) {
  std::string login = field(body, "login");
  std::string password = field(body, "password");
  if (!valid_login(login) || password.empty() || password.size() > 1024) {
    error = json_error(400, "invalid_request", "login and password are required");
    return std::nullopt;
  }
  // A browser this login signed in on before is throttled by its own failures only; any other
  // client by the login's failures from unknown clients and by its address's failures. So an
  // attacker's guesses keep unknown clients out of the login, never the resident's own browser.
  const int64_t now = now_ms();
  std::string device = id.devices().trusted(cookie_header, login, now / 1000);
  std::vector<std::string> keys;
  if (!device.empty()) {
    keys.push_back("device:" + device);
  } else {
    auto [login_key, client_key] = backoff_keys(login, client);
    keys = {std::move(login_key), std::move(client_key)};
  }
  SignInStore& store = id.sign_ins();
  int64_t blocked = 0;
  for (const std::string& key : keys) blocked = std::max(blocked, store.blocked_until_ms(key));
  if (blocked > now) {
    error = too_many(blocked);
    return std::nullopt;
  }
  auto account = id.accounts().by_login(login);
  auto check = hasher_.verify(password, account ? account->password_hash : dummy_hash_);
  if (check == PasswordHasher::Check::kBusy) {
    error = json_error(503, "busy", "sign-in is busy; retry shortly");
    return std::nullopt;
  }
  if (!account || check != PasswordHasher::Check::kMatch) {
    for (const std::string& key : keys) store.record_failure(key, now);
    log_line(LogLevel::kWarn, "identity", "sign-in failed",
             {{"client", client}, {"device", device.empty() ? "unknown" : "trusted"}});
    error = json_error(401, "invalid_credentials", "wrong login or password");
    return std::nullopt;
  }
  // A trusted device's success clears only its own count: the unknown clients' back-off of the
  // login stays, or an attacker could guess on as soon as the resident signed in.
  for (const std::string& key : keys) store.clear_failures(key);
  device_cookie = id.devices().after_sign_in(cookie_header, login, now / 1000);
  return account;
}

HttpResponse AuthApi::password_grant(const HttpRequest& r, const json::object& body,
                                     MunicipalityIdentity& id, const std::string& issuer,
                                     const std::string& client) {
  HttpResponse error;
  std::string device;
  auto account = check_password(body, id, client, r.header("cookie"), error, device);
  if (!account) return error;
  HttpResponse answer = tokens_for(*account, id, issuer, "");
  answer.headers.emplace_back("set-cookie", DeviceCookies::set_cookie(device, issuer.starts_with("https://")));
  return answer;
}

HttpResponse AuthApi::open_session(const HttpRequest& r, MunicipalityIdentity& id,
                                   const Manifest& manifest, const std::string& client) {
  HttpResponse error;
  auto body = body_object(r, error);
  if (!body) return error;
  std::string device;
  auto account = check_password(*body, id, client, r.header("cookie"), error, device);
  if (!account) return error;
  std::string session = random_token();
  std::string csrf = random_token();
  constexpr int64_t kSessionSeconds = 7 * 24 * 3600;
  if (!id.sign_ins().add_session(sha256_hex(session), account->id, csrf, now_ms() + kSessionSeconds * 1000)) {
    return json_error(500, "internal", "cannot store the session");
  }
  json::array roles;
  for (const std::string& role : id.accounts().roles(account->id)) roles.emplace_back(role);
  HttpResponse r2 = ok_json(json::object{{"csrf_token", csrf}, {"account", account_json(*account)},
                                         {"roles", std::move(roles)}});
  bool tls = manifest.public_url.rfind("https://", 0) == 0;
  r2.headers.emplace_back("set-cookie", std::string(MunicipalityIdentity::kSessionCookie) + "=" + session +
                                            "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                                            std::to_string(kSessionSeconds) + (tls ? "; Secure" : ""));
  r2.headers.emplace_back("set-cookie", DeviceCookies::set_cookie(device, tls));
  return r2;
}

HttpResponse AuthApi::current_session(const HttpRequest& r, MunicipalityIdentity& id) {
  // A GET: the cookie goes only with same-site requests (SameSite=Strict), and only this
  // origin's script can read the answer (no CORS), so the CSRF token reaches only the shell.
  std::string_view session_id = MunicipalityIdentity::session_cookie(r.header("cookie"));
  auto session = session_id.empty() ? std::nullopt
                                    : id.sign_ins().session(sha256_hex(session_id), now_ms());
  auto account = session ? id.accounts().by_id(session->first) : std::nullopt;
  if (!account) return json_error(401, "no_session", "not signed in (no live session cookie)");
  json::array roles;
  for (const std::string& role : id.accounts().roles(account->id)) roles.emplace_back(role);
  HttpResponse r2 = ok_json(json::object{{"csrf_token", session->second}, {"account", account_json(*account)},
                                         {"roles", std::move(roles)}});
  r2.headers.emplace_back("cache-control", "no-store");
  return r2;
}

HttpResponse AuthApi::close_session(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer) {
  HttpResponse error;
  auto account = authenticated_account(r, id, issuer, error);  // checks the CSRF token
  if (!account) return error;
  std::string_view session = MunicipalityIdentity::session_cookie(r.header("cookie"));
  if (!session.empty()) id.sign_ins().delete_session(sha256_hex(session));
  HttpResponse done = no_content();
  done.headers.emplace_back("set-cookie", std::string(MunicipalityIdentity::kSessionCookie) +
                                              "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  return done;
}

HttpResponse AuthApi::refresh_grant(const json::object& body, MunicipalityIdentity& id,
                                    const std::string& issuer) {
  std::string token = field(body, "refresh_token");
  if (token.empty() || token.size() > 256) return json_error(400, "invalid_request", "refresh_token is required");
  int64_t account_id = 0;
  std::string family;
  switch (id.sign_ins().use_refresh(sha256_hex(token), now_ms(), account_id, family)) {
    case SignInStore::RefreshUse::kOk: break;
    case SignInStore::RefreshUse::kReused:
      log_line(LogLevel::kWarn, "identity", "refresh token reused: sign-in revoked");
      return json_error(401, "invalid_grant", "refresh token already used; sign in again");
    case SignInStore::RefreshUse::kExpired:
      return json_error(401, "invalid_grant", "refresh token expired; sign in again");
    case SignInStore::RefreshUse::kUnknown:
      return json_error(401, "invalid_grant", "unknown refresh token");
  }
  // The account may have changed (password, assurance) since: read it again.
  std::optional<Account> account = id.accounts().by_id(account_id);
  if (!account) return json_error(401, "invalid_grant", "the account no longer exists");
  return tokens_for(*account, id, issuer, family);
}

HttpResponse AuthApi::sign_out(const HttpRequest& r, MunicipalityIdentity& id) {
  HttpResponse error;
  auto body = body_object(r, error);
  if (!body) return error;
  std::string token = field(*body, "refresh_token");
  int64_t account_id = 0;
  std::string family;
  auto use = id.sign_ins().use_refresh(sha256_hex(token), now_ms(), account_id, family);
  if (use == SignInStore::RefreshUse::kUnknown) return json_error(401, "invalid_grant", "unknown refresh token");
  const boost::json::value* everywhere = body->if_contains("everywhere");
  if (everywhere && !everywhere->is_bool()) return json_error(400, "invalid_request", "/everywhere: must be true or false");
  if (everywhere && everywhere->as_bool()) {
    // Every sign-in of the account: refresh tokens, web sessions and every access token issued.
    id.sign_ins().revoke_account(account_id);
    log_line(LogLevel::kInfo, "identity", "signed out everywhere");
    return no_content();
  }
  id.sign_ins().revoke_family(family);
  return no_content();
}

HttpResponse AuthApi::me(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer) {
  HttpResponse error;
  auto account = authenticated_account(r, id, issuer, error);
  return account ? ok_json(account_json(*account)) : error;
}

HttpResponse AuthApi::update_profile(const HttpRequest& r, MunicipalityIdentity& id,
                                     const Manifest& manifest) {
  HttpResponse error;
  auto account = authenticated_account(r, id, manifest.public_url, error);
  if (!account) return error;
  auto body = body_object(r, error);
  if (!body) return error;
  Account next = *account;
  for (const auto& [key, value] : *body) {
    std::string k(key);
    if (k == "display_name") {
      if (!value.is_string() || value.as_string().empty() || value.as_string().size() > 200) {
        return json_error(400, "invalid_profile", "/display_name: 1–200 bytes");
      }
      next.display_name = std::string(value.as_string());
    } else if (k == "language") {
      if (!value.is_string() || value.as_string().empty() || value.as_string().size() > 35) {
        return json_error(400, "invalid_profile", "/language: a BCP 47 tag");
      }
      next.language = std::string(value.as_string());
    } else if (k == "audience") {
      if (!value.is_string() || (value.as_string() != "resident" && value.as_string() != "visitor")) {
        return json_error(400, "invalid_profile", "/audience: resident or visitor");
      }
      next.audience = std::string(value.as_string());
    } else if (k == "district") {
      const json::value& wanted = value;  // a structured binding: not capturable before C++20 P1091 (clang 14)
      bool known = wanted.is_string() &&
                   std::any_of(manifest.districts.begin(), manifest.districts.end(),
                               [&](const auto& d) { return d.first == wanted.as_string(); });
      if (!known) return json_error(400, "invalid_profile", "/district: not a district of this municipality");
      next.district = std::string(value.as_string());
    } else if (k == "household") {
      if (!value.is_array() || value.as_array().size() > 20) {
        return json_error(400, "invalid_profile", "/household: an array of at most 20 members");
      }
      size_t i = 0;
      for (const json::value& member : value.as_array()) {
        std::string at = "/household/" + std::to_string(i++);
        const json::object* o = member.if_object();
        const json::value* name = o ? o->if_contains("name") : nullptr;
        const json::value* birth = o ? o->if_contains("birthdate") : nullptr;
        const json::value* relation = o ? o->if_contains("relation") : nullptr;
        if (!name || !name->is_string() || name->as_string().empty() || !birth || !birth->is_string() ||
            !is_iso_date(birth->as_string()) ||
            (relation && !relation->is_string())) {
          return json_error(400, "invalid_profile",
                            at + ": needs name and birthdate (YYYY-MM-DD); relation is a string");
        }
      }
      next.household_json = json::serialize(value);
    } else {
      return json_error(400, "invalid_profile", "/" + k + ": not an editable field (legal name, birth "
                                                "date and address come from eKYC)");
    }
  }
  if (!id.accounts().update_profile(next)) return json_error(500, "internal", "retry");
  return ok_json(account_json(*id.accounts().by_id(account->id)));
}

HttpResponse AuthApi::change_password(const HttpRequest& r, MunicipalityIdentity& id,
                                      const std::string& issuer) {
  HttpResponse error;
  auto account = authenticated_account(r, id, issuer, error);
  if (!account) return error;
  auto body = body_object(r, error);
  if (!body) return error;
  std::string next = field(*body, "new_password");
  if (const char* p = password_problem(next)) return json_error(400, "weak_password", std::string("/new_password: ") + p);
  auto check = hasher_.verify(field(*body, "current_password"), account->password_hash);
  if (check == PasswordHasher::Check::kBusy) return json_error(503, "busy", "retry shortly");
  if (check != PasswordHasher::Check::kMatch) return json_error(403, "invalid_credentials", "/current_password is wrong");
  auto hashed = hasher_.hash(next);
  if (!hashed) return json_error(503, "busy", "retry shortly");
  if (!id.accounts().set_password(account->id, hashed.value())) return json_error(500, "internal", "cannot store");
  id.sign_ins().revoke_account(account->id);  // every other sign-in must sign in again
  return no_content();
}

}  // namespace machi::identity
