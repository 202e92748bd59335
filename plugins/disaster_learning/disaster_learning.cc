// Disaster preparedness (防災): learning articles and quizzes per locale with each resident's
// progress, the designated evacuation sites and shelters from the national open data,
// evacuation practice (nearest suitable sites with distance and bearing, and what to take),
// shelters' live status and occupancy, check-in and check-out by citizen card with the
// resident's family, and citizen reports with photos (metadata stripped) that moderators
// approve onto the map. Routes, config keys and file formats: README.md.
#include <machi/sdk/csv_table.h>
#include <machi/sdk/data_files.h>
#include <machi/sdk/household.h>
#include <machi/sdk/assets.h>
#include <machi/sdk/sdk.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "geo.h"
#include "learning.h"
#include "photo.h"
#include "sites.h"

using namespace machi::sdk;
namespace json = boost::json;
using namespace disaster;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Category {
  std::string id;
  LocalizedText name;
};

struct Settings {
  std::vector<Hazard> hazards;  // the hazards this city covers (all by default)
  std::string evacuation_sites_file = "evacuation_sites.csv";
  std::string shelters_file = "shelters.csv";
  std::vector<std::string> locales{"ja", "en", "ja-easy"};
  std::map<std::string, Point> districts;
  std::vector<std::string> staff_roles{"shelter"};
  std::vector<std::string> moderator_roles{"moderator"};
  std::vector<Category> categories;
  int64_t photo_max_bytes = 900 * 1024;
  int64_t reports_per_day = 10;
  int64_t quiz_pass_percent = 80;
  int64_t walking_m_per_min = 50;
  int64_t nearest = 5;
  double open_notify_km = 3;  // residents whose district point is this near hear a shelter open (0: nobody)
};

std::vector<Category> default_categories() {
  auto c = [](const char* id, const char* ja, const char* en) {
    LocalizedText t;
    t.by_locale = {{"ja", ja}, {"en", en}};
    return Category{id, t};
  };
  return {c("flooding", "冠水・浸水", "Flooding"), c("landslide", "土砂崩れ", "Landslide"),
          c("road_blocked", "通行止め・道路の損壊", "Road blocked or damaged"),
          c("building_damage", "建物の損壊", "Building damage"), c("fire", "火災", "Fire"),
          c("other", "その他", "Other")};
}

bool is_locale(std::string_view s) {
  if (s.empty() || s.size() > 16) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || c == '-')) return false;
  }
  return true;
}

Settings read_settings(const json::value& config, std::vector<ConfigProblem>& problems) {
  Settings s;
  ConfigReader r(config, problems);
  if (r.has("hazards")) {
    auto ids = r.strings("hazards", false, 1);
    for (size_t i = 0; i < ids.size(); ++i) {
      if (auto h = hazard_by_id(ids[i])) s.hazards.push_back(*h);
      else r.problem("hazards", "'" + ids[i] + "' is not a hazard (flood, landslide, storm_surge, earthquake, tsunami, fire, inland_flood, volcano)");
    }
  } else {
    for (size_t i = 0; i < kHazards; ++i) s.hazards.push_back(static_cast<Hazard>(i));
  }
  for (auto [key, field] : {std::pair{"evacuation_sites_file", &s.evacuation_sites_file},
                            std::pair{"shelters_file", &s.shelters_file}}) {
    *field = r.string(key, *field);
    if (field->empty() || field->find('/') != std::string::npos) r.problem(key, "must be a file name in the data_dir");
  }
  if (r.has("locales")) {
    s.locales = r.strings("locales", false, 1);
    for (const auto& l : s.locales) {
      if (!is_locale(l)) r.problem("locales", "'" + l + "' is not a locale tag like ja, en or ja-easy");
    }
    if (std::find(s.locales.begin(), s.locales.end(), "ja") == s.locales.end()) {
      r.problem("locales", "must include \"ja\" (the base every other locale translates)");
    }
  }
  if (auto d = r.object("districts"); d && config.at("districts").is_object()) {
    for (const auto& [id, v] : config.at("districts").as_object()) {
      auto p = d->object(id);
      if (!p) continue;
      double lat = p->number("latitude", 0, -90, 90, true), lon = p->number("longitude", 0, -180, 180, true);
      s.districts[std::string(id)] = {lat, lon};
    }
  }
  if (r.has("staff_roles")) s.staff_roles = r.strings("staff_roles", false, 1);
  if (r.has("moderator_roles")) s.moderator_roles = r.strings("moderator_roles", false, 1);
  if (const json::array* cats = r.array("report_categories")) {
    std::set<std::string> ids;
    for (size_t i = 0; i < cats->size(); ++i) {
      ConfigReader c((*cats)[i], problems, r.child("report_categories") + "/" + std::to_string(i));
      Category cat;
      cat.id = c.string("id", "", true);
      if (!cat.id.empty() && !is_config_id(cat.id)) c.problem("id", "must be 1–32 of [a-z0-9_-]");
      if (!cat.id.empty() && !ids.insert(cat.id).second) c.problem("id", "'" + cat.id + "' is used twice");
      if (auto name = read_localized(c, "name", true)) cat.name = *name;
      s.categories.push_back(std::move(cat));
    }
    if (cats->empty()) r.problem("report_categories", "must list at least one category");
  } else {
    s.categories = default_categories();
  }
  s.photo_max_bytes = r.integer("photo_max_bytes", s.photo_max_bytes, 10 * 1024, 1000 * 1000);
  s.reports_per_day = r.integer("reports_per_day", s.reports_per_day, 1, 100);
  s.quiz_pass_percent = r.integer("quiz_pass_percent", s.quiz_pass_percent, 1, 100);
  s.walking_m_per_min = r.integer("walking_m_per_min", s.walking_m_per_min, 20, 100);
  s.nearest = r.integer("nearest", s.nearest, 1, 20);
  s.open_notify_km = r.number("open_notify_km", s.open_notify_km, 0, 50);
  return s;
}

// A coordinate from a JSON body or query: present, a number, in range.
double coordinate(const json::value* v, const char* name, double limit) {
  if (!v || !v->is_number()) throw HttpError(400, "invalid_coordinates", std::string(name) + ": a number in decimal degrees");
  double d = v->to_number<double>();
  if (!std::isfinite(d) || d < -limit || d > limit) {
    throw HttpError(400, "invalid_coordinates",
                    std::string(name) + ": " + json::serialize(*v) + " is out of range (-" + std::to_string(int(limit)) + " to " +
                        std::to_string(int(limit)) + ")");
  }
  return d;
}
double coordinate_param(const std::optional<std::string>& text, const char* name, double limit) {
  std::string error;
  auto v = text ? parse_json(*text, error) : std::nullopt;
  return coordinate(v ? &*v : nullptr, name, limit);
}

// Shelter status as staff set it; "full" also when the occupancy reaches the capacity.
enum class Status { kClosed, kOpen, kFull };
const char* status_id(Status s) { return s == Status::kOpen ? "open" : s == Status::kFull ? "full" : "closed"; }
std::optional<Status> status_by_id(std::string_view s) {
  if (s == "closed") return Status::kClosed;
  if (s == "open") return Status::kOpen;
  if (s == "full") return Status::kFull;
  return std::nullopt;
}

struct ShelterState {
  Status set = Status::kClosed;  // as staff set it
  int64_t occupancy = 0;
  std::optional<int64_t> capacity;  // staff's, over the file's
  int64_t updated_ms = 0;
};

// The sites of both files with their links (an evacuation site that is also a shelter).
struct SiteSet {
  std::vector<Site> sites;
  std::map<std::string, size_t, std::less<>> by_id;
  std::map<std::string, std::string, std::less<>> partner;  // site id → the other kind's site id

  const Site* find(std::string_view id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : &sites[it->second];
  }
  // A shelter's hazards: its own columns, else its linked evacuation site's.
  uint32_t hazards_of(const Site& s) const {
    if (s.hazards || s.kind == SiteKind::kEvacuationSite) return s.hazards;
    auto p = partner.find(s.id);
    const Site* other = p == partner.end() ? nullptr : find(p->second);
    return other ? other->hazards : 0;
  }
};

// What the last sites file applied on this thread held: an upload's answer (the upload applies
// and answers on one thread, so concurrent uploads never share it).
thread_local json::object t_last_import;

std::string locale_of(const Request& request) {
  if (auto lang = request.query_param("lang"); lang && is_locale(*lang)) return *lang;
  return std::string(request.claims().get("locale").value_or("ja"));
}

std::string category_name(const Settings& s, std::string_view id, std::string_view locale) {
  for (const auto& c : s.categories) {
    if (c.id == id) return c.name.in(locale);
  }
  return std::string(id);
}

}  // namespace

