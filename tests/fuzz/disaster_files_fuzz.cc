// Fuzzes the disaster mini-app's inputs (plugins/disaster_learning): site files in both national
// layouts (parse_sites, UTF-8 or CP932), learning content (parse_learning) and resident photos
// (clean_image, which must strip every metadata block). The first byte picks: 0 evacuation
// sites, 1 shelters, 2 learning (ja, the base), 3 learning (en), 4+ a photo.
// Oracles: refusals name a problem; accepted sites have unique ids with the kind's prefix and
// coordinates on Earth; a cleaned image cleans again to the same bytes (nothing left to strip)
// and is never larger than the input.
#include <set>

#include "learning.h"
#include "photo.h"
#include "sites.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using machi::fuzz::fail;
  if (size < 1) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  unsigned choice = data[0] % 8;
  if (choice <= 1) {
    auto kind = choice == 0 ? disaster::SiteKind::kEvacuationSite : disaster::SiteKind::kShelter;
    auto file = disaster::parse_sites(bytes, "sites.csv", kind);
    if (!file.problems.empty()) return 0;
    std::set<std::string> ids;
    for (const auto& site : file.sites) {
      if (!site.id.starts_with(kind == disaster::SiteKind::kShelter ? "s-" : "e-")) fail("disaster_files", "id prefix", site.id);
      if (!ids.insert(site.id).second) fail("disaster_files", "duplicate site id", site.id);
      if (!(site.point.latitude >= -90 && site.point.latitude <= 90 && site.point.longitude >= -180 && site.point.longitude <= 180)) {
        fail("disaster_files", "coordinates off Earth", site.id);
      }
    }
  } else if (choice <= 3) {
    std::vector<machi::sdk::ConfigProblem> problems;
    auto file = disaster::parse_learning(bytes, choice == 2 ? "ja" : "en", choice == 2, problems);
    if (!file && problems.empty()) fail("disaster_files", "learning refused without a problem", "");
    if (file && !problems.empty()) fail("disaster_files", "learning accepted with problems", problems.front().message);
  } else {
    std::string error;
    auto image = disaster::clean_image(bytes, error);
    if (!image) {
      if (error.empty()) fail("disaster_files", "image refused without a reason", "");
      return 0;
    }
    if (image->bytes.size() > bytes.size() + 64) fail("disaster_files", "cleaned image grew", std::to_string(image->bytes.size()));
    std::string again_error;
    auto again = disaster::clean_image(image->bytes, again_error);
    if (!again) fail("disaster_files", "a cleaned image is refused", again_error);
    if (again->bytes != image->bytes) fail("disaster_files", "cleaning is not idempotent", image->type);
    if (!again->removed.empty()) fail("disaster_files", "metadata left after cleaning", again->removed.front());
  }
  return 0;
}
