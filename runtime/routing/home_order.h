// A resident's own home-screen order (GET/PUT /api/v1/me/apps). The resident's saved list is
// kept as given, including mini-apps that are disabled now; what is shown merges it with the
// manifest: saved entries that are enabled, in the saved order; a mini-app the resident never
// placed (added later by the municipality) appears after the nearest mini-app that precedes it in
// the manifest order; a disabled one disappears and comes back where it was.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

namespace machi {

struct HomeEntry {
  std::string id;
  bool hidden = false;
};

// `saved`: the resident's list (may name disabled or unknown ids); `enabled`: the enabled
// mini-apps for this resident's audience, in manifest order.
std::vector<HomeEntry> merge_home_order(const std::vector<HomeEntry>& saved,
                                        const std::vector<std::string>& enabled);

}  // namespace machi