class DisasterLearning : public Plugin {
 public:
  explicit DisasterLearning(Context& ctx) : Plugin(ctx), files_(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    settings_ = read_settings(ctx.config(), ignored);
    ctx.db().migrate({
        "CREATE TABLE sites(id TEXT PRIMARY KEY, kind TEXT NOT NULL, source_id TEXT NOT NULL, name TEXT NOT NULL,"
        " name_en TEXT NOT NULL, kana TEXT NOT NULL, address TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,"
        " hazards INTEGER NOT NULL, capacity INTEGER, also_other INTEGER NOT NULL, note TEXT NOT NULL);"
        "CREATE TABLE shelter_state(site TEXT PRIMARY KEY, status TEXT NOT NULL, occupancy INTEGER NOT NULL,"
        " capacity INTEGER, updated_ms INTEGER NOT NULL);"
        "CREATE TABLE households(subject TEXT NOT NULL, member TEXT NOT NULL, name TEXT NOT NULL,"
        " birthdate TEXT NOT NULL, relation TEXT NOT NULL, PRIMARY KEY(subject, member)) WITHOUT ROWID;"
        "CREATE TABLE checkins(id INTEGER PRIMARY KEY, subject TEXT NOT NULL, site TEXT NOT NULL,"
        " site_name TEXT NOT NULL, party INTEGER NOT NULL, members TEXT NOT NULL, guests INTEGER NOT NULL,"
        " in_ms INTEGER NOT NULL, out_ms INTEGER);"
        "CREATE UNIQUE INDEX checkins_open ON checkins(subject) WHERE out_ms IS NULL;"
        "CREATE INDEX checkins_site ON checkins(site, out_ms);"
        "CREATE TABLE quiz_results(subject TEXT NOT NULL, quiz TEXT NOT NULL, best INTEGER NOT NULL,"
        " last INTEGER NOT NULL, total INTEGER NOT NULL, attempts INTEGER NOT NULL, passed_ms INTEGER,"
        " updated_ms INTEGER NOT NULL, PRIMARY KEY(subject, quiz)) WITHOUT ROWID;"
        "CREATE TABLE articles_read(subject TEXT NOT NULL, article TEXT NOT NULL, read_ms INTEGER NOT NULL,"
        " PRIMARY KEY(subject, article)) WITHOUT ROWID;"
        "CREATE TABLE reports(id INTEGER PRIMARY KEY, subject TEXT NOT NULL, lat REAL NOT NULL, lon REAL NOT NULL,"
        " category TEXT NOT NULL, text TEXT NOT NULL, status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '',"
        " created_ms INTEGER NOT NULL, moderated_ms INTEGER, photo BLOB, photo_type TEXT, photo_width INTEGER,"
        " photo_height INTEGER);"
        "CREATE INDEX reports_status ON reports(status, created_ms);"
        "CREATE INDEX reports_subject ON reports(subject, created_ms);",
        "CREATE TABLE districts(subject TEXT PRIMARY KEY, district TEXT NOT NULL) WITHOUT ROWID;",
    });
    files_.add("evacuation_sites", settings_.evacuation_sites_file,
               [this](std::string_view bytes, const std::string& file) { return import_sites(bytes, file, SiteKind::kEvacuationSite); });
    files_.add("shelters", settings_.shelters_file,
               [this](std::string_view bytes, const std::string& file) { return import_sites(bytes, file, SiteKind::kShelter); });
    for (const std::string& locale : settings_.locales) {
      files_.add("learning." + locale, "learning." + locale + ".json",
                 [this, locale](std::string_view text, const std::string& file) { return use_learning(locale, text, file); },
                 /*keep_text=*/true);
    }
    for (const std::string& locale : settings_.locales) {
      if (auto saved = files_.saved("learning." + locale)) use_learning(locale, *saved, "saved " + locale + " content");
    }
    files_.import_changed();
    load_sites();  // what is committed now
  }

  static std::vector<ConfigProblem> validate_config(const json::value& config) {
    std::vector<ConfigProblem> problems;
    read_settings(config, problems);
    return problems;
  }

  std::optional<std::string> health() {
    std::string out = files_.health().value_or("");
    if (current_sites()->sites.empty()) out += std::string(out.empty() ? "" : "; ") + "no evacuation sites or shelters loaded";
    if (!current_learning()->has_base()) out += std::string(out.empty() ? "" : "; ") + "no Japanese learning content loaded";
    return out.empty() ? std::nullopt : std::optional(out);
  }

  void handle(const Request& request, Response& response) override {
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path.starts_with("/staff/")) return staff(request, response);
    if (path == "/me" || path.starts_with("/me/")) return me(request, response);
    if (method == "GET" && serve_asset(request, response)) return;  // the screens (ui/)
    if (path.starts_with("/quizzes/") && path.ends_with("/answers")) {
      if (method != "POST") throw HttpError(405, "method_not_allowed", "POST only");
      return answer_quiz(request, response, path.substr(9, path.size() - 9 - 8));
    }
    if (method != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    std::string locale = locale_of(request);
    if (path == "/") return overview(response, locale);
    if (path == "/hazards") return hazard_list(response, locale);
    if (path == "/learn") return articles(request, response, locale);
    if (path.starts_with("/learn/")) return article(request, response, path.substr(7), locale);
    if (path == "/quizzes") return quizzes(request, response, locale);
    if (path.starts_with("/quizzes/")) return quiz(response, path.substr(9), locale);
    if (path == "/sites") return sites(request, response, locale);
    if (path.starts_with("/sites/")) return site(response, path.substr(7), locale);
    if (path == "/shelters") return shelters(response, locale);
    if (path == "/practice") return practice(request, response, locale);
    if (path == "/map.geojson") return map(request, response, locale);
    if (path == "/reports") return public_reports(response, locale);
    if (path.starts_with("/reports/") && path.ends_with("/photo")) {
      return photo(request, response, path_number(path.substr(9, path.size() - 9 - 6), "unknown_report", "a report id"), false);
    }
    throw HttpError(404, "not_found", "no such page");
  }

  std::optional<json::object> info_card(const Claims& claims, std::string_view locale) {
    auto subject = claims.subject();
    bool en = locale.starts_with("en");
    if (subject) {
      if (auto c = open_checkin(std::string(*subject))) {
        std::string party = std::to_string(c->at("party").as_int64());
        return json::object{{"title", en ? "Disaster" : "防災"},
                            {"body", en ? "Checked in at " + std::string(c->at("site_name").as_string()) + " (" + party + (party == "1" ? " person)" : " people)")
                                        : std::string(c->at("site_name").as_string()) + "に避難中（" + party + "人）"},
                            {"link", "/me/checkin"}};
      }
    }
    int open = open_shelters(*current_sites(), shelter_states());
    if (open > 0) {
      return json::object{{"title", en ? "Disaster" : "防災"},
                          {"body", en ? std::to_string(open) + (open == 1 ? " shelter is open" : " shelters are open")
                                      : "開設中の避難所: " + std::to_string(open) + "か所"},
                          {"link", "/shelters"}};
    }
    if (!subject) return std::nullopt;
    auto learning = current_learning();
    if (!learning->has_base() || learning->base()->quizzes.empty()) return std::nullopt;
    Statement q = context().db().prepare("SELECT count(*) FROM quiz_results WHERE subject = ?1 AND passed_ms IS NOT NULL");
    q.bind(1, *subject);
    q.step();
    int64_t passed = q.integer(0), total = static_cast<int64_t>(learning->base()->quizzes.size());
    if (passed >= total) return std::nullopt;
    return json::object{{"title", en ? "Disaster" : "防災"},
                        {"body", en ? "Disaster quizzes passed: " + std::to_string(passed) + " of " + std::to_string(total)
                                    : "防災クイズ: " + std::to_string(total) + "問中" + std::to_string(passed) + "問合格"},
                        {"link", "/quizzes"}};
  }

  json::value export_subject(std::string_view subject) {
    Database& db = context().db();
    json::array household, checkins, quizzes, read, reports;
    Statement h = db.prepare("SELECT member, name, birthdate, relation FROM households WHERE subject = ?1 ORDER BY birthdate");
    h.bind(1, subject);
    while (h.step()) household.push_back({{"id", h.text(0)}, {"name", h.text(1)}, {"birthdate", h.text(2)}, {"relation", h.text(3)}});
    Statement c = db.prepare("SELECT id, site, site_name, party, members, guests, in_ms, out_ms FROM checkins WHERE subject = ?1 ORDER BY id");
    c.bind(1, subject);
    while (c.step()) checkins.push_back(checkin_json(c));
    Statement q = db.prepare("SELECT quiz, best, last, total, attempts, passed_ms FROM quiz_results WHERE subject = ?1 ORDER BY quiz");
    q.bind(1, subject);
    while (q.step()) {
      quizzes.push_back({{"quiz", q.text(0)}, {"best", q.integer(1)}, {"last", q.integer(2)}, {"total", q.integer(3)},
                         {"attempts", q.integer(4)}, {"passed_unix_ms", q.is_null(5) ? json::value(nullptr) : json::value(q.integer(5))}});
    }
    Statement a = db.prepare("SELECT article, read_ms FROM articles_read WHERE subject = ?1 ORDER BY article");
    a.bind(1, subject);
    while (a.step()) read.push_back({{"article", a.text(0)}, {"read_unix_ms", a.integer(1)}});
    Statement r = db.prepare(std::string(kReportColumns) + " WHERE subject = ?1 ORDER BY id");
    r.bind(1, subject);
    while (r.step()) reports.push_back(report_json(r, "ja", true));
    Statement d = db.prepare("SELECT district FROM districts WHERE subject = ?1");
    d.bind(1, subject);
    json::value district = d.step() ? json::value(d.text(0)) : json::value(nullptr);
    return json::object{{"district", district}, {"household", household}, {"checkins", checkins}, {"quiz_results", quizzes},
                        {"articles_read", read}, {"reports", reports}};
  }

