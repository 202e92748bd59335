// Garbage calendar (ごみカレンダー): a municipality's 5374 open data (plus public holidays, a
// year-end closure and staff changes) answered per area — next dates, any date range, a month
// calendar, an iCalendar feed — with a sorting-guide search, per-resident area choice, reminders
// the evening before and the morning of collection, and staff uploads swapped in atomically.
// Routes and config keys: README.md next to this file.
#include <machi/sdk/assets.h>
#include <machi/sdk/sdk.h>
#include <machi/sdk/text.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <set>

#include "calendar.h"
#include "dataset.h"
#include "ical.h"
#include "settings.h"

using namespace machi::sdk;
namespace json = boost::json;
using garbage::Day;

namespace {

constexpr const char* kWeekdayNames[] = {"日", "月", "火", "水", "木", "金", "土"};
constexpr int64_t kMaxRangeDays = 3 * 366;
constexpr size_t kMaxUploadFiles = 16;
constexpr int64_t kMaxChanges = 10'000;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The active data set with the rules that apply to it.
struct State {
  garbage::DataSet data;
  garbage::Rules rules;
  int64_t dataset_id = 0;
  int64_t imported_ms = 0;
  std::string origin;  // "data_dir" or "upload"
};

struct Slot {
  const char* name;     // "evening" / "morning"
  const char* column;   // residents column
};
constexpr Slot kSlots[] = {{"evening", "evening"}, {"morning", "morning"}};

std::string errors_text(const std::vector<garbage::ImportError>& errors) {
  std::string out;
  for (size_t i = 0; i < errors.size() && i < 10; ++i) out += (i ? "; " : "") + garbage::to_string(errors[i]);
  if (errors.size() > 10) out += "; … " + std::to_string(errors.size() - 10) + " more";
  return out;
}

json::array errors_json(const std::vector<garbage::ImportError>& errors) {
  json::array out;
  for (const auto& e : errors) {
    out.push_back({{"file", e.file}, {"line", e.line}, {"column", e.column}, {"message", e.message}});
  }
  return out;
}

// The warnings of an accepted data set, for staff and health.
json::object warnings_json(const garbage::DataSet& data) {
  return {{"count", data.warnings.size() + data.warnings_left_out},
          {"unreadable_cells", data.unreadable_cells},
          {"list", errors_json(data.warnings)},
          {"left_out", data.warnings_left_out}};
}

// What a resident sees for a category whose cell in their area could not be read.
std::string unreadable_message(const std::string& label) {
  return "「" + label + "」の収集日を読み取れませんでした。市にお問い合わせください。";
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : "") + parts[i];
  return out;
}

}  // namespace

class GarbageCalendar : public Plugin {
 public:
  explicit GarbageCalendar(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    settings_ = garbage::read_settings(ctx.config(), ignored);
    ctx.db().migrate({
        "CREATE TABLE datasets(id INTEGER PRIMARY KEY, origin TEXT NOT NULL, created_ms INTEGER NOT NULL,"
        " active INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE dataset_files(dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
        " name TEXT NOT NULL, bytes BLOB NOT NULL, PRIMARY KEY(dataset_id, name));"
        "CREATE TABLE staged_files(name TEXT PRIMARY KEY, bytes BLOB NOT NULL);"
        "CREATE TABLE changes(id INTEGER PRIMARY KEY, day TEXT NOT NULL, area_id TEXT NOT NULL DEFAULT '',"
        " category TEXT NOT NULL DEFAULT '', action TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',"
        " created_ms INTEGER NOT NULL);"
        "CREATE TABLE residents(subject TEXT PRIMARY KEY, area_id TEXT NOT NULL,"
        " categories TEXT NOT NULL DEFAULT '[]', evening INTEGER NOT NULL DEFAULT 1,"
        " morning INTEGER NOT NULL DEFAULT 1, updated_ms INTEGER NOT NULL);"
        "CREATE INDEX residents_area ON residents(area_id);"
        "CREATE TABLE items(id INTEGER PRIMARY KEY, category TEXT NOT NULL, name TEXT NOT NULL,"
        " notice TEXT NOT NULL, reading TEXT NOT NULL);"
        "CREATE VIRTUAL TABLE items_fts USING fts5(folded, tokenize='trigram');",
    });
    load();
  }

  static std::vector<ConfigProblem> validate_config(const json::value& config) {
    std::vector<ConfigProblem> problems;
    garbage::read_settings(config, problems);
    return problems;
  }

  std::optional<std::string> health() {
    std::lock_guard lock(mutex_);
    if (!state_) return std::string("no data set: put the 5374 files in the data_dir or upload them");
    if (!data_problem_.empty()) return data_problem_;
    return std::nullopt;
  }

  // Healthy, but the data set was accepted with warnings: they go to readiness and staff status.
  std::optional<json::object> health_detail() {
    auto state = current_or_null();
    if (!state || (state->data.warnings.empty() && state->data.warnings_left_out == 0)) return std::nullopt;
    json::object warnings = warnings_json(state->data);
    json::array first;  // the readable summary: the first ten as file:line:column: message
    for (size_t i = 0; i < state->data.warnings.size() && i < 10; ++i) {
      first.push_back(json::string(garbage::to_string(state->data.warnings[i])));
    }
    return json::object{{"degraded", std::to_string(warnings["count"].as_uint64()) +
                                         " data warning(s): the data set serves; see /staff/dataset"},
                        {"warnings", std::move(first)},
                        {"dataset", state->dataset_id}};
  }

