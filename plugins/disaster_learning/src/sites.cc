#include "sites.h"

#include <machi/sdk/csv_table.h>
#include <machi/sdk/json.h>
#include <machi/sdk/text.h>

#include <charconv>
#include <cstdio>
#include <set>

namespace disaster {

using machi::sdk::CsvColumn;
using machi::sdk::CsvTable;

const std::array<HazardInfo, kHazards>& hazards() {
  static const std::array<HazardInfo, kHazards> kList{{
      {"flood", "洪水", "洪水", "Flood", "おおみず（こうずい）"},
      {"landslide", "崖崩れ、土石流及び地滑り", "崖崩れ・土石流・地滑り", "Landslide and debris flow", "がけくずれ・どしゃくずれ"},
      {"storm_surge", "高潮", "高潮", "Storm surge", "たかしお"},
      {"earthquake", "地震", "地震", "Earthquake", "じしん"},
      {"tsunami", "津波", "津波", "Tsunami", "つなみ"},
      {"fire", "大規模な火事", "大規模な火事", "Large-scale fire", "おおきな かじ"},
      {"inland_flood", "内水氾濫", "内水氾濫", "Inland flooding", "まちの なかの みずの あふれ"},
      {"volcano", "火山現象", "火山現象", "Volcanic activity", "かざんの ふんか"},
  }};
  return kList;
}

std::optional<Hazard> hazard_by_id(std::string_view id) {
  for (size_t i = 0; i < kHazards; ++i) {
    if (id == hazards()[i].id) return static_cast<Hazard>(i);
  }
  return std::nullopt;
}

std::string hazard_name(Hazard h, std::string_view locale) {
  const HazardInfo& info = hazards()[static_cast<size_t>(h)];
  if (locale == "ja-easy") return info.ja_easy;
  return locale.starts_with("en") ? info.en : info.ja;
}

const char* kind_id(SiteKind kind) { return kind == SiteKind::kShelter ? "shelter" : "evacuation_site"; }

namespace {

enum Column : size_t { kNo, kId, kName, kKana, kNameEn, kAddress, kLatitude, kLongitude, kAlsoShelter, kAlsoSite,
                       kCapacity, kNote, kFirstHazard };

std::vector<CsvColumn> columns(SiteKind kind) {
  std::vector<CsvColumn> out{
      {"NO", {}, false},
      {"共通ID", {"ID"}, false},
      {"施設・場所名", {"名称"}, true},
      {"名称_カナ", {}, false},
      {"名称_英字", {}, false},
      {"住所", {"所在地_連結表記"}, true},
      {"緯度", {}, true},
      {"経度", {}, true},
      {"指定避難所との住所同一", {"指定避難所との重複"}, false},
      {"指定緊急避難場所との重複", {"指定緊急避難場所との住所同一"}, false},
      {"想定収容人数", {"収容人数"}, false},
      {"備考", {}, false},
  };
  static std::vector<std::string> recommended;  // 災害種別_… names must outlive the views
  if (recommended.empty()) {
    for (const auto& h : hazards()) recommended.push_back(std::string("災害種別_") + h.column);
  }
  for (size_t i = 0; i < kHazards; ++i) {
    out.push_back({hazards()[i].column, {recommended[i]}, kind == SiteKind::kEvacuationSite});
  }
  return out;
}

// A hazard or yes/no mark: 1, ○, ◯, 〇, ●, 可, true → yes; blank, 0, ×, -, 否, false → no.
std::optional<bool> mark(const std::string& cell) {
  std::string v = machi::sdk::fold(cell);
  for (const char* yes : {"1", "○", "◯", "〇", "●", "可", "true", "有", "あり"}) {
    if (v == yes) return true;
  }
  for (const char* no : {"", "0", "×", "✕", "-", "ー", "否", "false", "無", "なし"}) {
    if (v == no) return false;
  }
  return std::nullopt;
}

std::optional<double> degrees(const std::string& cell) {
  std::string v = machi::sdk::fold(cell);
  double d = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return d;
}

bool id_safe(std::string_view id) {
  if (id.empty() || id.size() > 60) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

}  // namespace

SitesFile parse_sites(std::string_view bytes, std::string_view file, SiteKind kind) {
  SitesFile out;
  CsvTable t(bytes, std::string(file), columns(kind), 200, /*allow_unknown_columns=*/true);
  out.layout = t.has(kNo) ? "gsi" : "recommended";  // only the GSI download numbers its rows
  std::set<std::string> ids;
  const char* prefix = kind == SiteKind::kShelter ? "s-" : "e-";
  while (t.next()) {
    Site s;
    s.kind = kind;
    s.source_id = t.cell(kId);
    s.name = t.cell(kName);
    s.name_en = t.cell(kNameEn);
    s.kana = t.cell(kKana);
    s.address = t.cell(kAddress);
    s.note = t.cell(kNote);
    if (s.name.empty()) t.problem(kName, "the name is empty");
    if (s.address.empty()) t.problem(kAddress, "the address is empty");
    auto lat = degrees(t.cell(kLatitude)), lon = degrees(t.cell(kLongitude));
    if (!lat || *lat < -90 || *lat > 90) {
      t.problem(kLatitude, "'" + t.cell(kLatitude) + "' is not a latitude in decimal degrees (-90 to 90)");
    }
    if (!lon || *lon < -180 || *lon > 180) {
      t.problem(kLongitude, "'" + t.cell(kLongitude) + "' is not a longitude in decimal degrees (-180 to 180)");
    }
    if (lat && lon) s.point = {*lat, *lon};
    if (lat && lon && *lat == 0 && *lon == 0) t.problem(kLatitude, "the coordinates are 0, 0 (missing)");
    for (size_t h = 0; h < kHazards; ++h) {
      if (!t.has(kFirstHazard + h)) continue;
      auto m = mark(t.cell(kFirstHazard + h));
      if (!m) t.problem(kFirstHazard + h, "'" + t.cell(kFirstHazard + h) + "' is not a mark (1 or ○ for yes, blank for no)");
      if (m.value_or(false)) s.hazards |= 1u << h;
    }
    size_t also = kind == SiteKind::kShelter ? kAlsoSite : kAlsoShelter;
    if (t.has(also)) {
      auto m = mark(t.cell(also));
      if (!m) t.problem(also, "'" + t.cell(also) + "' is not a mark (1 or ○ for yes, blank for no)");
      s.also_other = m.value_or(false);
    }
    if (std::string c = machi::sdk::fold(t.cell(kCapacity)); !c.empty()) {
      if (c.ends_with("人")) c.resize(c.size() - std::string_view("人").size());
      int64_t n = -1;
      auto [end, ec] = std::from_chars(c.data(), c.data() + c.size(), n);
      if (ec != std::errc() || end != c.data() + c.size() || n < 0 || n > 1'000'000) {
        t.problem(kCapacity, "'" + t.cell(kCapacity) + "' is not a number of people");
      } else {
        s.capacity = n;
      }
    }
    if (id_safe(s.source_id)) {
      s.id = prefix + s.source_id;
    } else {
      char hash[17];
      std::snprintf(hash, sizeof hash, "%016llx",
                    static_cast<unsigned long long>(machi::sdk::fnv1a64(s.name + "\n" + s.address)));
      s.id = prefix + std::string(hash);
    }
    if (!ids.insert(s.id).second) {
      t.problem(s.source_id.empty() ? kName : kId, "the site '" + (s.source_id.empty() ? s.name : s.source_id) + "' is listed twice");
    }
    out.sites.push_back(std::move(s));
  }
  if (t.ok() && !t.has_problems() && out.sites.empty()) t.file_problem("the file lists no sites");
  out.problems = t.problems();
  return out;
}

}  // namespace disaster
