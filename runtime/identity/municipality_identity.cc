#include "runtime/identity/municipality_identity.h"

#include <boost/json/parse.hpp>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>

#include "machi/plugin_api.h"
#include <openssl/rand.h>

#include "runtime/identity/auth_helpers.h"
#include "runtime/identity/base64url.h"
#include "runtime/identity/device_cookie.h"

namespace machi::identity {

Result<std::shared_ptr<MunicipalityIdentity>> MunicipalityIdentity::open(
    const std::filesystem::path& data_dir, std::string municipality_id) {
  auto keys = KeyStore::open(data_dir / "keys", kKeyRotation, kKeyRetention);
  if (!keys) return keys.status();
  auto rotated = keys.value()->rotate_if_due(KeyStore::Clock::now());
  if (!rotated) return rotated.status();
  auto database = storage::RuntimeDatabase::open(data_dir / "runtime.db");
  if (!database) return database.status();
  auto pairwise = database.value()->secret("pairwise", 32);
  if (!pairwise) return pairwise.status();
  // The VAPID key signs Web Push requests. It never rotates: browsers bind each subscription to
  // it, so a new key would silently end every resident's push subscription.
  const std::filesystem::path vapid_file = data_dir / "vapid.pem";
  auto vapid = std::filesystem::exists(vapid_file) ? Es256Key::load_pem(vapid_file) : Es256Key::generate();
  if (!vapid) return Status::error(vapid_file.string() + ": " + vapid.error());
  if (!std::filesystem::exists(vapid_file)) {
    if (Status s = vapid.value().save_pem(vapid_file); !s) return s;
  }
  auto identity = std::make_shared<MunicipalityIdentity>();
  identity->vapid_ = std::make_unique<Es256Key>(std::move(vapid).value());
  identity->keys_ = std::move(keys).value();
  identity->database_ = std::move(database).value();
  storage::RuntimeDatabase& db = *identity->database_;
  identity->accounts_ = std::make_unique<AccountStore>(db);
  identity->sign_ins_ = std::make_unique<SignInStore>(db, *identity->accounts_);
  identity->consents_ = std::make_unique<ConsentStore>(db, *identity->accounts_);
  identity->notifications_ = std::make_unique<notify::NotificationStore>(db);
  identity->broadcasts_ = std::make_unique<notify::BroadcastStore>(db);
  identity->pairwise_secret_ = std::move(pairwise).value();
  identity->devices_ = std::make_unique<DeviceCookies>(identity->pairwise_secret_);
  identity->municipality_id_ = std::move(municipality_id);
  return identity;
}

Result<std::string> MunicipalityIdentity::issue_access_token(const Account& account,
                                                             const std::string& issuer) {
  std::string jti(16, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(jti.data()), static_cast<int>(jti.size()));
  int64_t now = unix_now();
  boost::json::object claims{{"iss", issuer},
                             {"aud", kAccessTokenAudience},
                             {"sub", account.public_id},
                             {"iat", now},
                             {"exp", now + kAccessTokenLifetime.count()},
                             {"jti", base64url_encode(jti)},
                             {"assurance", account.assurance},
                             {"locale", account.language},
                             {"audience", account.audience},
                             // From the database: another process may have moved it on.
                             {"epoch", accounts_->reload_token_epoch(account.public_id).value_or(0)}};
  std::vector<std::string> roles = accounts_->roles(account.id);
  if (!roles.empty()) {
    boost::json::array list;
    for (const auto& r : roles) list.emplace_back(r);
    claims["roles"] = std::move(list);
  }
  auto signing = keys_->signing_key();
  return sign_jwt(*signing.key, signing.kid, kAccessTokenType, claims);
}

namespace {

// The token of a "Bearer <token>" header value (scheme case-insensitive), or empty.
std::string_view bearer_token(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";
  auto fold = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c; };
  if (authorization.size() <= kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), authorization.begin(),
                  [&](char a, char b) { return a == fold(b); })) {
    return {};
  }
  return authorization.substr(kScheme.size());
}

// Where a token's cache entry is filed: from its last 16 characters, the end of its signature.
uint64_t token_hint(std::string_view token) {
  return std::hash<std::string_view>{}(token.substr(token.size() > 16 ? token.size() - 16 : 0));
}

}  // namespace