  void handle(const Request& request, Response& response) override {
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path.starts_with("/staff/")) return staff(request, response);
    if (path == "/me") return me(request, response);
    if (method != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (serve_asset(request, response)) return;  // the screen (ui/)
    auto state = current();
    if (path == "/") return overview(*state, response);
    if (path == "/areas") return areas(*state, response);
    if (path == "/next") return next(*state, request, response);
    if (path == "/dates") return dates(*state, request, response);
    if (path == "/month") return month(*state, request, response);
    if (path == "/calendar.ics") return calendar(*state, request, response);
    if (path == "/search") return search(request, response);
    throw HttpError(404, "not_found", "no such page");
  }

  std::optional<json::object> info_card(const Claims& claims, std::string_view) {
    auto subject = claims.subject();
    auto state = current_or_null();
    if (!subject || !state) return std::nullopt;
    auto row = resident(*subject);
    if (!row) {
      return json::object{{"title", "ごみカレンダー"}, {"body", "地区を選ぶと収集日をお知らせします"}, {"link", "/"}};
    }
    const garbage::Area* area = state->data.find_area(row->area_id);
    if (!area) return json::object{{"title", "ごみカレンダー"}, {"body", "選んだ地区がデータにありません。選び直してください"}, {"link", "/"}};
    Day today = local_today();
    auto items = garbage::collections(state->data, state->rules, *area, today, today + date::days(1));
    std::vector<std::string> on_today, on_tomorrow;
    for (const auto& c : items) {
      (c.day == today ? on_today : on_tomorrow).push_back(state->data.categories[c.category].label);
    }
    std::string body = "今日: " + (on_today.empty() ? std::string("収集なし") : join(on_today, "・")) +
                       " / 明日: " + (on_tomorrow.empty() ? std::string("収集なし") : join(on_tomorrow, "・"));
    return json::object{{"title", "ごみカレンダー（" + area->name + "）"},
                        {"body", body},
                        {"today", json::value_from(on_today)},
                        {"tomorrow", json::value_from(on_tomorrow)},
                        {"link", "/"}};
  }

  json::value export_subject(std::string_view subject) {
    auto row = resident(subject);
    if (!row) return nullptr;
    return json::object{{"area", row->area_id}, {"categories", row->categories},
                        {"evening_reminder", row->evening}, {"morning_reminder", row->morning}};
  }

  void erase_subject(std::string_view subject) {
    context().db().run("DELETE FROM residents WHERE subject = ?1", subject);
  }

  // A reminder job: "remind:<slot>:<area id>", payload the collection day.
  void on_event(const Event& e) {
    std::string_view key = e.key;
    if (!key.starts_with("remind:")) return;
    key.remove_prefix(7);
    size_t colon = key.find(':');
    if (colon == std::string_view::npos) return;
    std::string slot(key.substr(0, colon));
    std::string area_id(key.substr(colon + 1));
    const Slot* which = slot == "evening" ? &kSlots[0] : slot == "morning" ? &kSlots[1] : nullptr;
    auto state = current_or_null();
    auto day = garbage::parse_iso(e.payload);
    if (!which || !state || !day) return;
    const garbage::Area* area = state->data.find_area(area_id);
    if (!area) return;  // the area left the data set: nobody to remind
    remind(*state, *area, *which, *day);
    schedule_slot(*state, *area, *which, *day + date::days(1), e.due_unix_ms);
  }

  // Notifies the residents of `area` whose chosen categories are collected on `day`; returns how
  // many were notified (0 when the day is no longer a collection day).
  size_t remind(const State& state, const garbage::Area& area, const Slot& slot, Day day) {
    std::vector<std::string> labels;
    for (const auto& c : garbage::collections(state.data, state.rules, area, day, day)) {
      labels.push_back(state.data.categories[c.category].label);
    }
    if (labels.empty()) return 0;  // no longer a collection day (suspended, cancelled)
    bool evening = std::string_view(slot.name) == "evening";
    std::string when = evening ? "明日" : "今日";
    size_t sent = 0;
    Database& db = context().db();
    Transaction tx(db);
    Statement rows = db.prepare(std::string("SELECT subject, categories FROM residents WHERE area_id = ?1 AND ") +
                                slot.column + " = 1");
    rows.bind(1, area.id);
    while (rows.step()) {
      std::string subject(rows.text(0));
      std::vector<std::string> chosen = selected(rows.text(1), labels);
      if (chosen.empty()) continue;
      json::object n{{"key", "remind:" + garbage::iso(day) + ":" + slot.name},
                     {"category", "garbage_reminder"},
                     {"title", when + "は" + join(chosen, "・") + "の日です"},
                     {"body", area.name + "（" + garbage::iso(day) + "）"},
                     {"link", "/"}};
      if (context().notify(subject, n)) ++sent;
    }
    tx.commit();
    return sent;
  }