  void erase_subject(std::string_view subject) {
    Database& db = context().db();
    Transaction tx(db);
    // An open check-in leaves the shelter's occupancy first.
    Statement c = db.prepare("SELECT site, party FROM checkins WHERE subject = ?1 AND out_ms IS NULL");
    c.bind(1, subject);
    std::optional<std::pair<std::string, int64_t>> open;
    if (c.step()) open = {std::string(c.text(0)), c.integer(1)};
    if (open) db.run("UPDATE shelter_state SET occupancy = max(0, occupancy - ?2), updated_ms = ?3 WHERE site = ?1",
                     open->first, open->second, now_ms());
    for (const char* table : {"households", "checkins", "quiz_results", "articles_read", "reports", "districts"}) {
      db.run(std::string("DELETE FROM ") + table + " WHERE subject = ?1", subject);
    }
    tx.commit();
    if (open) publish_shelter(open->first);
  }

 private:
  static constexpr const char* kReportColumns =
      "SELECT id, lat, lon, category, text, status, reason, created_ms, moderated_ms, photo_type, photo_width,"
      " photo_height, length(photo) FROM reports";

  // ---- data files ---------------------------------------------------------------------------------

  std::vector<std::string> import_sites(std::string_view bytes, const std::string& file, SiteKind kind) {
    SitesFile parsed = parse_sites(bytes, file, kind);
    if (!parsed.problems.empty()) return parsed.problems;
    Database& db = context().db();
    db.run("DELETE FROM sites WHERE kind = ?1", std::string(kind_id(kind)));
    Statement insert = db.prepare(
        "INSERT INTO sites(id, kind, source_id, name, name_en, kana, address, lat, lon, hazards, capacity, also_other, note)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)");
    for (const Site& s : parsed.sites) {
      insert.bind(1, s.id).bind(2, kind_id(kind)).bind(3, s.source_id).bind(4, s.name).bind(5, s.name_en).bind(6, s.kana);
      insert.bind(7, s.address).bind(8, s.point.latitude).bind(9, s.point.longitude).bind(10, static_cast<int64_t>(s.hazards));
      insert.bind(11, s.capacity).bind(12, static_cast<int64_t>(s.also_other)).bind(13, s.note);
      insert.run();
      insert.reset();
    }
    t_last_import = json::object{{"layout", parsed.layout}, {"sites", parsed.sites.size()}};
    return {};
  }

  void load_sites() {
    auto set = std::make_shared<SiteSet>();
    Statement q = context().db().prepare(
        "SELECT id, kind, source_id, name, name_en, kana, address, lat, lon, hazards, capacity, also_other, note FROM sites"
        " ORDER BY kind, rowid");
    while (q.step()) {
      Site s;
      s.id = q.text(0);
      s.kind = q.text(1) == "shelter" ? SiteKind::kShelter : SiteKind::kEvacuationSite;
      s.source_id = q.text(2);
      s.name = q.text(3);
      s.name_en = q.text(4);
      s.kana = q.text(5);
      s.address = q.text(6);
      s.point = {q.real(7), q.real(8)};
      s.hazards = static_cast<uint32_t>(q.integer(9));
      if (!q.is_null(10)) s.capacity = q.integer(10);
      s.also_other = q.integer(11) != 0;
      s.note = q.text(12);
      set->by_id[s.id] = set->sites.size();
      set->sites.push_back(std::move(s));
    }
    // Links: the same published id, or (where the file marks it) the same address.
    std::map<std::string, std::string> shelter_by_source, shelter_by_address;
    for (const Site& s : set->sites) {
      if (s.kind != SiteKind::kShelter) continue;
      if (!s.source_id.empty()) shelter_by_source[s.source_id] = s.id;
      shelter_by_address[fold(s.address)] = s.id;
    }
    for (const Site& s : set->sites) {
      if (s.kind != SiteKind::kEvacuationSite) continue;
      std::string other;
      if (auto it = shelter_by_source.find(s.source_id); !s.source_id.empty() && it != shelter_by_source.end()) other = it->second;
      else if (auto a = shelter_by_address.find(fold(s.address)); s.also_other && a != shelter_by_address.end()) other = a->second;
      if (other.empty()) continue;
      set->partner[s.id] = other;
      set->partner[other] = s.id;
    }
    std::lock_guard lock(mutex_);
    sites_ = std::move(set);
  }

  std::vector<std::string> use_learning(const std::string& locale, std::string_view text, const std::string& file) {
    std::vector<ConfigProblem> problems;
    auto parsed = parse_learning(text, locale, locale == "ja", problems);
    if (!parsed) return problem_lines(file, problems);
    std::lock_guard lock(mutex_);
    learning_files_[locale] = std::make_shared<const LearningFile>(std::move(*parsed));
    learning_ = std::make_shared<const Learning>(learning_files_);
    return {};
  }

  std::shared_ptr<const SiteSet> current_sites() {
    std::lock_guard lock(mutex_);
    return sites_;
  }
  std::shared_ptr<const Learning> current_learning() {
    std::lock_guard lock(mutex_);
    return learning_;
  }

  // ---- shelters ---------------------------------------------------------------------------------------

  static constexpr const char* kStateColumns = "SELECT site, status, occupancy, capacity, updated_ms FROM shelter_state";
  static ShelterState state_row(const Statement& q) {
    ShelterState s;
    s.set = status_by_id(q.text(1)).value_or(Status::kClosed);
    s.occupancy = q.integer(2);
    if (!q.is_null(3)) s.capacity = q.integer(3);
    s.updated_ms = q.integer(4);
    return s;
  }
  std::map<std::string, ShelterState, std::less<>> shelter_states() {
    std::map<std::string, ShelterState, std::less<>> out;
    Statement q = context().db().prepare(kStateColumns);
    while (q.step()) out[std::string(q.text(0))] = state_row(q);
    return out;
  }
  ShelterState shelter_state(std::string_view id) {
    Statement q = context().db().prepare(std::string(kStateColumns) + " WHERE site = ?1");
    q.bind(1, id);
    return q.step() ? state_row(q) : ShelterState{};
  }
  // Shelters not closed (open or full), for the overview and the home card.
  int open_shelters(const SiteSet& set, const std::map<std::string, ShelterState, std::less<>>& states) {
    int open = 0;
    for (const Site& s : set.sites) {
      auto st = states.find(s.id);
      open += s.kind == SiteKind::kShelter && st != states.end() && st->second.set != Status::kClosed;
    }
    return open;
  }

  static std::optional<int64_t> capacity_of(const Site& s, const ShelterState& st) {
    return st.capacity ? st.capacity : s.capacity;
  }
  static Status effective(const Site& s, const ShelterState& st) {
    auto cap = capacity_of(s, st);
    if (st.set == Status::kOpen && cap && *cap > 0 && st.occupancy >= *cap) return Status::kFull;
    return st.set;
  }

  json::object live_json(const Site& s, const ShelterState& st) {
    auto cap = capacity_of(s, st);
    return {{"id", s.id}, {"status", status_id(effective(s, st))}, {"occupancy", st.occupancy},
            {"capacity", cap ? json::value(*cap) : json::value(nullptr)},
            {"updated_unix_ms", st.updated_ms ? json::value(st.updated_ms) : json::value(nullptr)}};
  }

  void publish_shelter(const std::string& id) {
    auto set = current_sites();
    const Site* s = set->find(id);
    if (!s) return;
    context().publish("shelters", to_json_text(live_json(*s, shelter_state(id))));
  }

  json::object site_json(const SiteSet& set, const Site& s, std::string_view locale,
                         const std::map<std::string, ShelterState, std::less<>>* states) {
    json::array hz;
    uint32_t bits = set.hazards_of(s);
    for (size_t h = 0; h < kHazards; ++h) {
      if (bits & (1u << h)) hz.push_back(json::value(hazards()[h].id));
    }
    bool en = locale.starts_with("en");
    auto p = set.partner.find(s.id);
    const Site* other = p == set.partner.end() ? nullptr : set.find(p->second);
    std::string name_en = !s.name_en.empty() ? s.name_en : other ? other->name_en : "";
    json::object o{{"id", s.id}, {"kind", kind_id(s.kind)},
                   {"name", en && !name_en.empty() ? name_en : s.name}, {"name_ja", s.name},
                   {"kana", s.kana}, {"address", s.address},
                   {"latitude", s.point.latitude}, {"longitude", s.point.longitude}, {"hazards", hz}};
    if (other) o["also"] = other->id;
    if (s.kind == SiteKind::kShelter) {
      ShelterState st;
      if (states) {
        if (auto it = states->find(s.id); it != states->end()) st = it->second;
      } else {
        st = shelter_state(s.id);
      }
      json::object live = live_json(s, st);
      for (const char* key : {"status", "occupancy", "capacity", "updated_unix_ms"}) o[key] = live[key];
    }
    if (!s.note.empty()) o["note"] = s.note;
    return o;
  }

  // ---- public routes ------------------------------------------------------------------------------

  void overview(Response& response, const std::string& locale) {
    auto set = current_sites();
    auto learning = current_learning();
    auto states = shelter_states();
    int evac = 0, shelters = 0, open = open_shelters(*set, states);
    for (const Site& s : set->sites) (s.kind == SiteKind::kEvacuationSite ? evac : shelters) += 1;
    json::array locales;
    for (const auto& l : learning->locales()) locales.push_back(json::value(l));
    json::array categories;  // what a report may be about, for the report form
    for (const auto& c : settings_.categories) categories.push_back({{"id", c.id}, {"name", c.name.in(locale)}});
    response.json(json::object{
        {"evacuation_sites", evac}, {"shelters", shelters}, {"open_shelters", open},
        {"report_categories", std::move(categories)},
        {"learning", {{"locales", locales},
                      {"articles", learning->has_base() ? learning->base()->articles.size() : 0},
                      {"quizzes", learning->has_base() ? learning->base()->quizzes.size() : 0}}},
        {"hazards", hazards_json(locale)}});
  }

