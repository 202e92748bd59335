// AuthApi: the resident account endpoints (JSON), run on a worker thread because of scrypt and
// SQLite. Routes (below /api/v1):
//   POST auth/register   {login, password, display_name, language?}        → 201 + tokens
//   POST auth/token      {grant_type: "password", login, password}         → tokens
//                        {grant_type: "refresh_token", refresh_token}       → rotated tokens
//   POST auth/signout    {refresh_token}                                   → 204 (family revoked)
//   POST auth/session    {login, password}  web app sign-in: HttpOnly SameSite=Strict cookie
//                        (Secure on https) + {csrf_token, account, roles}; cookie requests that change
//                        state must send X-CSRF-Token
//   GET  auth/session    (cookie)  the live session's {csrf_token, account, roles} (the shell after a reload)
//   DELETE auth/session  (cookie + X-CSRF-Token)                            → 204, cookie cleared
//   GET  me              (Bearer)                                          → the account
//   PATCH me             (Bearer) {display_name?, language?, district?, household?} → the account
//   POST me/password     (Bearer) {current_password, new_password}         → 204
//   POST me/verification/nonce (Bearer)                                    → {nonce, expires_in}
//   POST me/verification (Bearer) {assertion}  an eKYC assertion (ekyc.h)  → the verified account
//   GET  me/citizen-card (Bearer, verified) [?format=svg] → {token, expires_in, qr_svg} or SVG
//   GET  me/disclosures  (Bearer)                        → who read what of my data, when
//   POST staff/citizen-card/verify (Bearer, any staff role) {card} → legal name, birth date,
//        address; each card once; logged as a disclosure
//   POST staff/recovery  (Bearer, role counter or operator) {card} → a one-time recovery code
//   POST auth/recover    {login, code, new_password}     → 204; every sign-in ended
// Sign-in failures back off per account and per client address (free for 3, then 1 s doubling
// to 15 min; 429 + Retry-After), never locking anyone out for good.
// Thread-safety: handle() may run concurrently.
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "runtime/http/http_message.h"
#include "runtime/identity/municipality_identity.h"
#include "runtime/identity/password_hasher.h"
#include "runtime/manifest/manifest.h"

namespace machi::identity {

class AuthApi {
 public:
  explicit AuthApi(PasswordHasher& hasher);

  // `path` is below /api/v1/; `client` the client address (trusted-proxy aware).
  HttpResponse handle(const HttpRequest& request, std::string_view path,
                      MunicipalityIdentity& identity, const Manifest& manifest,
                      const std::string& client);

  static constexpr size_t kMaxBody = 16 * 1024;

  // The account behind a Bearer token; `error` is the 401 to answer otherwise. When `password`
  // is given it must match too (re-authentication for deletion; 403 otherwise).
  std::optional<Account> authenticated_account(const HttpRequest& r, MunicipalityIdentity& id,
                                               const std::string& issuer, HttpResponse& error,
                                               const std::string* password = nullptr);
  static boost::json::object account_json(const Account& account);

  // The signed-in staff account holding one of `roles` (any staff role when empty).
  std::optional<Account> staff_account(const HttpRequest& r, MunicipalityIdentity& id,
                                       const std::string& issuer, HttpResponse& error,
                                       const std::vector<std::string>& roles);

 private:
  HttpResponse register_account(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer,
                                const std::string& client);
  HttpResponse token(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer,
                     const std::string& client);
  // Back-off (per trusted device, else per login and client), then the password: the account and
  // the trusted-device cookie's next value (`device_cookie`), or `error` (400/401/429/503).
  std::optional<Account> check_password(const boost::json::object& body, MunicipalityIdentity& id,
                                        const std::string& client, std::string_view cookie_header,
                                        HttpResponse& error, std::string& device_cookie);
  HttpResponse open_session(const HttpRequest& r, MunicipalityIdentity& id, const Manifest& manifest,
                            const std::string& client);
  HttpResponse close_session(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer);
  HttpResponse current_session(const HttpRequest& r, MunicipalityIdentity& id);
  HttpResponse password_grant(const HttpRequest& r, const boost::json::object& body,
                              MunicipalityIdentity& id, const std::string& issuer,
                              const std::string& client);
  HttpResponse refresh_grant(const boost::json::object& body, MunicipalityIdentity& id,
                             const std::string& issuer);
  HttpResponse sign_out(const HttpRequest& r, MunicipalityIdentity& id);
  HttpResponse me(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer);
  HttpResponse update_profile(const HttpRequest& r, MunicipalityIdentity& id, const Manifest& manifest);
  HttpResponse change_password(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer);
  HttpResponse verification_nonce(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer);
  HttpResponse verify(const HttpRequest& r, MunicipalityIdentity& id, const Manifest& manifest);
  // citizen_card_api.cc
  HttpResponse citizen_card(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer);
  HttpResponse my_disclosures(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer);
  HttpResponse staff_verify_card(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer);
  HttpResponse staff_recovery(const HttpRequest& r, MunicipalityIdentity& id, const std::string& issuer);
  HttpResponse recover(const HttpRequest& r, MunicipalityIdentity& id, const std::string& client);
  // The resident behind a scanned card, spending the card; `error` says why not.
  std::optional<Account> resident_of_card(std::string_view card, MunicipalityIdentity& id,
                                          const std::string& issuer, HttpResponse& error);
  HttpResponse tokens_for(const Account& account, MunicipalityIdentity& id, const std::string& issuer,
                          std::string family, unsigned status = 200);

  PasswordHasher& hasher_;
  std::string dummy_hash_;  // verified against when the login is unknown: same cost, no oracle
};

}  // namespace machi::identity