 private:
  struct Resident {
    std::string area_id;
    json::array categories;
    bool evening = true, morning = true;
  };

  // ---- data set ----------------------------------------------------------------------------

  std::shared_ptr<const State> current_or_null() const {
    std::lock_guard lock(mutex_);
    return state_;
  }
  std::shared_ptr<const State> current() const {
    auto s = current_or_null();
    if (!s) throw HttpError(503, "no_data", "no garbage data set yet: the municipality has to publish one");
    return s;
  }

  garbage::Files files_of(int64_t dataset_id) {
    garbage::Files files;
    Statement q = context().db().prepare("SELECT name, bytes FROM dataset_files WHERE dataset_id = ?1");
    q.bind(1, dataset_id);
    while (q.step()) files[std::string(q.text(0))] = std::string(q.blob(1));
    return files;
  }

  std::vector<garbage::Change> load_changes() {
    std::vector<garbage::Change> out;
    Statement q = context().db().prepare(
        "SELECT id, day, area_id, category, action, note FROM changes ORDER BY id");
    while (q.step()) {
      garbage::Change c;
      c.id = q.integer(0);
      c.day = garbage::parse_iso(q.text(1)).value_or(Day{});
      c.area_id = q.text(2);
      c.category = q.text(3);
      c.add = q.text(4) == "add";
      c.note = q.text(5);
      out.push_back(std::move(c));
    }
    return out;
  }

  // At start: the active data set from the database, then the data_dir's files if they changed
  // since they were last imported (a municipality that edits its files means them to apply).
  void load() {
    Database& db = context().db();
    std::shared_ptr<State> active;
    {
      Statement q = db.prepare("SELECT id, created_ms, origin FROM datasets WHERE active = 1");
      if (q.step()) {
        active = std::make_shared<State>();
        active->dataset_id = q.integer(0);
        active->imported_ms = q.integer(1);
        active->origin = q.text(2);
      }
    }
    if (active) {
      std::vector<garbage::ImportError> errors;
      auto data = garbage::import_dataset(files_of(active->dataset_id), settings_.layout, errors);
      if (data) {
        active->data = std::move(*data);
        active->rules = settings_.rules;
        active->rules.changes = load_changes();
        std::lock_guard lock(mutex_);
        state_ = active;
      } else {
        data_problem_ = "the stored data set no longer imports with this config: " + errors_text(errors);
      }
    }
    garbage::Files from_dir = data_dir_files();
    if (from_dir.empty()) {
      if (!current_or_null() && !data_problem_.empty()) throw std::runtime_error(data_problem_);
      return;
    }
    int64_t last_dir = 0;
    {
      Statement q = db.prepare("SELECT max(id) FROM datasets WHERE origin = 'data_dir'");
      if (q.step() && !q.is_null(0)) last_dir = q.integer(0);
    }
    if (last_dir && files_of(last_dir) == from_dir && current_or_null()) return;
    std::vector<garbage::ImportError> errors;
    auto data = garbage::import_dataset(from_dir, settings_.layout, errors);
    if (!data) {
      std::string message = "the data_dir's files were not imported: " + errors_text(errors);
      context().log(LogLevel::kError, message);
      if (!current_or_null()) throw std::runtime_error(message);
      std::lock_guard lock(mutex_);
      data_problem_ = message + " (the previous data set keeps serving)";
      return;
    }
    if (!data->warnings.empty()) {
      context().log(LogLevel::kWarn, "the data_dir's files were imported with " +
                                         std::to_string(data->warnings.size() + data->warnings_left_out) +
                                         " warning(s) (GET /staff/dataset lists them): " + errors_text(data->warnings));
    }
    activate(std::move(*data), from_dir, "data_dir");
  }

  garbage::Files data_dir_files() {
    garbage::Files files;
    for (const char* name : {garbage::kAreaDays, garbage::kCenter, garbage::kDescription, garbage::kRemarks,
                             garbage::kTarget, garbage::kAreaMaster, garbage::kHolidays}) {
      try {
        if (auto bytes = context().read_data_file(name)) files[name] = std::move(*bytes);
      } catch (const HostError& e) {
        if (e.status() == MACHI_ERR_UNIMPLEMENTED) return {};  // no data_dir for this mount
        throw;
      }
    }
    return files;
  }