  json::array hazards_json(const std::string& locale) {
    json::array out;
    for (Hazard h : settings_.hazards) out.push_back({{"id", hazards()[static_cast<size_t>(h)].id}, {"name", hazard_name(h, locale)}});
    return out;
  }
  void hazard_list(Response& response, const std::string& locale) { response.json(json::object{{"hazards", hazards_json(locale)}}); }

  std::shared_ptr<const Learning> learning_or_503() {
    auto learning = current_learning();
    if (!learning->has_base()) throw HttpError(503, "no_content", "no learning content is loaded (staff: PUT /staff/data/learning.ja)");
    return learning;
  }

  // Filters shared by /learn and /quizzes: ?hazard= (also "general") and ?track=.
  struct ContentFilter {
    std::string hazard, track;
    template <typename T>
    bool matches(const T& item) const {
      return (hazard.empty() || item.hazard == hazard) && (track.empty() || item.track == track);
    }
  };
  static ContentFilter content_filter(const Request& request) {
    ContentFilter f{request.query_param("hazard").value_or(""), request.query_param("track").value_or("")};
    if (!f.hazard.empty() && f.hazard != "general" && !hazard_by_id(f.hazard)) {
      throw HttpError(400, "unknown_hazard", "?hazard=: general or a hazard id (GET /hazards)");
    }
    if (!f.track.empty() && f.track != "general" && f.track != "children") {
      throw HttpError(400, "invalid_track", "?track=: general or children");
    }
    return f;
  }

  std::set<std::string> read_articles(const Request& request) {
    std::set<std::string> out;
    auto subject = request.claims().subject();
    if (!subject) return out;
    Statement q = context().db().prepare("SELECT article FROM articles_read WHERE subject = ?1");
    q.bind(1, *subject);
    while (q.step()) out.insert(std::string(q.text(0)));
    return out;
  }

  void articles(const Request& request, Response& response, const std::string& locale) {
    auto learning = learning_or_503();
    ContentFilter filter = content_filter(request);
    auto read = read_articles(request);
    json::array out;
    for (const Article* a : learning->articles(locale)) {
      if (!filter.matches(*a)) continue;
      json::object o{{"id", a->id}, {"hazard", a->hazard}, {"track", a->track}, {"title", a->title},
                     {"summary", a->summary}, {"steps", a->steps.size()}};
      if (request.claims().subject()) o["read"] = read.contains(a->id);
      out.push_back(std::move(o));
    }
    response.json(json::object{{"locale", locale}, {"articles", out}});
  }

  void article(const Request& request, Response& response, std::string_view id, const std::string& locale) {
    auto learning = learning_or_503();
    const Article* a = learning->article(id, locale);
    if (!a) throw HttpError(404, "unknown_article", "no article '" + std::string(id) + "'");
    json::array steps;
    for (size_t i = 0; i < a->steps.size(); ++i) steps.push_back({{"number", i + 1}, {"text", a->steps[i]}});
    json::object o{{"id", a->id}, {"hazard", a->hazard}, {"track", a->track}, {"title", a->title},
                   {"summary", a->summary}, {"body", a->body}, {"steps", steps}};
    if (request.claims().subject()) o["read"] = read_articles(request).contains(a->id);
    response.json(o);
  }

  void quizzes(const Request& request, Response& response, const std::string& locale) {
    auto learning = learning_or_503();
    ContentFilter filter = content_filter(request);
    std::map<std::string, std::pair<int64_t, bool>> mine;  // quiz → best, passed
    if (auto subject = request.claims().subject()) {
      Statement q = context().db().prepare("SELECT quiz, best, passed_ms IS NOT NULL FROM quiz_results WHERE subject = ?1");
      q.bind(1, *subject);
      while (q.step()) mine[std::string(q.text(0))] = {q.integer(1), q.integer(2) != 0};
    }
    json::array out;
    for (const Quiz* q : learning->quizzes(locale)) {
      if (!filter.matches(*q)) continue;
      json::object o{{"id", q->id}, {"hazard", q->hazard}, {"track", q->track}, {"title", q->title},
                     {"questions", q->questions.size()}};
      if (request.claims().subject()) {
        auto m = mine.find(q->id);
        o["best"] = m == mine.end() ? json::value(nullptr) : json::value(m->second.first);
        o["passed"] = m != mine.end() && m->second.second;
      }
      out.push_back(std::move(o));
    }
    response.json(json::object{{"locale", locale}, {"pass_percent", settings_.quiz_pass_percent}, {"quizzes", out}});
  }

  void quiz(Response& response, std::string_view id, const std::string& locale) {
    auto learning = learning_or_503();
    const Quiz* q = learning->quiz(id, locale);
    if (!q) throw HttpError(404, "unknown_quiz", "no quiz '" + std::string(id) + "'");
    json::array questions;
    for (size_t i = 0; i < q->questions.size(); ++i) {
      json::array choices;
      for (const auto& c : q->questions[i].choices) choices.push_back(json::value(c));
      questions.push_back({{"number", i + 1}, {"text", q->questions[i].text}, {"choices", choices}});
    }
    response.json(json::object{{"id", q->id}, {"hazard", q->hazard}, {"track", q->track}, {"title", q->title},
                               {"pass_percent", settings_.quiz_pass_percent}, {"questions", questions}});
  }

  // POST /quizzes/{id}/answers {"answers": [choice index per question]}: the score, each answer
  // marked with the explanation; a signed-in resident's best and last scores are kept.
  void answer_quiz(const Request& request, Response& response, std::string_view id) {
    auto learning = learning_or_503();
    std::string locale = locale_of(request);
    const Quiz* base = learning->base_quiz(id);
    if (!base) throw HttpError(404, "unknown_quiz", "no quiz '" + std::string(id) + "'");
    const Quiz* shown = learning->quiz(id, locale);
    json::object body = request.json_object();
    const json::array* answers = body.contains("answers") ? body.at("answers").if_array() : nullptr;
    if (!answers || answers->size() != base->questions.size()) {
      throw HttpError(400, "invalid_answers", "/answers: an array of " + std::to_string(base->questions.size()) +
                                                  " choice indexes, one per question");
    }
    int64_t score = 0;
    json::array results;
    for (size_t i = 0; i < answers->size(); ++i) {
      const Question& q = base->questions[i];
      const json::value& a = (*answers)[i];
      if (!a.is_int64() || a.as_int64() < 0 || a.as_int64() >= static_cast<int64_t>(q.choices.size())) {
        throw HttpError(400, "invalid_answers", "/answers/" + std::to_string(i) + ": a choice index 0–" +
                                                    std::to_string(q.choices.size() - 1));
      }
      bool correct = a.as_int64() == q.answer;
      score += correct;
      results.push_back({{"number", i + 1}, {"correct", correct}, {"answer", q.answer},
                         {"explanation", shown->questions[i].explanation.empty() ? q.explanation : shown->questions[i].explanation}});
    }
    int64_t total = static_cast<int64_t>(base->questions.size());
    bool passed = score * 100 >= settings_.quiz_pass_percent * total;
    json::object out{{"quiz", base->id}, {"score", score}, {"total", total}, {"passed", passed}, {"results", results}};
    if (auto subject = request.claims().subject()) {
      int64_t now = now_ms();
      context().db().run(
          "INSERT INTO quiz_results(subject, quiz, best, last, total, attempts, passed_ms, updated_ms)"
          " VALUES (?1, ?2, ?3, ?3, ?4, 1, CASE WHEN ?5 THEN ?6 END, ?6)"
          " ON CONFLICT(subject, quiz) DO UPDATE SET best = max(best, ?3), last = ?3, total = ?4,"
          " attempts = attempts + 1, passed_ms = coalesce(passed_ms, CASE WHEN ?5 THEN ?6 END), updated_ms = ?6",
          *subject, base->id, score, total, static_cast<int64_t>(passed), now);
      Statement q = context().db().prepare("SELECT best, attempts FROM quiz_results WHERE subject = ?1 AND quiz = ?2");
      q.bind(1, *subject).bind(2, base->id);
      q.step();
      out["best"] = q.integer(0);
      out["attempts"] = q.integer(1);
    }
    response.json(out);
  }

  void sites(const Request& request, Response& response, const std::string& locale) {
    auto set = current_sites();
    auto states = shelter_states();
    std::string kind = request.query_param("kind").value_or("");
    if (!kind.empty() && kind != "evacuation_site" && kind != "shelter") {
      throw HttpError(400, "invalid_kind", "?kind=: evacuation_site or shelter");
    }
    std::optional<Hazard> hazard;
    if (auto h = request.query_param("hazard"); h && !h->empty()) {
      hazard = hazard_by_id(*h);
      if (!hazard) throw HttpError(400, "unknown_hazard", "?hazard=: a hazard id (GET /hazards)");
    }
    json::array out;
    for (const Site& s : set->sites) {
      if (!kind.empty() && kind != kind_id(s.kind)) continue;
      if (hazard && !(set->hazards_of(s) & (1u << static_cast<unsigned>(*hazard)))) continue;
      out.push_back(site_json(*set, s, locale, &states));
    }
    response.json(json::object{{"sites", out}});
  }

