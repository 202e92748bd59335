// Designated sites as municipalities publish them with the Geospatial Information Authority:
// 指定緊急避難場所 (evacuation sites, each marked for the hazards it accepts) and 指定避難所
// (shelters, where people stay; capacity). Two CSV layouts import, told apart by their header:
//  - the GSI download: NO, 共通ID, 施設・場所名, 住所, 洪水, 崖崩れ、土石流及び地滑り, 高潮, 地震,
//    津波, 大規模な火事, 内水氾濫, 火山現象, 指定避難所との住所同一, 緯度, 経度, 備考;
//  - the national recommended open-data layout (推奨データセット): … 名称, 名称_カナ, 名称_英字,
//    所在地_連結表記, 緯度, 経度, … 災害種別_洪水 … 災害種別_火山現象, 指定避難所との重複,
//    想定収容人数, … (columns it does not use are skipped).
// UTF-8 or CP932. Problems are "file:line:column: message"; one bad row refuses the file.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo.h"

namespace disaster {

// The hazards of the national data, in its column order.
enum class Hazard { kFlood, kLandslide, kStormSurge, kEarthquake, kTsunami, kFire, kInlandFlood, kVolcano };
inline constexpr size_t kHazards = 8;

struct HazardInfo {
  const char* id;      // flood, landslide, …
  const char* column;  // the GSI column name (the recommended layout prefixes 災害種別_)
  const char* ja;
  const char* en;
  const char* ja_easy;
};
const std::array<HazardInfo, kHazards>& hazards();
std::optional<Hazard> hazard_by_id(std::string_view id);
std::string hazard_name(Hazard h, std::string_view locale);

enum class SiteKind { kEvacuationSite, kShelter };
const char* kind_id(SiteKind kind);  // "evacuation_site" | "shelter"

struct Site {
  std::string id;         // "e-…" or "s-…" + the file's 共通ID/ID (or a hash of name and address)
  SiteKind kind = SiteKind::kEvacuationSite;
  std::string source_id;  // 共通ID / ID as published ("" when the file has none)
  std::string name, name_en, kana, address, note;
  Point point;
  uint32_t hazards = 0;   // bit per Hazard
  std::optional<int64_t> capacity;
  bool also_other = false;  // 指定避難所との住所同一/重複 (or 指定緊急避難場所との重複 for shelters)

  bool accepts(Hazard h) const { return hazards & (1u << static_cast<unsigned>(h)); }
};

struct SitesFile {
  std::string layout;  // "gsi" or "recommended"
  std::vector<Site> sites;
  std::vector<std::string> problems;
};

// Evacuation-site files must carry every hazard column; shelter files may carry them.
SitesFile parse_sites(std::string_view bytes, std::string_view file, SiteKind kind);

}  // namespace disaster