void MunicipalityIdentity::prefetch(std::string_view authorization) const {
  std::string_view token = bearer_token(authorization);
  if (!token.empty()) verified_.prefetch(token_hint(token));
}

Result<std::shared_ptr<const Principal>> MunicipalityIdentity::authenticate(
    std::string_view authorization, const std::string& issuer) const {
  std::string_view token = bearer_token(authorization);
  if (token.empty()) return Status::error("invalid token: use the Bearer scheme");
  // The cache is keyed by the SHA-256 of the token's signature; a hit then compares the issuer
  // the entry was verified against (a token verified under an earlier public_url never matches)
  // and the signed part (header and payload) with those of this request, in full. Hashing only the
  // signature (86 characters of ~480) is what keeps the lookup cheap, and it is as strict as a key
  // over the whole token: the entry found must have been verified with exactly this signature and
  // exactly these bytes. The plain comparison of the signed part tells nothing by its timing, as
  // it only runs for a caller who presented the signature, the token's only secret part. The
  // cache holds no usable token: the signed part is public claims, the signature only its hash.
  // With thousands of residents' tokens in use, the slot and the entry are usually out of the
  // CPU's caches; both are fetched ahead: the slot from a hint taken from the token's last bytes
  // (the end of the signature — random for every token stored, as only verified tokens are), by
  // prefetch() or else at the start of the lookup; the entry once the slot's pointer is known, and
  // its text once the entry has arrived, while the key is hashed.
  const size_t dot = token.rfind('.');
  const std::string_view signature = dot == std::string_view::npos ? token : token.substr(dot + 1);
  const std::string_view signed_part = token.substr(0, token.size() - signature.size());
  CacheKey key{};
  const uint64_t hint = token_hint(token);
  auto cached = verified_.find_prefetched(
      hint, unix_now_coarse(),
      [&](const std::shared_ptr<const VerifiedToken>& candidate) {
        const VerifiedToken* entry = candidate.get();
        if (const char* p = reinterpret_cast<const char*>(entry)) {
          // From the reference count (16 bytes before it) to the end of the principal's first
          // memo entry (offset 168): points at most 64 bytes apart touch every line of it.
          for (int offset : {-16, 48, 112, 167}) __builtin_prefetch(p + offset);
        }
        KeyHasher h;
        h.part(signature);
        if (entry) {
          // The entry's line has had the first block's hashing to arrive.
          std::string_view text = entry->issuer_and_signed_part;
          for (size_t at = 0; at < text.size(); at += 64) __builtin_prefetch(text.data() + at);
          __builtin_prefetch(text.data() + text.size() - 1);
        }
        key = h.finish();
        return key;
      },
      [&](const std::shared_ptr<const VerifiedToken>& entry) { return entry->matches(issuer, signed_part); });
  if (cached) {
    const Principal* principal = &(*cached)->principal;
    if (Status s = current_account(*principal); !s) return s;
    return std::shared_ptr<const Principal>(std::move(*cached), principal);
  }
  auto claims = verify_jwt(token, access_token_rules(issuer), key_lookup());
  if (!claims) return claims.status();
  auto text = [&](const char* name) {
    const boost::json::value* v = claims->if_contains(name);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  std::string issuer_and_signed_part;
  issuer_and_signed_part.reserve(issuer.size() + 1 + signed_part.size());
  issuer_and_signed_part.append(issuer).append(1, ' ').append(signed_part);
  auto entry = std::make_shared<VerifiedToken>(VerifiedToken{
      .issuer_and_signed_part = std::move(issuer_and_signed_part),
      .principal = Principal{.public_id = text("sub"),
                             .roles = {},
                             .claims_memo = {},
                             .issuer = issuer,
                             .assurance = text("assurance"),
                             .locale = text("locale"),
                             .audience = text("audience")}});
  Principal& p = entry->principal;
  if (const boost::json::value* roles = claims->if_contains("roles"); roles && roles->is_array()) {
    for (const auto& r : roles->as_array()) {
      if (r.is_string()) p.roles.emplace_back(r.as_string());
    }
  }
  if (p.public_id.empty()) return Status::error("invalid token: no subject");
  if (const boost::json::value* epoch = claims->if_contains("epoch")) {
    if (!epoch->is_int64() || epoch->as_int64() < 0 || epoch->as_int64() > UINT32_MAX) {
      return Status::error("invalid token: malformed epoch");
    }
    p.epoch = static_cast<uint32_t>(epoch->as_int64());
  }
  if (Status s = current_account(p); !s) return s;
  // Cached until exp plus the verifier's leeway: exactly as long as a fresh verification would
  // accept the token, never longer.
  const boost::json::value* exp = claims->if_contains("exp");
  std::shared_ptr<const VerifiedToken> shared = std::move(entry);
  if (exp && exp->is_int64()) verified_.insert(key, shared, exp->as_int64() + 30, hint);
  return std::shared_ptr<const Principal>(shared, &shared->principal);
}

// A verified token still speaks for its account: it exists (deleted: refused at once, not at
// expiry; a subject never registered: refused) and its epoch is the token's.
Status MunicipalityIdentity::current_account(const Principal& p) const {
  std::optional<uint32_t> epoch = accounts_->token_epoch(p.public_id);
  if (!epoch) return Status::error("invalid token: the account no longer exists");
  // A token newer than what this process knows: another process moved the epoch on; read it.
  if (p.epoch > *epoch) epoch = accounts_->reload_token_epoch(p.public_id);
  if (!epoch) return Status::error("invalid token: the account no longer exists");
  if (*epoch != p.epoch) {
    return Status::error("invalid token: revoked (the password changed or every sign-in was signed out)");
  }
  return Status::ok();
}

std::string MunicipalityIdentity::pairwise_subject(std::string_view mount_id,
                                                   std::string_view public_id) const {
  CacheKey key = cache_key({mount_id, public_id});
  if (auto known = pairwise_.find(key, 0)) return *known;
  std::string message;
  message.reserve(municipality_id_.size() + mount_id.size() + public_id.size() + 2);
  message.append(municipality_id_).append("/").append(mount_id).append("/").append(public_id);
  const std::string& secret = pairwise_secret_;
  unsigned char mac[32];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  std::string subject = base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), length));
  // Remembered once per (mini-app, resident), so the mini-app can address the resident later
  // (notify) by the only id it has. Only cached when remembered: a failure retries next time.
  auto account = accounts_->by_public_id(public_id);
  if (account && !consents_->remember_subject(mount_id, subject, account->id)) return subject;
  pairwise_.insert(key, subject, INT64_MAX);
  return subject;
}