  void site(Response& response, std::string_view id, const std::string& locale) {
    auto set = current_sites();
    const Site* s = set->find(id);
    if (!s) throw HttpError(404, "unknown_site", "no site '" + std::string(id) + "'");
    response.json(site_json(*set, *s, locale, nullptr));
  }

  void shelters(Response& response, const std::string& locale) {
    auto set = current_sites();
    auto states = shelter_states();
    json::array out;
    for (const Site& s : set->sites) {
      if (s.kind == SiteKind::kShelter) out.push_back(site_json(*set, s, locale, &states));
    }
    response.json(json::object{{"shelters", out}});
  }

  // GET /practice?hazard=&lat=&lon= (or the resident's district): the nearest sites suitable for
  // the hazard — evacuation sites marked for it, and shelters that are open — with distance,
  // bearing and walking time, and the checklist for the hazard.
  void practice(const Request& request, Response& response, const std::string& locale) {
    auto h = request.query_param("hazard");
    auto hazard = h ? hazard_by_id(*h) : std::nullopt;
    if (!hazard || std::find(settings_.hazards.begin(), settings_.hazards.end(), *hazard) == settings_.hazards.end()) {
      throw HttpError(400, "unknown_hazard", "?hazard=: one of this city's hazards (GET /hazards)");
    }
    Point from;
    std::string origin;
    auto lat = request.query_param("lat"), lon = request.query_param("lon");
    if (lat || lon) {
      from = {coordinate_param(lat, "?lat=", 90), coordinate_param(lon, "?lon=", 180)};
      origin = "location";
    } else if (auto district = request.claims().get(MACHI_CLAIM_DISTRICT)) {
      auto d = settings_.districts.find(std::string(*district));
      if (d == settings_.districts.end()) {
        throw HttpError(422, "district_unplaced", "this city has no point for your district; give ?lat=&lon=");
      }
      from = d->second;
      origin = "district";
    } else {
      throw HttpError(400, "no_location", "give ?lat=&lon=, or sign in with your district shared with this mini-app");
    }
    int64_t limit = settings_.nearest;
    if (auto l = request.query_param("limit"); l && !l->empty()) {
      auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), limit);
      if (ec != std::errc() || end != l->data() + l->size() || limit < 1 || limit > 20) {
        throw HttpError(400, "invalid_limit", "?limit=: 1–20");
      }
    }
    bool include_closed = request.query_param("include_closed") == "true";
    auto set = current_sites();
    auto states = shelter_states();
    struct Near { const Site* site; double distance; };
    std::vector<Near> near;
    for (const Site& s : set->sites) {
      if (!(set->hazards_of(s) & (1u << static_cast<unsigned>(*hazard)))) continue;
      if (s.kind == SiteKind::kShelter && !include_closed) {
        auto st = states.find(s.id);
        if (st == states.end() || effective(s, st->second) != Status::kOpen) continue;
      }
      near.push_back({&s, distance_m(from, s.point)});
    }
    std::sort(near.begin(), near.end(), [](const Near& a, const Near& b) { return a.distance < b.distance; });
    if (near.size() > static_cast<size_t>(limit)) near.resize(static_cast<size_t>(limit));
    json::array out;
    for (const Near& n : near) {
      json::object o = site_json(*set, *n.site, locale, &states);
      double bearing = bearing_deg(from, n.site->point);
      o["distance_m"] = std::lround(n.distance);
      o["bearing_deg"] = std::lround(bearing) % 360;
      o["direction"] = locale.starts_with("ja") ? compass_ja(bearing) : compass_en(bearing);
      o["walking_minutes"] = static_cast<int64_t>(std::ceil(n.distance / static_cast<double>(settings_.walking_m_per_min)));
      out.push_back(std::move(o));
    }
    json::array checklist;
    for (const auto& item : current_learning()->checklist(hazards()[static_cast<size_t>(*hazard)].id, locale)) {
      checklist.push_back(json::value(item));
    }
    response.json(json::object{{"hazard", {{"id", hazards()[static_cast<size_t>(*hazard)].id}, {"name", hazard_name(*hazard, locale)}}},
                               {"from", {{"source", origin}, {"latitude", from.latitude}, {"longitude", from.longitude}}},
                               {"walking_m_per_min", settings_.walking_m_per_min},
                               {"sites", out}, {"checklist", checklist}});
  }

  // GET /map.geojson?layers=evacuation_sites,shelters,reports&hazard=: RFC 7946 points
  // ([longitude, latitude]), each feature's properties as the list routes give them.
  void map(const Request& request, Response& response, const std::string& locale) {
    std::set<std::string> layers{"evacuation_sites", "shelters", "reports"};
    if (auto l = request.query_param("layers"); l && !l->empty()) {
      layers.clear();
      for (size_t start = 0; start <= l->size();) {
        size_t comma = l->find(',', start);
        std::string layer = l->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        if (layer != "evacuation_sites" && layer != "shelters" && layer != "reports") {
          throw HttpError(400, "unknown_layer", "?layers=: a comma list of evacuation_sites, shelters, reports");
        }
        layers.insert(layer);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    }
    std::optional<Hazard> hazard;
    if (auto h = request.query_param("hazard"); h && !h->empty()) {
      hazard = hazard_by_id(*h);
      if (!hazard) throw HttpError(400, "unknown_hazard", "?hazard=: a hazard id (GET /hazards)");
    }
    auto feature = [](double lat, double lon, json::object props) {
      return json::object{{"type", "Feature"},
                          {"geometry", {{"type", "Point"}, {"coordinates", json::array{lon, lat}}}},
                          {"properties", std::move(props)}};
    };
    json::array features;
    auto set = current_sites();
    auto states = shelter_states();
    for (const Site& s : set->sites) {
      bool shelter = s.kind == SiteKind::kShelter;
      if (!layers.contains(shelter ? "shelters" : "evacuation_sites")) continue;
      if (hazard && !(set->hazards_of(s) & (1u << static_cast<unsigned>(*hazard)))) continue;
      json::object props = site_json(*set, s, locale, &states);
      props["layer"] = shelter ? "shelters" : "evacuation_sites";
      features.push_back(feature(s.point.latitude, s.point.longitude, std::move(props)));
    }
    if (layers.contains("reports")) {
      Statement r = context().db().prepare(std::string(kReportColumns) + " WHERE status = 'approved' ORDER BY created_ms DESC LIMIT 500");
      while (r.step()) {
        json::object props = report_json(r, locale, false);
        props["layer"] = "reports";
        features.push_back(feature(r.real(1), r.real(2), std::move(props)));
      }
    }
    response.text(to_json_text(json::object{{"type", "FeatureCollection"}, {"features", features}}), "application/geo+json");
  }

  // ---- reports ------------------------------------------------------------------------------------

  // A report row (kReportColumns) as JSON; `own` adds the moderation details its author sees.
  json::object report_json(const Statement& r, std::string_view locale, bool own) {
    int64_t id = r.integer(0);
    json::object o{{"id", id}, {"latitude", r.real(1)}, {"longitude", r.real(2)}, {"category", r.text(3)},
                   {"category_name", category_name(settings_, r.text(3), locale)}, {"text", r.text(4)},
                   {"created_unix_ms", r.integer(7)}};
    if (!r.is_null(9)) {
      o["photo"] = {{"url", (own ? "/me/reports/" : "/reports/") + std::to_string(id) + "/photo"}, {"type", r.text(9)},
                    {"width", r.integer(10)}, {"height", r.integer(11)}, {"bytes", r.integer(12)}};
    } else {
      o["photo"] = nullptr;
    }
    if (own) {
      o["status"] = r.text(5);
      o["reason"] = r.text(6);
      o["moderated_unix_ms"] = r.is_null(8) ? json::value(nullptr) : json::value(r.integer(8));
    }
    return o;
  }

  void public_reports(Response& response, const std::string& locale) {
    json::array out;
    Statement r = context().db().prepare(std::string(kReportColumns) + " WHERE status = 'approved' ORDER BY created_ms DESC LIMIT 500");
    while (r.step()) out.push_back(report_json(r, locale, false));
    response.json(json::object{{"reports", out}});
  }

  // A report's photo: an approved one for anyone; the author's own, or any for moderators.
  void photo(const Request& request, Response& response, int64_t id, bool privileged) {
    Statement q = context().db().prepare("SELECT photo, photo_type, status, subject FROM reports WHERE id = ?1 AND photo IS NOT NULL");
    q.bind(1, id);
    auto subject = request.claims().subject();
    if (!q.step() || !(privileged || q.text(2) == "approved" || (subject && q.text(3) == *subject))) {
      throw HttpError(404, "no_photo", "no photo for report " + std::to_string(id));
    }
    response.header("Cache-Control", q.text(2) == "approved" ? "public, max-age=3600" : "private, no-store");
    response.header("X-Content-Type-Options", "nosniff");
    response.text(std::string(q.blob(0)), std::string(q.text(1)));
  }

  void my_reports(const std::string& subject, const Request& request, Response& response, const std::string& locale) {
    std::string_view path = request.path();
    std::string_view method = request.method();
    Database& db = context().db();
    if (path == "/me/reports" && method == "GET") {
      json::array out;
      Statement r = db.prepare(std::string(kReportColumns) + " WHERE subject = ?1 ORDER BY id DESC");
      r.bind(1, subject);
      while (r.step()) out.push_back(report_json(r, locale, true));
      return void(response.json(json::object{{"reports", out}}));
    }
    if (path == "/me/reports" && method == "POST") {
      json::object body = request.json_object();
      double lat = coordinate(body.if_contains("latitude"), "/latitude", 90);
      double lon = coordinate(body.if_contains("longitude"), "/longitude", 180);
      const json::value* c = body.if_contains("category");
      std::string category = c && c->is_string() ? std::string(c->as_string()) : "";
      if (std::none_of(settings_.categories.begin(), settings_.categories.end(), [&](const Category& k) { return k.id == category; })) {
        std::string ids;
        for (const auto& k : settings_.categories) ids += (ids.empty() ? "" : ", ") + k.id;
        throw HttpError(400, "unknown_category", "/category: one of " + ids);
      }
      const json::value* t = body.if_contains("text");
      if (!t || !t->is_string() || t->as_string().empty() || t->as_string().size() > 2000) {
        throw HttpError(400, "invalid_text", "/text: what you see, 1–2000 bytes");
      }
      int64_t now = now_ms();
      Statement count = db.prepare("SELECT count(*) FROM reports WHERE subject = ?1 AND created_ms > ?2");
      count.bind(1, subject).bind(2, now - 24 * 3600 * 1000);
      count.step();
      if (count.integer(0) >= settings_.reports_per_day) {
        response.header("Retry-After", "3600");
        throw HttpError(429, "too_many_reports", "at most " + std::to_string(settings_.reports_per_day) + " reports in 24 hours");
      }
      db.run("INSERT INTO reports(subject, lat, lon, category, text, status, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6)",
             subject, lat, lon, category, std::string(t->as_string()), now);
      return void(response.json(one_report(db.last_insert_rowid(), locale), 201));
    }
    if (path.starts_with("/me/reports/")) {
      std::string_view rest = path.substr(12);
      bool photo_path = rest.ends_with("/photo");
      int64_t id = path_number(photo_path ? rest.substr(0, rest.size() - 6) : rest, "unknown_report", "a report id");
      Statement own = db.prepare("SELECT status FROM reports WHERE id = ?1 AND subject = ?2");
      own.bind(1, id).bind(2, subject);
      if (!own.step()) throw HttpError(404, "unknown_report", "no report " + std::to_string(id) + " of yours");
      std::string status(own.text(0));
      if (photo_path && method == "GET") return photo(request, response, id, false);
      if (photo_path && method == "PUT") {
        if (status != "pending") throw HttpError(409, "report_moderated", "the report was " + status + "; its photo cannot change");
        if (request.body().size() > static_cast<size_t>(settings_.photo_max_bytes)) {
          throw HttpError(413, "photo_too_large", "the photo is " + std::to_string(request.body().size()) + " bytes; at most " +
                                                      std::to_string(settings_.photo_max_bytes) + " (resize it before sending)");
        }
        std::string error;
        auto image = clean_image(request.body(), error);
        if (!image) throw HttpError(415, "unsupported_photo", "the photo must be a JPEG or PNG image: " + error);
        Statement put = db.prepare("UPDATE reports SET photo = ?1, photo_type = ?2, photo_width = ?3, photo_height = ?4 WHERE id = ?5");
        put.bind_blob(1, image->bytes).bind(2, image->type).bind(3, static_cast<int64_t>(image->width));
        put.bind(4, static_cast<int64_t>(image->height)).bind(5, id);
        put.run();
        json::array removed;
        for (const auto& r : image->removed) removed.push_back(json::value(r));
        json::object out = one_report(id, locale);
        out["metadata_removed"] = removed;
        return void(response.json(out));
      }
      if (!photo_path && method == "DELETE") {
        db.run("DELETE FROM reports WHERE id = ?1 AND subject = ?2", id, subject);
        return void(response.status(204));
      }
      if (!photo_path && method == "GET") return void(response.json(one_report(id, locale)));
      throw HttpError(405, "method_not_allowed", photo_path ? "GET or PUT" : "GET or DELETE");
    }
    throw HttpError(404, "not_found", "no such page");
  }

  json::object one_report(int64_t id, std::string_view locale) {
    Statement r = context().db().prepare(std::string(kReportColumns) + " WHERE id = ?1");
    r.bind(1, id);
    if (!r.step()) throw HttpError(404, "unknown_report", "no report " + std::to_string(id));
    return report_json(r, locale, true);
  }

  // ---- resident routes ------------------------------------------------------------------------------

  // The household the claim names, kept for check-ins (staff scan one card for the family);
  // forgotten when the claim stops.
  void sync_household(const std::string& subject, const Claims& claims) {
    auto members = household_of(claims).value_or(std::vector<HouseholdMember>{});
    Database& db = context().db();
    Statement q = db.prepare("SELECT member, name, birthdate, relation FROM households WHERE subject = ?1 ORDER BY member");
    q.bind(1, subject);
    std::vector<std::string> stored, wanted;
    while (q.step()) stored.push_back(std::string(q.text(0)) + "|" + std::string(q.text(1)) + "|" + std::string(q.text(2)) + "|" + std::string(q.text(3)));
    for (const auto& m : members) wanted.push_back(m.id + "|" + m.name + "|" + m.birthdate + "|" + m.relation);
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    if (stored == wanted) return;
    Transaction tx(db);
    db.run("DELETE FROM households WHERE subject = ?1", subject);
    for (const auto& m : members) {
      db.run("INSERT OR IGNORE INTO households(subject, member, name, birthdate, relation) VALUES (?1, ?2, ?3, ?4, ?5)",
             subject, m.id, m.name, m.birthdate, m.relation);
    }
    tx.commit();
  }

  json::array household(const std::string& subject) {
    json::array out;
    Statement q = context().db().prepare("SELECT member, name, birthdate, relation FROM households WHERE subject = ?1 ORDER BY birthdate");
    q.bind(1, subject);
    while (q.step()) out.push_back({{"id", q.text(0)}, {"name", q.text(1)}, {"birthdate", q.text(2)}, {"relation", q.text(3)}});
    return out;
  }

  static json::object checkin_json(const Statement& c) {
    std::string error;
    auto members = parse_json(c.text(4), error);
    return {{"id", c.integer(0)}, {"site", c.text(1)}, {"site_name", c.text(2)}, {"party", c.integer(3)},
            {"members", members ? *members : json::array()}, {"guests", c.integer(5)}, {"in_unix_ms", c.integer(6)},
            {"out_unix_ms", c.is_null(7) ? json::value(nullptr) : json::value(c.integer(7))}};
  }
  std::optional<json::object> open_checkin(const std::string& subject) {
    Statement c = context().db().prepare(
        "SELECT id, site, site_name, party, members, guests, in_ms, out_ms FROM checkins WHERE subject = ?1 AND out_ms IS NULL");
    c.bind(1, subject);
    if (!c.step()) return std::nullopt;
    return checkin_json(c);
  }

  void me(const Request& request, Response& response) {
    auto subject_view = request.claims().subject();
    if (!subject_view) throw HttpError(401, "sign_in_required", "sign in to keep your progress, check-ins and reports");
    std::string subject(*subject_view);
    std::string_view path = request.path();
    std::string_view method = request.method();
    std::string locale = locale_of(request);
    sync_household(subject, request.claims());
    sync_district(subject, request.claims());
    if (path.starts_with("/me/reports")) return my_reports(subject, request, response, locale);
    if (path == "/me/household" && method == "GET") {
      return void(response.json(json::object{{"shared", request.claims().get(MACHI_CLAIM_HOUSEHOLD).has_value()},
                                             {"members", household(subject)}}));
    }
    if (path == "/me/checkin" && method == "GET") {
      json::array history;
      Statement c = context().db().prepare(
          "SELECT id, site, site_name, party, members, guests, in_ms, out_ms FROM checkins WHERE subject = ?1 ORDER BY id DESC LIMIT 10");
      c.bind(1, subject);
      while (c.step()) history.push_back(checkin_json(c));
      auto open = open_checkin(subject);
      return void(response.json(json::object{{"current", open ? json::value(*open) : json::value(nullptr)}, {"history", history}}));
    }
    if (path == "/me/checkout" && method == "POST") {
      auto open = open_checkin(subject);
      if (!open) throw HttpError(409, "not_checked_in", "you are not checked in at a shelter");
      return void(response.json(check_out(open->at("id").as_int64())));
    }
    if (path == "/me/progress" && method == "GET") return progress(subject, response, locale);
    if (path.starts_with("/me/articles/") && path.ends_with("/read") && method == "POST") {
      std::string id(path.substr(13, path.size() - 13 - 5));
      if (!learning_or_503()->article(id, "ja")) throw HttpError(404, "unknown_article", "no article '" + id + "'");
      context().db().run("INSERT OR IGNORE INTO articles_read(subject, article, read_ms) VALUES (?1, ?2, ?3)", subject, id, now_ms());
      return void(response.status(204));
    }
    throw HttpError(404, "not_found", "no such page");
  }

  // Articles read and quizzes passed, overall and per hazard.
  void progress(const std::string& subject, Response& response, const std::string& locale) {
    auto learning = learning_or_503();
    std::set<std::string> read;
    Statement a = context().db().prepare("SELECT article FROM articles_read WHERE subject = ?1");
    a.bind(1, subject);
    while (a.step()) read.insert(std::string(a.text(0)));
    std::map<std::string, json::object> results;
    Statement q = context().db().prepare("SELECT quiz, best, last, total, attempts, passed_ms FROM quiz_results WHERE subject = ?1");
    q.bind(1, subject);
    while (q.step()) {
      results[std::string(q.text(0))] = {{"best", q.integer(1)}, {"last", q.integer(2)}, {"total", q.integer(3)},
                                         {"attempts", q.integer(4)}, {"passed", !q.is_null(5)}};
    }
    std::map<std::string, std::array<int64_t, 4>> by_hazard;  // read, articles, passed, quizzes
    json::array quizzes;
    for (const Article& art : learning->base()->articles) {
      auto& h = by_hazard[art.hazard];
      h[0] += read.contains(art.id);
      h[1] += 1;
    }
    for (const Quiz* qz : learning->quizzes(locale)) {
      auto r = results.find(qz->id);
      auto& h = by_hazard[qz->hazard];
      h[2] += r != results.end() && r->second.at("passed").as_bool();
      h[3] += 1;
      json::object o{{"id", qz->id}, {"title", qz->title}, {"hazard", qz->hazard}};
      if (r != results.end()) {
        for (const auto& [k, v] : r->second) o[k] = v;
      } else {
        o["attempts"] = 0, o["passed"] = false;
      }
      quizzes.push_back(std::move(o));
    }
    json::array hazard_rows;
    int64_t read_total = 0, articles_total = 0, passed_total = 0, quizzes_total = 0;
    for (const auto& [hazard, n] : by_hazard) {
      hazard_rows.push_back({{"hazard", hazard}, {"articles_read", n[0]}, {"articles", n[1]}, {"quizzes_passed", n[2]}, {"quizzes", n[3]}});
      read_total += n[0], articles_total += n[1], passed_total += n[2], quizzes_total += n[3];
    }
    response.json(json::object{{"articles_read", read_total}, {"articles", articles_total}, {"quizzes_passed", passed_total},
                               {"quizzes", quizzes_total}, {"by_hazard", hazard_rows}, {"quiz_results", quizzes}});
  }

  // ---- staff: shelters and check-in -----------------------------------------------------------------

  const Site& shelter_or_404(const SiteSet& set, std::string_view id) {
    const Site* s = set.find(id);
    if (!s || s->kind != SiteKind::kShelter) throw HttpError(404, "unknown_shelter", "no shelter '" + std::string(id) + "'");
    return *s;
  }

  void save_state(const std::string& id, const ShelterState& st) {
    context().db().run(
        "INSERT INTO shelter_state(site, status, occupancy, capacity, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT(site) DO UPDATE SET status = ?2, occupancy = ?3, capacity = ?4, updated_ms = ?5",
        id, std::string(status_id(st.set)), st.occupancy, st.capacity, st.updated_ms);
  }

  // PUT /staff/shelters/{id} {"status"?, "occupancy"?, "capacity"?}.
  void update_shelter(const Request& request, Response& response, const Site& s) {
    json::object body = request.json_object();
    Transaction tx(context().db());
    ShelterState st = shelter_state(s.id);
    bool any = false, opening = false;
    if (const json::value* v = body.if_contains("status")) {
      auto status = v->is_string() ? status_by_id(v->as_string()) : std::nullopt;
      if (!status) throw HttpError(400, "invalid_status", "/status: closed, open or full");
      if (*status == Status::kClosed && open_checkins(s.id) > 0) {
        throw HttpError(409, "shelter_occupied", "residents are still checked in here; check them out before closing");
      }
      opening = st.set == Status::kClosed && *status != Status::kClosed;
      st.set = *status;
      any = true;
    }
    if (const json::value* v = body.if_contains("occupancy")) {
      if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 100000) {
        throw HttpError(400, "invalid_occupancy", "/occupancy: a whole number 0–100000");
      }
      st.occupancy = v->as_int64();
      any = true;
    }
    if (const json::value* v = body.if_contains("capacity")) {
      if (v->is_null()) st.capacity.reset();
      else if (!v->is_int64() || v->as_int64() < 0 || v->as_int64() > 100000) {
        throw HttpError(400, "invalid_capacity", "/capacity: a whole number 0–100000, or null for the file's");
      } else {
        st.capacity = v->as_int64();
      }
      any = true;
    }
    if (!any) throw HttpError(400, "invalid_body", "give one of /status, /occupancy, /capacity");
    if (st.set == Status::kClosed && body.contains("status")) st.occupancy = 0;
    st.updated_ms = now_ms();
    save_state(s.id, st);
    if (opening) notify_opening(s, st.updated_ms);
    tx.commit();
    publish_shelter(s.id);
    auto set = current_sites();
    response.json(site_json(*set, s, "ja", nullptr));
  }

  // A shelter opened: residents whose district point lies within open_notify_km hear it once per
  // opening (urgency high: it passes quiet hours), in the transaction that opened it.
  void notify_opening(const Site& s, int64_t opened_ms) {
    if (settings_.open_notify_km <= 0) return;
    std::vector<std::string> near;
    for (const auto& [district, point] : settings_.districts) {
      if (distance_m(point, s.point) <= settings_.open_notify_km * 1000) near.push_back(district);
    }
    for (const std::string& district : near) {
      Statement q = context().db().prepare("SELECT subject FROM districts WHERE district = ?1");
      q.bind(1, district);
      std::vector<std::string> subjects;
      while (q.step()) subjects.emplace_back(q.text(0));
      for (const std::string& subject : subjects) {
        context().notify(subject, json::object{
            {"key", "shelter-open:" + s.id + ":" + std::to_string(opened_ms)}, {"category", "shelter"},
            {"urgency", "high"}, {"title", "避難所が開設されました: " + s.name},
            {"body", s.address + "。避難所の状況はアプリで確認できます。"}, {"link", "/sites/" + s.id}});
      }
    }
  }

  // The resident's district as shared with this mini-app, for shelter-opening notices;
  // forgotten when the claim stops.
  void sync_district(const std::string& subject, const Claims& claims) {
    auto district = claims.get(MACHI_CLAIM_DISTRICT);
    Statement q = context().db().prepare("SELECT district FROM districts WHERE subject = ?1");
    q.bind(1, subject);
    std::optional<std::string> stored;
    if (q.step()) stored = std::string(q.text(0));
    if (district && stored == *district) return;
    if (!district && !stored) return;
    if (district) {
      context().db().run("INSERT INTO districts(subject, district) VALUES (?1, ?2) ON CONFLICT(subject) DO UPDATE SET district = ?2",
                         subject, std::string(*district));
    } else {
      context().db().run("DELETE FROM districts WHERE subject = ?1", subject);
    }
  }

  int64_t open_checkins(const std::string& site) {
    Statement q = context().db().prepare("SELECT count(*) FROM checkins WHERE site = ?1 AND out_ms IS NULL");
    q.bind(1, site);
    q.step();
    return q.integer(0);
  }

  // POST /staff/shelters/{id}/checkins {"card", "members": "all" | [ids], "guests"}.
  void check_in(const Request& request, Response& response, const Site& s) {
    json::object body = request.json_object();
    const json::value* card = body.if_contains("card");
    if (!card || !card->is_string() || card->as_string().empty() || card->as_string().size() > 4096) {
      throw HttpError(400, "invalid_card", "/card: the citizen card's token as scanned from its QR code");
    }
    int64_t guests = 0;
    if (const json::value* g = body.if_contains("guests")) {
      if (!g->is_int64() || g->as_int64() < 0 || g->as_int64() > 20) throw HttpError(400, "invalid_guests", "/guests: 0–20 people without a card");
      guests = g->as_int64();
    }
    // Check the shelter before spending the card.
    ShelterState st = shelter_state(s.id);
    if (st.set == Status::kClosed) throw HttpError(409, "shelter_closed", "'" + s.name + "' is closed; open it first");
    std::string subject = request.resolve_card(card->as_string());
    json::array household_members = household(subject);
    json::array members;
    const json::value* wanted = body.if_contains("members");
    if (wanted && wanted->is_string() && wanted->as_string() == "all") {
      members = household_members;
    } else if (wanted && wanted->is_array()) {
      for (const auto& id : wanted->as_array()) {
        auto m = std::find_if(household_members.begin(), household_members.end(),
                              [&](const json::value& v) { return id.is_string() && v.at("id") == id; });
        if (m == household_members.end()) {
          throw HttpError(400, "unknown_member", "/members: " + json::serialize(id) + " is not in this resident's household "
                                                     "(as shared with this mini-app)");
        }
        members.push_back(*m);
      }
    } else if (wanted && !wanted->is_null()) {
      throw HttpError(400, "invalid_members", "/members: \"all\" or an array of household member ids");
    }
    int64_t party = 1 + static_cast<int64_t>(members.size()) + guests;
    Database& db = context().db();
    Transaction tx(db);
    if (auto open = open_checkin(subject)) {
      throw HttpError(409, "already_checked_in", "this resident is already checked in at '" +
                                                     std::string(open->at("site_name").as_string()) + "' (check-in " +
                                                     std::to_string(open->at("id").as_int64()) + ")");
    }
    st = shelter_state(s.id);  // inside the transaction
    if (st.set == Status::kClosed) throw HttpError(409, "shelter_closed", "'" + s.name + "' is closed; open it first");
    int64_t now = now_ms();
    db.run("INSERT INTO checkins(subject, site, site_name, party, members, guests, in_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
           subject, s.id, s.name, party, json::serialize(members), guests, now);
    int64_t id = db.last_insert_rowid();
    st.occupancy += party;
    st.updated_ms = now;
    save_state(s.id, st);
    tx.commit();
    publish_shelter(s.id);
    auto cap = capacity_of(s, st);
    json::object out{{"checkin", id}, {"shelter", s.id}, {"party", party}, {"members", members}, {"guests", guests},
                     {"occupancy", st.occupancy}, {"status", status_id(effective(s, st))}};
    if (cap && st.occupancy > *cap) out["warning"] = "over capacity (" + std::to_string(*cap) + ")";
    response.json(out, 201);
  }

  // Closes a check-in: the party leaves the shelter's occupancy.
  json::object check_out(int64_t checkin) {
    Database& db = context().db();
    Transaction tx(db);
    Statement c = db.prepare("SELECT id, site, site_name, party, members, guests, in_ms, out_ms FROM checkins WHERE id = ?1");
    c.bind(1, checkin);
    if (!c.step()) throw HttpError(404, "unknown_checkin", "no check-in " + std::to_string(checkin));
    if (!c.is_null(7)) throw HttpError(409, "already_checked_out", "check-in " + std::to_string(checkin) + " was already closed");
    std::string site(c.text(1));
    int64_t party = c.integer(3), now = now_ms();
    db.run("UPDATE checkins SET out_ms = ?2 WHERE id = ?1", checkin, now);
    db.run("UPDATE shelter_state SET occupancy = max(0, occupancy - ?2), updated_ms = ?3 WHERE site = ?1", site, party, now);
    tx.commit();
    publish_shelter(site);
    json::object out = checkin_json(c);
    out["out_unix_ms"] = now;
    out["occupancy"] = shelter_state(site).occupancy;
    return out;
  }

  // POST /staff/shelters/{id}/checkouts {"card"} or {"checkin": id}.
  void staff_check_out(const Request& request, Response& response, const Site& s) {
    json::object body = request.json_object();
    int64_t id = 0;
    if (const json::value* c = body.if_contains("checkin"); c && c->is_int64()) {
      id = c->as_int64();
    } else if (const json::value* card = body.if_contains("card"); card && card->is_string() && !card->as_string().empty()) {
      std::string subject = request.resolve_card(card->as_string());
      auto open = open_checkin(subject);
      if (!open) throw HttpError(409, "not_checked_in", "this resident is not checked in");
      id = open->at("id").as_int64();
    } else {
      throw HttpError(400, "invalid_body", "give /checkin (an id from the roster) or /card (a scanned citizen card)");
    }
    Statement where = context().db().prepare("SELECT site FROM checkins WHERE id = ?1");
    where.bind(1, id);
    if (!where.step() || where.text(0) != s.id) throw HttpError(404, "unknown_checkin", "no check-in " + std::to_string(id) + " at this shelter");
    response.json(check_out(id));
  }

  void roster(Response& response, const Site& s) {
    json::array out;
    Statement c = context().db().prepare(
        "SELECT id, site, site_name, party, members, guests, in_ms, out_ms FROM checkins WHERE site = ?1 AND out_ms IS NULL ORDER BY id");
    c.bind(1, s.id);
    int64_t people = 0;
    while (c.step()) {
      people += c.integer(3);
      out.push_back(checkin_json(c));
    }
    ShelterState st = shelter_state(s.id);
    response.json(json::object{{"shelter", s.id}, {"status", status_id(effective(s, st))}, {"occupancy", st.occupancy},
                               {"checked_in_people", people}, {"checkins", out}});
  }

  // ---- staff and moderators ------------------------------------------------------------------------

  void staff(const Request& request, Response& response) {
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path.starts_with("/staff/reports")) return moderate(request, response);
    request.require_any_role(settings_.staff_roles);
    if (path == "/staff/data" && method == "GET") {
      json::object state = files_.state();
      json::array warnings;
      for (const auto& w : current_learning()->warnings()) warnings.push_back(json::value(w));
      state["learning_warnings"] = warnings;
      return void(response.json(state));
    }
    if (path.starts_with("/staff/data/")) {
      if (method != "PUT") throw HttpError(405, "method_not_allowed", "PUT only");
      std::string what(path.substr(12));
      t_last_import = {};
      bool known = files_.upload(what, request.body(), response, [&] {
        json::object out = t_last_import;
        if (out.empty()) out["locales"] = json::value_from(current_learning()->locales());
        return out;
      });
      if (!known) throw HttpError(404, "unknown_file", "no data file '" + what + "' (GET /staff/data lists them)");
      load_sites();  // after the upload's commit (or its refusal): memory follows the database
      return;
    }
    if (path.starts_with("/staff/shelters/")) {
      std::string_view rest = path.substr(16);
      size_t slash = rest.find('/');
      auto set = current_sites();
      const Site& s = shelter_or_404(*set, rest.substr(0, slash));
      std::string_view tail = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
      if (tail.empty() && method == "PUT") return update_shelter(request, response, s);
      if (tail == "/checkins" && method == "POST") return check_in(request, response, s);
      if (tail == "/checkins" && method == "GET") return roster(response, s);
      if (tail == "/checkouts" && method == "POST") return staff_check_out(request, response, s);
      throw HttpError(404, "not_found", "no such staff page");
    }
    throw HttpError(404, "not_found", "no such staff page");
  }

  // GET /staff/reports?status=pending, GET /staff/reports/{id}/photo,
  // POST /staff/reports/{id}/decision {"decision": "approve"|"reject", "reason"}.
  void moderate(const Request& request, Response& response) {
    request.require_any_role(settings_.moderator_roles);
    std::string_view path = request.path();
    std::string_view method = request.method();
    std::string locale = locale_of(request);
    Database& db = context().db();
    if (path == "/staff/reports" && method == "GET") {
      std::string status = request.query_param("status").value_or("pending");
      if (status != "pending" && status != "approved" && status != "rejected") {
        throw HttpError(400, "invalid_status", "?status=: pending, approved or rejected");
      }
      json::array out;
      Statement r = db.prepare(std::string(kReportColumns) + " WHERE status = ?1 ORDER BY created_ms LIMIT 500");
      r.bind(1, status);
      while (r.step()) {
        json::object o = report_json(r, locale, true);
        if (o["photo"].is_object()) o["photo"].as_object()["url"] = "/staff/reports/" + std::to_string(r.integer(0)) + "/photo";
        out.push_back(std::move(o));
      }
      return void(response.json(json::object{{"reports", out}}));
    }
    if (path.starts_with("/staff/reports/")) {
      std::string_view rest = path.substr(15);
      if (rest.ends_with("/photo") && method == "GET") {
        return photo(request, response, path_number(rest.substr(0, rest.size() - 6), "unknown_report", "a report id"), true);
      }
      if (rest.ends_with("/decision") && method == "POST") {
        int64_t id = path_number(rest.substr(0, rest.size() - 9), "unknown_report", "a report id");
        json::object body = request.json_object();
        const json::value* d = body.if_contains("decision");
        std::string decision = d && d->is_string() ? std::string(d->as_string()) : "";
        if (decision != "approve" && decision != "reject") throw HttpError(400, "invalid_decision", "/decision: approve or reject");
        std::string reason;
        if (const json::value* r = body.if_contains("reason"); r && !r->is_null()) {
          if (!r->is_string() || r->as_string().size() > 500) throw HttpError(400, "invalid_reason", "/reason: at most 500 bytes");
          reason = r->as_string();
        }
        std::string status = decision == "approve" ? "approved" : "rejected";
        Transaction tx(db);
        Statement q = db.prepare("SELECT subject, status FROM reports WHERE id = ?1");
        q.bind(1, id);
        if (!q.step()) throw HttpError(404, "unknown_report", "no report " + std::to_string(id));
        std::string author(q.text(0));
        if (q.text(1) != "pending") throw HttpError(409, "already_moderated", "report " + std::to_string(id) + " was already " + std::string(q.text(1)));
        db.run("UPDATE reports SET status = ?2, reason = ?3, moderated_ms = ?4 WHERE id = ?1", id, status, reason, now_ms());
        json::object n{{"key", "report:" + std::to_string(id)}, {"category", "report"},
                       {"title", decision == "approve" ? "投稿が災害マップに掲載されました" : "投稿は掲載されませんでした"},
                       {"link", "/me/reports/" + std::to_string(id)}};
        if (!reason.empty()) n["body"] = reason;
        context().notify(author, n);
        tx.commit();
        if (decision == "approve") context().publish("reports", to_json_text(one_report(id, locale)));
        return void(response.json(one_report(id, locale)));
      }
    }
    throw HttpError(404, "not_found", "no such moderation page");
  }

  Settings settings_;
  DataFiles files_;
  std::mutex mutex_;
  std::shared_ptr<const SiteSet> sites_ = std::make_shared<SiteSet>();
  std::map<std::string, std::shared_ptr<const LearningFile>> learning_files_;
  std::shared_ptr<const Learning> learning_ = std::make_shared<Learning>(learning_files_);
};

MACHI_PLUGIN(DisasterLearning, "disaster_learning", "1.0.0",
             "Disaster preparedness: learning and quizzes, evacuation practice, shelters live with check-in, citizen reports",
             kBlocking)
