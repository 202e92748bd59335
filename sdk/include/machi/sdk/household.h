// The resident's household members from the `household` claim (granted and consented), each with
// an id that stays the same while the profile keeps the member's name and birth date (the claim
// carries no ids of its own).
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "machi/sdk/dates.h"
#include "machi/sdk/json.h"
#include "machi/sdk/request.h"

namespace machi::sdk {

struct HouseholdMember {
  std::string id;         // 16 hex digits, from name and birth date
  std::string name;
  std::string birthdate;  // YYYY-MM-DD
  std::string relation;   // as the profile says: "child", "parent", "spouse", … (may be empty)
};

inline std::string household_member_id(std::string_view name, std::string_view birthdate) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx",
                static_cast<unsigned long long>(fnv1a64(std::string(birthdate) + "\n" + std::string(name))));
  return out;
}

// nullopt when the claim is absent (not granted, not consented); members without a name or a
// valid birth date are left out.
inline std::optional<std::vector<HouseholdMember>> household_of(const Claims& claims) {
  auto household = claims.get(MACHI_CLAIM_HOUSEHOLD);
  if (!household) return std::nullopt;
  std::vector<HouseholdMember> out;
  std::string error;
  auto members = parse_json(*household, error);
  if (!members || !members->is_array()) return out;
  for (const auto& m : members->as_array()) {
    const boost::json::object* o = m.if_object();
    const boost::json::value* name = o ? o->if_contains("name") : nullptr;
    const boost::json::value* birth = o ? o->if_contains("birthdate") : nullptr;
    const boost::json::value* relation = o ? o->if_contains("relation") : nullptr;
    if (!name || !name->is_string() || name->as_string().empty() || !birth || !birth->is_string() ||
        !parse_date(birth->as_string())) {
      continue;
    }
    out.push_back({household_member_id(name->as_string(), birth->as_string()), std::string(name->as_string()),
                   std::string(birth->as_string()),
                   relation && relation->is_string() ? std::string(relation->as_string()) : std::string()});
  }
  return out;
}

}  // namespace machi::sdk