  // Stores the files, makes them active and rebuilds the search index, all in one transaction;
  // then swaps the in-memory state and reschedules every area's reminders.
  void activate(garbage::DataSet data, const garbage::Files& files, const std::string& origin) {
    Database& db = context().db();
    int64_t created = now_ms();
    int64_t id = 0;
    {
      Transaction tx(db);
      db.run("UPDATE datasets SET active = 0 WHERE active = 1");
      db.run("INSERT INTO datasets(origin, created_ms, active) VALUES (?1, ?2, 1)", origin, created);
      id = db.last_insert_rowid();
      Statement put = db.prepare("INSERT INTO dataset_files(dataset_id, name, bytes) VALUES (?1, ?2, ?3)");
      for (const auto& [name, bytes] : files) {
        put.reset();
        put.bind(1, id).bind(2, name).bind_blob(3, bytes);
        put.run();
      }
      // Keep the ten newest data sets (and the last data_dir one, to notice file changes).
      db.run("DELETE FROM dataset_files WHERE dataset_id IN (SELECT id FROM datasets WHERE id NOT IN "
             "(SELECT id FROM datasets ORDER BY id DESC LIMIT 10) AND id <> (SELECT max(id) FROM datasets "
             "WHERE origin = 'data_dir'))");
      db.run("DELETE FROM datasets WHERE id NOT IN (SELECT DISTINCT dataset_id FROM dataset_files) AND id <> ?1", id);
      db.run("DELETE FROM items");
      db.run("DELETE FROM items_fts");
      Statement item = db.prepare("INSERT INTO items(id, category, name, notice, reading) VALUES (?1, ?2, ?3, ?4, ?5)");
      Statement fts = db.prepare("INSERT INTO items_fts(rowid, folded) VALUES (?1, ?2)");
      int64_t n = 0;
      for (const auto& it : data.items) {
        ++n;
        item.reset();
        item.bind_all(n, it.category, it.name, it.notice, it.reading);
        item.run();
        fts.reset();
        fts.bind_all(n, machi::sdk::fold(it.name + " " + it.reading));
        fts.run();
      }
      tx.commit();
    }
    auto state = std::make_shared<State>();
    state->data = std::move(data);
    state->rules = settings_.rules;
    state->rules.changes = load_changes();
    state->dataset_id = id;
    state->imported_ms = created;
    state->origin = origin;
    {
      std::lock_guard lock(mutex_);
      state_ = state;
      data_problem_.clear();
    }
    reschedule_all(*state);
  }

  // After the rules changed (staff change): same data, new rules.
  void reload_rules() {
    auto old = current();
    auto state = std::make_shared<State>(*old);
    state->rules.changes = load_changes();
    {
      std::lock_guard lock(mutex_);
      state_ = state;
    }
    reschedule_all(*state);
  }

  // ---- time ----------------------------------------------------------------------------------

