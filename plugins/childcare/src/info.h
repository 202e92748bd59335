// Childcare information (子育て情報) the municipality maintains: items with a title, a body, an
// optional link and the child ages they are for, in a JSON file checked as a whole:
//   {"format": 1, "items": [{"id": "kenshin-4m", "title": {"ja": …, "en": …}, "body": {…},
//     "link": "https://…" (optional), "ages": {"from": "3m", "until": "5m"}}]}
// Ages use the rules file's age points. Thread-safety: immutable once parsed.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "rules.h"

namespace childcare {

struct InfoItem {
  std::string id;
  Text title, body;
  std::string link;
  AgeRange ages;
};

std::optional<std::vector<InfoItem>> parse_info(std::string_view text, std::vector<machi::sdk::ConfigProblem>& problems);

// Whether a child born on `birth` is within the item's ages on `day`.
bool applies(const InfoItem& item, Days birth, Days day);

}  // namespace childcare