std::shared_ptr<const machi_claims> ClaimsMemo::find(const void* mount, uint64_t snapshot,
                                                     uint64_t disclosure) const {
  std::lock_guard lock(mutex_);
  for (const Entry& e : entries_) {
    if (e.mount == mount && e.snapshot == snapshot) {
      return e.disclosure == disclosure ? e.claims : nullptr;
    }
  }
  return nullptr;
}

void ClaimsMemo::prefetch(const void* mount) const {
  std::lock_guard lock(mutex_);
  for (const Entry& e : entries_) {
    if (e.mount == mount) {
      // The control block of a make_shared view sits just before it.
      if (e.claims) __builtin_prefetch(reinterpret_cast<const char*>(e.claims.get()) - 16);
      return;
    }
  }
}

void ClaimsMemo::store(const void* mount, uint64_t snapshot, uint64_t disclosure,
                       std::shared_ptr<const machi_claims> claims) const {
  std::lock_guard lock(mutex_);
  for (Entry& e : entries_) {
    if (e.mount == mount && e.snapshot == snapshot) {
      // A view built under an older generation never replaces a newer one.
      if (disclosure >= e.disclosure) e = {mount, snapshot, disclosure, std::move(claims)};
      return;
    }
  }
  entries_[next_] = {mount, snapshot, disclosure, std::move(claims)};
  next_ = (next_ + 1) % entries_.size();
}

VerifyRules MunicipalityIdentity::access_token_rules(const std::string& issuer) {
  VerifyRules rules;
  rules.typ = kAccessTokenType;
  rules.issuer = issuer;
  rules.audience = kAccessTokenAudience;
  rules.max_lifetime = kAccessTokenLifetime;
  return rules;
}