  // Today in the municipality's time zone: the day whose local midnight is the last one passed.
  Day local_today() {
    int64_t now = now_ms();
    Day utc = date::floor<date::days>(std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(now)));
    for (Day d = utc + date::days(1); d >= utc - date::days(1); d -= date::days(1)) {
      if (context().local_time_to_unix(garbage::iso(d) + "T00:00") <= now) return d;
    }
    return utc;
  }

  int64_t local_ms(Day d, const std::string& hhmm) { return context().local_time_to_unix(garbage::iso(d) + "T" + hhmm); }

  // ---- reminders -----------------------------------------------------------------------------

  // Schedules the area's next reminder of one slot: the first collection on or after `from`
  // whose reminder time is after `not_before`; none → the job is cancelled.
  void schedule_slot(const State& state, const garbage::Area& area, const Slot& slot, Day from, int64_t not_before) {
    std::string key = std::string("remind:") + slot.name + ":" + area.id;
    Database& db = context().db();
    {
      Statement any = db.prepare(std::string("SELECT 1 FROM residents WHERE area_id = ?1 AND ") + slot.column + " = 1 LIMIT 1");
      any.bind(1, area.id);
      if (!any.step()) {
        context().cancel(key);
        return;
      }
    }
    bool evening = std::string_view(slot.name) == "evening";
    for (int span : {40, 400}) {
      for (const auto& c : garbage::collections(state.data, state.rules, area, from, from + date::days(span))) {
        int64_t due = evening ? local_ms(c.day - date::days(1), settings_.evening) : local_ms(c.day, settings_.morning);
        if (due <= not_before) continue;
        int64_t expires = evening ? local_ms(c.day, "00:00") : due + 4 * 3600 * 1000;
        if (expires <= due) expires = due + 3600 * 1000;
        context().schedule_until(key, due, expires, garbage::iso(c.day));
        return;
      }
    }
    context().cancel(key);
  }

  void schedule_area(const State& state, const garbage::Area& area) {
    Day today = local_today();
    for (const Slot& slot : kSlots) schedule_slot(state, area, slot, today, now_ms());
  }

  void reschedule_all(const State& state) {
    std::set<std::string> with_residents;
    {
      Statement q = context().db().prepare("SELECT DISTINCT area_id FROM residents");
      while (q.step()) with_residents.emplace(q.text(0));
    }
    for (const auto& area : state.data.areas) {
      if (with_residents.contains(area.id)) schedule_area(state, area);
    }
  }

  // The chosen categories (JSON array; empty = all) that are collected among `labels`.
  static std::vector<std::string> selected(std::string_view chosen_json, const std::vector<std::string>& labels) {
    std::string error;
    auto chosen = parse_json(chosen_json, error);
    if (!chosen || !chosen->is_array() || chosen->as_array().empty()) return labels;
    std::vector<std::string> out;
    for (const auto& l : labels) {
      for (const auto& c : chosen->as_array()) {
        if (c.is_string() && c.as_string() == l) out.push_back(l);
      }
    }
    return out;
  }

  // ---- resident ------------------------------------------------------------------------------

  std::optional<Resident> resident(std::string_view subject) {
    Statement q = context().db().prepare(
        "SELECT area_id, categories, evening, morning FROM residents WHERE subject = ?1");
    q.bind(1, subject);
    if (!q.step()) return std::nullopt;
    Resident r;
    r.area_id = q.text(0);
    std::string error;
    auto cats = parse_json(q.text(1), error);
    if (cats && cats->is_array()) r.categories = cats->as_array();
    r.evening = q.integer(2) != 0;
    r.morning = q.integer(3) != 0;
    return r;
  }

  static std::string require_subject(const Request& request) {
    auto subject = request.claims().subject();
    if (!subject) throw HttpError(401, "sign_in_required", "sign in to keep your area and reminders");
    return std::string(*subject);
  }

  void me(const Request& request, Response& response) {
    std::string subject = require_subject(request);
    if (request.method() == "GET") {
      auto row = resident(subject);
      if (!row) return void(response.json(json::object{{"area", nullptr}}));
      return void(response.json(json::object{{"area", row->area_id},
                                              {"categories", row->categories},
                                              {"evening_reminder", row->evening},
                                              {"morning_reminder", row->morning}}));
    }
    if (request.method() == "DELETE") {
      context().db().run("DELETE FROM residents WHERE subject = ?1", subject);
      return void(response.status(204));
    }
    if (request.method() != "PUT") throw HttpError(405, "method_not_allowed", "GET, PUT or DELETE");
    auto state = current();
    json::value body = request.json();
    if (!body.is_object()) throw HttpError(400, "invalid_body", "the body must be a JSON object");
    const auto& o = body.as_object();
    const auto* area_v = o.if_contains("area");
    if (!area_v || !area_v->is_string()) throw HttpError(400, "invalid_body", "/area: required, an area id from /areas");
    const garbage::Area* area = state->data.find_area(area_v->as_string());
    if (!area) throw HttpError(404, "unknown_area", "/area: no area '" + std::string(area_v->as_string()) + "' (see /areas)");
    json::array categories;
    if (const auto* c = o.if_contains("categories")) {
      if (!c->is_array()) throw HttpError(400, "invalid_body", "/categories: must be an array of category labels");
      for (size_t i = 0; i < c->as_array().size(); ++i) {
        const auto& label = c->as_array()[i];
        if (!label.is_string() || state->data.category_index(label.as_string()) < 0) {
          throw HttpError(400, "unknown_category", "/categories/" + std::to_string(i) + ": not a category of this calendar");
        }
        categories.push_back(label);
      }
    }
    auto flag = [&](const char* key) {
      const auto* v = o.if_contains(key);
      if (!v) return true;
      if (!v->is_bool()) throw HttpError(400, "invalid_body", std::string("/") + key + ": must be true or false");
      return v->as_bool();
    };
    bool evening = flag("evening_reminder"), morning = flag("morning_reminder");
    std::string previous_area;
    if (auto old = resident(subject)) previous_area = old->area_id;
    context().db().run(
        "INSERT INTO residents(subject, area_id, categories, evening, morning, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT(subject) DO UPDATE SET area_id = ?2, categories = ?3, evening = ?4, morning = ?5, updated_ms = ?6",
        subject, area->id, json::serialize(categories), evening ? 1 : 0, morning ? 1 : 0, now_ms());
    schedule_area(*state, *area);
    if (!previous_area.empty() && previous_area != area->id) {
      if (const garbage::Area* old = state->data.find_area(previous_area)) schedule_area(*state, *old);
    }
    response.json(json::object{{"area", area->id}, {"categories", categories},
                               {"evening_reminder", evening}, {"morning_reminder", morning}});
  }

  // The area of ?area=, else the resident's chosen one.
  const garbage::Area& area_of(const State& state, const Request& request) {
    std::optional<std::string> id = request.query_param("area");
    if (!id) {
      if (auto subject = request.claims().subject()) {
        if (auto row = resident(*subject)) id = row->area_id;
      }
    }
    if (!id) throw HttpError(400, "area_required", "?area= is required (an id from /areas) until you choose an area");
    const garbage::Area* area = state.data.find_area(*id);
    if (!area) throw HttpError(404, "unknown_area", "no area '" + *id + "' (see /areas)");
    return *area;
  }

  Day day_param(const Request& request, const char* name, Day fallback) {
    auto text = request.query_param(name);
    if (!text) return fallback;
    auto day = garbage::parse_iso(*text);
    if (!day) throw HttpError(400, "invalid_date", std::string("?") + name + "=: '" + *text + "' is not a date (YYYY-MM-DD)");
    return *day;
  }

  // ---- public routes ------------------------------------------------------------------------

  static json::object category_json(const garbage::Category& c) {
    return {{"label", c.label}, {"sublabel", c.sublabel}, {"description", c.description},
            {"bgcolor", c.bgcolor}, {"described", c.described}};
  }

  void overview(const State& state, Response& response) {
    json::array categories;
    for (const auto& c : state.data.categories) categories.push_back(category_json(c));
    response.json(json::object{{"mini_app", "garbage_calendar"},
                               {"dataset", {{"id", state.dataset_id}, {"origin", state.origin},
                                            {"imported_unix_ms", state.imported_ms},
                                            {"areas", state.data.areas.size()},
                                            {"items", state.data.items.size()},
                                            {"holidays", state.data.holidays.size()},
                                            {"warnings", state.data.warnings.size() + state.data.warnings_left_out}}},
                               {"categories", categories}});
  }

  void areas(const State& state, Response& response) {
    json::array out;
    for (const auto& a : state.data.areas) {
      json::array remarks;
      for (int r : a.remarks) remarks.push_back(json::string(state.data.remarks.at(r)));
      out.push_back({{"id", a.id}, {"name", a.name}, {"group", a.group}, {"group_name", a.group_name},
                     {"center", a.center}, {"remarks", remarks}});
    }
    response.json(json::object{{"areas", out}});
  }

  // The categories of `area` whose cell could not be read: residents are told to ask the city.
  static json::array unreadable_json(const State& state, const garbage::Area& area) {
    json::array out;
    for (size_t c = 0; c < area.rules.size(); ++c) {
      if (area.rules[c].problem.empty()) continue;
      const std::string& label = state.data.categories[c].label;
      out.push_back({{"category", label}, {"message", unreadable_message(label)}});
    }
    return out;
  }

  static json::object day_json(Day d) {
    return {{"date", garbage::iso(d)}, {"weekday", kWeekdayNames[date::weekday(d).c_encoding()]}};
  }

  void next(const State& state, const Request& request, Response& response) {
    const garbage::Area& area = area_of(state, request);
    Day from = day_param(request, "from", local_today());
    struct Row { Day day; size_t category; };
    std::vector<Row> rows;
    for (size_t c = 0; c < state.data.categories.size(); ++c) {
      if (auto d = garbage::next_date(state.data, state.rules, area, c, from)) rows.push_back({*d, c});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.day < b.day; });
    json::array out;
    for (const auto& r : rows) {
      json::object o = day_json(r.day);
      o["category"] = state.data.categories[r.category].label;
      o["days_from_now"] = (r.day - from).count();
      out.push_back(std::move(o));
    }
    response.json(json::object{{"area", area.id}, {"from", garbage::iso(from)}, {"next", out},
                               {"unreadable", unreadable_json(state, area)}});
  }

  void dates(const State& state, const Request& request, Response& response) {
    const garbage::Area& area = area_of(state, request);
    Day from = day_param(request, "from", local_today());
    Day to = day_param(request, "to", from + date::days(30));
    if (to < from) throw HttpError(400, "invalid_range", "?to= is before ?from=");
    if ((to - from).count() > kMaxRangeDays) throw HttpError(400, "invalid_range", "a range spans at most 3 years");
    std::optional<std::string> only = request.query_param("category");
    if (only && state.data.category_index(*only) < 0) {
      throw HttpError(404, "unknown_category", "no category '" + *only + "'");
    }
    json::array categories;
    for (size_t c = 0; c < state.data.categories.size(); ++c) {
      if (only && state.data.categories[c].label != *only) continue;
      json::array days;
      for (Day d : garbage::category_dates(state.data, state.rules, area, c, from, to)) days.push_back(json::string(garbage::iso(d)));
      json::object entry{{"category", state.data.categories[c].label}, {"dates", days}};
      if (!area.rules[c].problem.empty()) {
        entry["unreadable"] = true;
        entry["message"] = unreadable_message(state.data.categories[c].label);
      }
      categories.push_back(std::move(entry));
    }
    response.json(json::object{{"area", area.id}, {"from", garbage::iso(from)}, {"to", garbage::iso(to)},
                               {"categories", categories}});
  }

  void month(const State& state, const Request& request, Response& response) {
    const garbage::Area& area = area_of(state, request);
    date::year_month ym = date::year_month_day(local_today()).year() / date::year_month_day(local_today()).month();
    if (auto text = request.query_param("month")) {
      auto first = garbage::parse_iso(*text + "-01");
      if (!first) throw HttpError(400, "invalid_month", "?month=: '" + *text + "' is not YYYY-MM");
      date::year_month_day ymd(*first);
      ym = ymd.year() / ymd.month();
    }
    Day first = Day(ym / 1), last = Day(ym / date::last);
    auto items = garbage::collections(state.data, state.rules, area, first, last);
    json::array days;
    size_t i = 0;
    for (Day d = first; d <= last; d += date::days(1)) {
      json::object o = day_json(d);
      json::array labels;
      while (i < items.size() && items[i].day == d) labels.push_back(json::string(state.data.categories[items[i++].category].label));
      o["categories"] = labels;
      if (auto h = state.data.holidays.find(d); h != state.data.holidays.end()) o["holiday"] = h->second;
      days.push_back(std::move(o));
    }
    response.json(json::object{{"area", area.id}, {"month", date::format("%Y-%m", first)}, {"days", days},
                               {"unreadable", unreadable_json(state, area)}});
  }

  void calendar(const State& state, const Request& request, Response& response) {
    const garbage::Area& area = area_of(state, request);
    // Like the 5374 app: from the 1st of the current month, here for twelve months.
    date::year_month_day today(local_today());
    Day from = Day(today.year() / today.month() / 1);
    Day to = Day((today.year() / today.month() + date::months(12)) / date::last);
    garbage::CalendarMeta meta;
    meta.name = settings_.calendar_name + "（" + area.name + "）";
    meta.uid_domain = context().mount_id() + "." + context().municipality_id() + ".machi";
    meta.stamp_unix_ms = state.imported_ms;
    response.header("Cache-Control", "public, max-age=3600");
    response.text(garbage::ical_feed(state.data, area, garbage::collections(state.data, state.rules, area, from, to), meta),
                  "text/calendar; charset=utf-8");
  }

  void search(const Request& request, Response& response) {
    current();  // 503 without data
    std::string q = request.query_param("q").value_or("");
    if (q.size() > 200) throw HttpError(400, "query_too_long", "?q= is at most 200 bytes");
    int64_t limit = 20, offset = 0;
    try {
      if (auto l = request.query_param("limit")) limit = std::clamp<int64_t>(std::stoll(*l), 1, 100);
      if (auto o = request.query_param("offset")) offset = std::max<int64_t>(std::stoll(*o), 0);
    } catch (const std::exception&) {
      throw HttpError(400, "invalid_paging", "?limit= and ?offset= are numbers");
    }
    // Every space-separated word must occur (folded, as a substring: unspaced Japanese).
    std::vector<std::string> words = search_words(q);
    if (words.empty()) throw HttpError(400, "query_required", "?q= is required (an item name, in kana or kanji)");
    if (words.size() > 8) throw HttpError(400, "query_too_long", "at most 8 words");
    std::string where;
    for (size_t i = 0; i < words.size(); ++i) {
      where += (i ? " AND " : "") + std::string("f.folded LIKE ?") + std::to_string(i + 1) + " ESCAPE '\\'";
    }
    Database& db = context().db();
    Statement count = db.prepare("SELECT count(*) FROM items_fts f WHERE " + where);
    Statement page = db.prepare("SELECT i.category, i.name, i.notice, i.reading FROM items_fts f JOIN items i ON i.id = f.rowid WHERE " +
                                where + " ORDER BY length(i.name), i.id LIMIT " + std::to_string(limit) +
                                " OFFSET " + std::to_string(offset));
    for (size_t i = 0; i < words.size(); ++i) {
      count.bind(static_cast<int>(i + 1), like_contains(words[i]));
      page.bind(static_cast<int>(i + 1), like_contains(words[i]));
    }
    count.step();
    int64_t total = count.integer(0);
    json::array items;
    while (page.step()) {
      items.push_back({{"category", page.text(0)}, {"name", page.text(1)}, {"notice", page.text(2)}, {"reading", page.text(3)}});
    }
    response.json(json::object{{"q", q}, {"total", total}, {"offset", offset}, {"items", items}});
  }

  // ---- staff ---------------------------------------------------------------------------------

  void staff(const Request& request, Response& response) {
    request.require_any_role(settings_.staff_roles);
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path == "/staff/dataset" && method == "GET") return dataset_info(response);
    if (path.starts_with("/staff/upload/") && path != "/staff/upload/commit") {
      std::string name(path.substr(std::string_view("/staff/upload/").size()));
      if (!garbage::known_file(name)) throw HttpError(404, "unknown_file", "'" + name + "' is not a file of the 5374 format or syukujitsu.csv");
      if (method == "PUT") {
        context().db().run("INSERT INTO staged_files(name, bytes) VALUES (?1, ?2) ON CONFLICT(name) DO UPDATE SET bytes = ?2",
                           name, request.body());
        return void(response.json(json::object{{"staged", name}, {"bytes", request.body().size()}}));
      }
      if (method == "DELETE") {
        context().db().run("DELETE FROM staged_files WHERE name = ?1", name);
        return void(response.status(204));
      }
      throw HttpError(405, "method_not_allowed", "PUT or DELETE");
    }
    if (path == "/staff/upload" && method == "DELETE") {
      context().db().run("DELETE FROM staged_files");
      return void(response.status(204));
    }
    if (path == "/staff/upload/commit" && method == "POST") return commit_upload(response);
    if (path == "/staff/changes") {
      if (method == "GET") return list_changes(response);
      if (method == "POST") return add_change(request, response);
      throw HttpError(405, "method_not_allowed", "GET or POST");
    }
    if (path.starts_with("/staff/changes/") && method == "DELETE") {
      int64_t id = 0;
      try {
        id = std::stoll(std::string(path.substr(std::string_view("/staff/changes/").size())));
      } catch (const std::exception&) {
        throw HttpError(404, "not_found", "no such change");
      }
      if (context().db().run("DELETE FROM changes WHERE id = ?1", id) == 0) throw HttpError(404, "not_found", "no change " + std::to_string(id));
      reload_rules();
      return void(response.status(204));
    }
    throw HttpError(404, "not_found", "no such staff page");
  }

  void dataset_info(Response& response) {
    json::array sets;
    Statement q = context().db().prepare("SELECT id, origin, created_ms, active FROM datasets ORDER BY id DESC");
    while (q.step()) {
      sets.push_back({{"id", q.integer(0)}, {"origin", q.text(1)}, {"imported_unix_ms", q.integer(2)}, {"active", q.integer(3) != 0}});
    }
    json::array staged;
    Statement s = context().db().prepare("SELECT name, length(bytes) FROM staged_files ORDER BY name");
    while (s.step()) staged.push_back({{"name", s.text(0)}, {"bytes", s.integer(1)}});
    auto state = current_or_null();
    std::lock_guard lock(mutex_);
    response.json(json::object{{"datasets", sets}, {"staged", staged},
                               {"active", state ? json::value(state->dataset_id) : json::value(nullptr)},
                               {"warnings", state ? json::value(warnings_json(state->data)) : json::value(nullptr)},
                               {"problem", data_problem_.empty() ? json::value(nullptr) : json::value(data_problem_)}});
  }

  // Staged files over the active data set's files: validated as a whole, then swapped in.
  void commit_upload(Response& response) {
    garbage::Files files;
    if (auto state = current_or_null()) files = files_of(state->dataset_id);
    size_t staged = 0;
    {
      Statement q = context().db().prepare("SELECT name, bytes FROM staged_files");
      while (q.step()) {
        files[std::string(q.text(0))] = std::string(q.blob(1));
        ++staged;
      }
    }
    if (staged == 0) throw HttpError(409, "nothing_staged", "PUT files to /staff/upload/{name} first");
    if (files.size() > kMaxUploadFiles) throw HttpError(400, "too_many_files", "too many files");
    std::vector<garbage::ImportError> errors;
    auto data = garbage::import_dataset(files, settings_.layout, errors);
    if (!data) {
      json::object body{{"error", {{"code", "invalid_dataset"},
                                   {"message", "the data set was not imported; the previous one keeps serving: " + errors_text(errors)},
                                   {"problems", errors_json(errors)}}}};
      return void(response.json(body, 422));
    }
    size_t areas = data->areas.size();
    json::object warnings = warnings_json(*data);
    activate(std::move(*data), files, "upload");
    context().db().run("DELETE FROM staged_files");
    response.json(json::object{{"dataset", current()->dataset_id}, {"areas", areas}, {"warnings", std::move(warnings)}});
  }

  void list_changes(Response& response) {
    json::array out;
    for (const auto& c : load_changes()) {
      out.push_back({{"id", c.id}, {"date", garbage::iso(c.day)}, {"action", c.add ? "add" : "cancel"},
                     {"area", c.area_id.empty() ? json::value(nullptr) : json::value(c.area_id)},
                     {"category", c.category.empty() ? json::value(nullptr) : json::value(c.category)},
                     {"note", c.note}});
    }
    response.json(json::object{{"changes", out}});
  }

  void add_change(const Request& request, Response& response) {
    auto state = current();
    json::value body = request.json();
    if (!body.is_object()) throw HttpError(400, "invalid_body", "the body must be a JSON object");
    const auto& o = body.as_object();
    auto text = [&](const char* key, bool required) -> std::string {
      const auto* v = o.if_contains(key);
      if (!v || v->is_null()) {
        if (required) throw HttpError(400, "invalid_body", std::string("/") + key + ": required");
        return "";
      }
      if (!v->is_string()) throw HttpError(400, "invalid_body", std::string("/") + key + ": must be a string");
      return std::string(v->as_string());
    };
    std::string day_text = text("date", true), action = text("action", true);
    std::string area = text("area", false), category = text("category", false), note = text("note", false);
    auto day = garbage::parse_iso(day_text);
    if (!day) throw HttpError(400, "invalid_date", "/date: '" + day_text + "' is not a date (YYYY-MM-DD)");
    if (action != "add" && action != "cancel") throw HttpError(400, "invalid_body", "/action: must be \"add\" or \"cancel\"");
    if (action == "add" && category.empty()) throw HttpError(400, "invalid_body", "/category: an added collection needs its category");
    if (!area.empty() && !state->data.find_area(area)) throw HttpError(404, "unknown_area", "/area: no area '" + area + "'");
    if (!category.empty() && state->data.category_index(category) < 0) {
      throw HttpError(404, "unknown_category", "/category: no category '" + category + "'");
    }
    if (note.size() > 500) throw HttpError(400, "invalid_body", "/note: at most 500 bytes");
    {
      Statement n = context().db().prepare("SELECT count(*) FROM changes");
      n.step();
      if (n.integer(0) >= kMaxChanges) {
        throw HttpError(409, "too_many_changes", "at most " + std::to_string(kMaxChanges) + " changes: delete old ones first");
      }
    }
    context().db().run("INSERT INTO changes(day, area_id, category, action, note, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                       garbage::iso(*day), area, category, action, note, now_ms());
    int64_t id = context().db().last_insert_rowid();
    reload_rules();
    response.json(json::object{{"id", id}}, 201);
  }

  garbage::Settings settings_;
  mutable std::mutex mutex_;
  std::shared_ptr<const State> state_;
  std::string data_problem_;
};

MACHI_PLUGIN(GarbageCalendar, "garbage_calendar", "1.0.0",
             "Garbage collection calendar (5374 open data): dates by area, reminders, iCalendar, sorting guide",
             kBlocking)
