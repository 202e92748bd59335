#include "info.h"

#include <set>

namespace childcare {

namespace json = boost::json;
using machi::sdk::ConfigReader;

std::optional<std::vector<InfoItem>> parse_info(std::string_view text, std::vector<machi::sdk::ConfigProblem>& problems) {
  auto doc = machi::sdk::parse_json_document(text, problems);
  if (!doc) return std::nullopt;
  size_t before = problems.size();
  ConfigReader r(*doc, problems);
  r.integer("format", 1, 1, 1, true);
  std::vector<InfoItem> items;
  std::set<std::string> ids;
  const json::array* list = r.array("items", true);
  for (size_t i = 0; list && i < list->size(); ++i) {
    ConfigReader e((*list)[i], problems, r.child("items") + "/" + std::to_string(i));
    InfoItem item;
    item.id = e.string("id", "", true);
    if (!item.id.empty() && !machi::sdk::is_config_id(item.id)) e.problem("id", "must be 1–32 of [a-z0-9_-]");
    if (!item.id.empty() && !ids.insert(item.id).second) e.problem("id", "'" + item.id + "' is used twice");
    auto title = machi::sdk::read_localized(e, "title", true);
    auto body = machi::sdk::read_localized(e, "body", true);
    item.link = e.string("link", "");
    if (!item.link.empty() && !item.link.starts_with("https://") && !item.link.starts_with("/")) {
      e.problem("link", "must be an https:// address or a path of this mini-app (/…)");
    }
    auto ages = read_age_range(e, "ages", true);
    if (!title || !body || !ages) continue;
    item.title = *title;
    item.body = *body;
    item.ages = *ages;
    items.push_back(std::move(item));
  }
  if (problems.size() != before) return std::nullopt;
  return items;
}

bool applies(const InfoItem& item, Days birth, Days day) {
  return at_age(birth, item.ages.from) <= day && day < at_age(birth, item.ages.until);
}

}  // namespace childcare
