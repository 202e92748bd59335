// The citizen card, disclosures, staff card verification and counter recovery (auth_api.h).
#include <algorithm>

#include "runtime/identity/auth_api.h"
#include "runtime/identity/auth_helpers.h"
#include "runtime/identity/citizen_card.h"
#include "runtime/log/log.h"

namespace machi::identity {

using namespace detail;

namespace {

constexpr const char* kCardClaims = "legal_name,birthdate,address";
constexpr int64_t kRecoveryLifetimeMs = 30 * 60 * 1000;

// A recovery code a resident can read out or type: 12 characters from an alphabet without
// look-alikes (60 bits).
std::string recovery_code() {
  static constexpr char kAlphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  unsigned char random[12];
  RAND_bytes(random, sizeof random);
  std::string code;
  for (unsigned char b : random) code.push_back(kAlphabet[b % 32]);
  return code;
}

}  // namespace

std::optional<Account> AuthApi::staff_account(const HttpRequest& r, MunicipalityIdentity& id,
                                              const std::string& issuer, HttpResponse& error,
                                              const std::vector<std::string>& allowed) {
  auto account = authenticated_account(r, id, issuer, error);
  if (!account) return std::nullopt;
  // Roles are read now, not from the token: removing a role takes effect at once.
  std::vector<std::string> roles = id.accounts().roles(account->id);
  bool permitted = allowed.empty() ? !roles.empty()
                                   : std::any_of(roles.begin(), roles.end(), [&](const std::string& role) {
                                       return std::find(allowed.begin(), allowed.end(), role) != allowed.end();
                                     });
  if (!permitted) {
    error = json_error(403, "forbidden", "this needs a staff role");
    return std::nullopt;
  }
  return account;
}

std::optional<Account> AuthApi::resident_of_card(std::string_view card, MunicipalityIdentity& id,
                                                 const std::string& issuer, HttpResponse& error) {
  auto resident = redeem_citizen_card(id, card, issuer);
  if (!resident) {
    error = json_error(403, "invalid_card", resident.error());
    return std::nullopt;
  }
  return std::move(resident).value();
}

HttpResponse AuthApi::citizen_card(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer) {
  HttpResponse error;
  auto account = authenticated_account(r, id, issuer, error);
  if (!account) return error;
  if (account->assurance != "verified") {
    return json_error(403, "not_verified", "the citizen card needs a verified account (eKYC)");
  }
  auto card = issue_citizen_card(id, *account, issuer);
  if (!card) return json_error(500, "internal", "cannot issue the card");
  auto svg = qr_svg(card->token);
  if (!svg) return json_error(500, "internal", "cannot draw the QR code");
  if (r.query == "format=svg") {
    HttpResponse image{200, "image/svg+xml", std::move(svg).value(), {{"cache-control", "no-store"}}, nullptr};
    return image;
  }
  return ok_json(json::object{{"token", card->token},
                              {"expires_in", kCardLifetime.count()},
                              {"qr_svg", svg.value()}});
}

HttpResponse AuthApi::my_disclosures(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer) {
  HttpResponse error;
  auto account = authenticated_account(r, id, issuer, error);
  if (!account) return error;
  json::array list;
  for (const auto& d : id.consents().disclosures(account->id)) {
    json::array claims;
    for (size_t start = 0; start < d.claims.size();) {
      size_t end = d.claims.find(',', start);
      if (end == std::string::npos) end = d.claims.size();
      claims.emplace_back(d.claims.substr(start, end - start));
      start = end + 1;
    }
    list.push_back(json::object{{"at_ms", d.at_ms}, {"by", d.staff_login},
                                {"purpose", d.purpose}, {"claims", std::move(claims)}});
  }
  return ok_json(json::object{{"disclosures", std::move(list)}});
}

HttpResponse AuthApi::staff_verify_card(const HttpRequest& r, MunicipalityIdentity& id,
                                        const std::string& issuer) {
  HttpResponse error;
  auto staff = staff_account(r, id, issuer, error, {});
  if (!staff) return error;
  auto body = body_object(r, error);
  if (!body) return error;
  auto resident = resident_of_card(field(*body, "card"), id, issuer, error);
  if (!resident) return error;
  if (!id.consents().add_disclosure(resident->id, {now_ms(), staff->login, "citizen-card", kCardClaims})) {
    return json_error(500, "internal", "cannot write the disclosure log; nothing was disclosed");
  }
  log_line(LogLevel::kInfo, "identity", "citizen card verified", {{"staff", staff->login}});
  boost::system::error_code ec;
  json::value address = json::parse(resident->address_json, ec);
  return ok_json(json::object{{"assurance", "verified"},
                              {"legal_name", resident->legal_name},
                              {"birthdate", resident->birthdate},
                              {"address", ec ? json::value(nullptr) : address}});
}

HttpResponse AuthApi::staff_recovery(const HttpRequest& r, MunicipalityIdentity& id,
                                     const std::string& issuer) {
  HttpResponse error;
  auto staff = staff_account(r, id, issuer, error, {"counter", "operator"});
  if (!staff) return error;
  auto body = body_object(r, error);
  if (!body) return error;
  auto resident = resident_of_card(field(*body, "card"), id, issuer, error);
  if (!resident) return error;
  std::string code = recovery_code();
  if (!id.sign_ins().add_recovery_code(sha256_hex(code), resident->id, now_ms() + kRecoveryLifetimeMs) ||
      !id.consents().add_disclosure(resident->id, {now_ms(), staff->login, "recovery", "login"})) {
    return json_error(500, "internal", "cannot issue a recovery code");
  }
  log_line(LogLevel::kInfo, "identity", "recovery code issued", {{"staff", staff->login}});
  return ok_json(json::object{{"login", resident->login},
                              {"code", code},
                              {"expires_in", kRecoveryLifetimeMs / 1000}});
}

HttpResponse AuthApi::recover(const HttpRequest& r, MunicipalityIdentity& id, const std::string& client) {
  HttpResponse error;
  auto body = body_object(r, error);
  if (!body) return error;
  std::string login = field(*body, "login");
  std::string code = field(*body, "code");
  std::string next = field(*body, "new_password");
  if (const char* p = password_problem(next)) return json_error(400, "weak_password", std::string("/new_password: ") + p);
  // Guessing codes backs off like guessing passwords.
  auto [login_key, client_key] = backoff_keys(login, client);
  SignInStore& store = id.sign_ins();
  int64_t blocked = std::max(store.blocked_until_ms(login_key), store.blocked_until_ms(client_key));
  if (blocked > now_ms()) return too_many(blocked);
  auto account = id.accounts().by_login(login);
  if (!account || !store.use_recovery_code(sha256_hex(code), account->id, now_ms())) {
    store.record_failure(login_key, now_ms());
    store.record_failure(client_key, now_ms());
    return json_error(401, "invalid_code", "wrong login or recovery code");
  }
  auto hashed = hasher_.hash(next);
  if (!hashed || !id.accounts().set_password(account->id, hashed.value())) {
    return json_error(503, "busy", "retry shortly");
  }
  store.revoke_account(account->id);
  store.clear_failures(login_key);
  log_line(LogLevel::kInfo, "identity", "password reset with a counter recovery code");
  return no_content();
}

}  // namespace machi::identity
