// Runtime-side values that cross into a plugin call: the request a plugin sees, the response it
// gives, and the claims view. The HTTP layer fills these; PluginInstance turns them into the
// ABI's views. Thread-safety: plain values.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string_view>
#include <string>
#include <utility>
#include <vector>

#include "machi/plugin_api.h"

// The concrete type behind the ABI's opaque machi_claims: the claims this mini-app was granted
// and the resident consented to, already filtered.
struct machi_claims {
  std::map<std::string, std::string, std::less<>> values;
};

namespace machi {

using Claims = machi_claims;
using HeaderList = std::vector<std::pair<std::string, std::string>>;
// Resolves a scanned citizen card to this mini-app's pairwise subject (ABI 1.1 card_resolve):
// true with the subject in `out`, or false with the reason in `out`. Set only on staff requests.
using CardResolver = std::function<bool(std::string_view card, std::string& out)>;

struct PluginRequest {
  std::string method = "GET";
  std::string path = "/";  // below /apps/{id}
  std::string query;
  std::string body;
  HeaderList headers;      // names lower-case; filtered before the plugin sees them
  // The claims view: `shared_claims` when set (the runtime's view, built once per resident and
  // mini-app and shared by their requests), else `claims` (built for this request alone).
  Claims claims;
  std::shared_ptr<const Claims> shared_claims;
  const Claims& claims_view() const { return shared_claims ? *shared_claims : claims; }
  std::string request_id;
  CardResolver resolve_card;  // empty unless the request comes from staff
};

struct PluginResponse {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  HeaderList headers;
  // The runtime's own answer because the request hook failed internally (not the plugin's): the
  // instance's HealthTracker counts it, in either isolation mode.
  bool hook_failed = false;
};

// Headers that never reach a plugin, in either isolation mode: the resident's credentials (the
// bearer token, the session cookie and its anti-CSRF secret; the runtime turns them into claims)
// and what a proxy says about the client. The one list; docs/vendor-guide.md repeats it.
inline constexpr std::string_view kHiddenRequestHeaders[] = {
    "authorization", "cookie", "x-csrf-token", "proxy-authorization", "forwarded", "via", "x-real-ip"};
// Also every "x-forwarded-*" header. `lower_name`: lower case.
bool is_hidden_request_header(std::string_view lower_name);

}  // namespace machi
