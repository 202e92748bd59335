#include "runtime/routing/home_order.h"

#include <algorithm>

namespace machi {

std::vector<HomeEntry> merge_home_order(const std::vector<HomeEntry>& saved,
                                        const std::vector<std::string>& enabled) {
  auto is_enabled = [&](const std::string& id) {
    return std::find(enabled.begin(), enabled.end(), id) != enabled.end();
  };
  std::vector<HomeEntry> result;
  for (const HomeEntry& e : saved) {
    bool duplicate = std::any_of(result.begin(), result.end(),
                                 [&](const HomeEntry& r) { return r.id == e.id; });
    if (is_enabled(e.id) && !duplicate) result.push_back(e);
  }
  for (size_t i = 0; i < enabled.size(); ++i) {
    const std::string& id = enabled[i];
    bool placed = std::any_of(result.begin(), result.end(),
                              [&](const HomeEntry& r) { return r.id == id; });
    if (placed) continue;
    // After the nearest manifest predecessor already shown; at the front if there is none.
    auto position = result.begin();
    for (size_t j = i; j-- > 0;) {
      auto it = std::find_if(result.begin(), result.end(),
                             [&](const HomeEntry& r) { return r.id == enabled[j]; });
      if (it != result.end()) {
        position = it + 1;
        break;
      }
    }
    result.insert(position, HomeEntry{id, false});
  }
  return result;
}

}  // namespace machi