KeyLookup MunicipalityIdentity::key_lookup() const {
  // The key stays alive while any caller holds it; a plain pointer is enough during one verify,
  // because retired keys are kept for a day after rotation.
  return [this](std::string_view kid) { return keys_->find(kid).get(); };
}

}  // namespace machi::identity

namespace machi::identity {

MunicipalityIdentity::ClaimList MunicipalityIdentity::disclosed_claims(
    std::string_view public_id, std::string_view mount_id,
    const std::vector<std::string>& grants) const {
  if (grants.empty()) return {};
  // The generation is part of the key: after any consent or profile change, older entries can
  // no longer match (they age out when the bounded cache fills).
  uint64_t generation = accounts_->disclosure_generation();
  std::string parts = std::to_string(generation) + "/" + std::string(public_id) + "/" +
                      std::string(mount_id);
  for (const auto& g : grants) parts += "/" + g;
  CacheKey key = cache_key({parts});
  if (auto cached = disclosed_.find(key, 0)) return *cached;

  ClaimList claims;
  auto account = accounts_->by_public_id(public_id);
  if (account) {
    std::vector<std::string> consented = consents_->consented(account->id, mount_id);
    boost::system::error_code ec;
    boost::json::value address = boost::json::parse(account->address_json, ec);
    for (const std::string& claim : grants) {
      if (std::find(consented.begin(), consented.end(), claim) == consented.end()) continue;
      std::string value;
      if (claim == MACHI_CLAIM_NAME) value = account->display_name;
      else if (claim == MACHI_CLAIM_LEGAL_NAME) value = account->legal_name;
      else if (claim == MACHI_CLAIM_BIRTHDATE) value = account->birthdate;
      else if (claim == MACHI_CLAIM_ADDRESS) value = account->address_json;
      else if (claim == MACHI_CLAIM_DISTRICT) {
        // The verified address wins over the self-declared district.
        const boost::json::value* d =
            !ec && address.is_object() ? address.as_object().if_contains("district") : nullptr;
        value = d && d->is_string() ? std::string(d->as_string()) : account->district;
      } else if (claim == MACHI_CLAIM_HOUSEHOLD && account->household_json != "[]") {
        value = account->household_json;
      }
      if (!value.empty()) claims.emplace_back(claim, std::move(value));
    }
  }
  disclosed_.insert(key, claims, INT64_MAX);
  return claims;
}

}  // namespace machi::identity

namespace machi::identity {


std::string_view MunicipalityIdentity::session_cookie(std::string_view cookie_header) {
  return cookie_value(cookie_header, kSessionCookie);
}

MunicipalityIdentity::Caller MunicipalityIdentity::authenticate_request(
    std::string_view authorization, std::string_view cookie, std::string_view csrf_header,
    std::string_view method, const std::string& issuer) const {
  Caller caller;
  if (!authorization.empty()) {
    auto principal = authenticate(authorization, issuer);
    if (!principal) return {401, principal.error(), {}};
    return {200, "", std::move(principal).value()};
  }
  std::string_view session_id = session_cookie(cookie);
  if (session_id.empty()) return caller;  // anonymous
  auto session = sign_ins_->session(detail::sha256_hex(session_id), unix_now() * 1000);
  if (!session) return {401, "invalid session: signed out or expired", {}};
  bool safe = method == "GET" || method == "HEAD" || method == "OPTIONS";
  const std::string& csrf = session->second;
  if (!safe && (csrf_header.size() != csrf.size() ||
                CRYPTO_memcmp(csrf_header.data(), csrf.data(), csrf.size()) != 0)) {
    return {403, "missing or wrong X-CSRF-Token for a cookie session", {}};
  }
  auto account = accounts_->by_id(session->first);
  if (!account) return {401, "invalid session: the account no longer exists", {}};
  auto p = std::make_shared<const Principal>(Principal{.public_id = account->public_id,
                                                       .roles = accounts_->roles(account->id),
                                                       .claims_memo = {},
                                                       .issuer = issuer,
                                                       .assurance = account->assurance,
                                                       .locale = account->language,
                                                       .audience = account->audience});
  return {200, "", std::move(p)};
}

}  // namespace machi::identity
