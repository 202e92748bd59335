// Fuzzes token verification (runtime/identity/jwt.cc verify_jwt) with the runtime's own rules
// for each kind of token: access tokens, citizen-card tokens and eKYC assertions.
// Oracle — a harness must never see a bad token accepted: whatever verifies must carry a
// signing input (header.payload) that this harness itself signed with the test key, for a token
// of exactly that kind. Mutations of header, payload, algorithm, kid or type must all be
// refused; only the signature may differ (ECDSA's (r, n−s) twin signs the same input).
// The seeds (corpus/token) are tokens signed with tests/fuzz/token_fuzz_key.pem over the claims
// below; `MACHI_FUZZ_WRITE_SEEDS=DIR token_replay` writes fresh ones.
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "runtime/identity/citizen_card.h"
#include "runtime/identity/ekyc.h"
#include "runtime/identity/jwt.h"
#include "runtime/identity/municipality_identity.h"

namespace {

using namespace machi::identity;
namespace json = boost::json;

constexpr int64_t kNow = 1'900'000'000;  // fixed: the seeds stay valid
const std::string kIssuer = "https://fuzz.example";

struct State {
  std::unique_ptr<Es256Key> key;
  std::map<std::string, std::string> signed_inputs;  // header.payload → typ
  std::vector<VerifyRules> rules;
};
State* state = nullptr;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "token_fuzz oracle: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  state = new State;
  auto key = Es256Key::load_pem(MACHI_FUZZ_KEY);
  if (!key) fail("test key", key.error());
  state->key = std::make_unique<Es256Key>(std::move(key).value());
  VerifyRules access = MunicipalityIdentity::access_token_rules(kIssuer);
  VerifyRules card = citizen_card_rules(kIssuer);
  VerifyRules ekyc;
  ekyc.typ = kEkycAssertionType;
  ekyc.issuer = "https://verifier.example";
  ekyc.audience = kIssuer;
  for (VerifyRules* r : {&access, &card, &ekyc}) r->now = kNow;
  state->rules = {access, card, ekyc};

  const char* seeds = std::getenv("MACHI_FUZZ_WRITE_SEEDS");
  int n = 0;
  for (const VerifyRules& r : state->rules) {
    json::object claims{{"iss", r.issuer}, {"aud", r.audience}, {"sub", "resident-1"},
                        {"iat", kNow - 10}, {"exp", kNow + 300}, {"jti", "jti-" + r.typ}};
    if (r.typ == kEkycAssertionType) {
      claims["nonce"] = "n-1";
      claims["verified"] = json::object{{"legal_name", "佐賀 花子"}, {"birthdate", "1990-04-01"}};
    }
    auto token = sign_jwt(*state->key, "fuzz-1", r.typ, claims);
    if (!token) fail("signing", token.error());
    const std::string& t = token.value();
    state->signed_inputs[t.substr(0, t.rfind('.'))] = r.typ;
    if (!verify_jwt(t, r, [&](std::string_view kid) { return kid == "fuzz-1" ? state->key.get() : nullptr; })) {
      fail("a freshly signed token does not verify", r.typ);
    }
    if (seeds) std::ofstream(std::string(seeds) + "/signed-" + std::to_string(n++)) << t;
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  KeyLookup keys = [](std::string_view kid) -> const Es256Key* {
    return kid == "fuzz-1" ? state->key.get() : nullptr;
  };
  for (const VerifyRules& rules : state->rules) {
    auto claims = verify_jwt(token, rules, keys);
    if (!claims) {
      if (claims.error().empty()) fail("refusal without a reason", rules.typ);
      continue;
    }
    auto dot = token.rfind('.');
    auto it = state->signed_inputs.find(std::string(token.substr(0, dot)));
    if (it == state->signed_inputs.end()) fail("accepted a token this harness never signed", rules.typ);
    if (it->second != rules.typ) fail("accepted a token of another kind", it->second + " as " + rules.typ);
  }
  return 0;
}
