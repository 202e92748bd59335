// Childcare (子育て): each child's vaccination schedule from the municipality's rules file (with
// doses recorded by the parents, flags for doses outside the rules, and reminders before each
// window opens), nursery vacancies per age class with alerts when a class opens, childcare
// information by the children's ages, and a home info card. Children's names and birth dates
// come only from the granted `household` claim. Routes, config keys and file formats: README.md.
#include <machi/sdk/data_files.h>
#include <machi/sdk/household.h>
#include <machi/sdk/assets.h>
#include <machi/sdk/sdk.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

#include "info.h"
#include "nursery_board.h"
#include "nurseries.h"
#include "rules.h"
#include "schedule.h"

using namespace machi::sdk;
namespace json = boost::json;
using namespace childcare;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Settings {
  std::string rules_file = "vaccines.json";
  std::string nurseries_file = "nurseries.csv";
  std::string info_file = "info.json";
  int64_t reminder_days = 7;
  std::string reminder_time = "09:00";
  std::vector<std::string> staff_roles{"childcare"};
};

Settings read_settings(const json::value& config, std::vector<ConfigProblem>& problems) {
  Settings s;
  ConfigReader r(config, problems);
  for (auto [key, field] : {std::pair{"rules_file", &s.rules_file}, std::pair{"nurseries_file", &s.nurseries_file},
                            std::pair{"info_file", &s.info_file}}) {
    *field = r.string(key, *field);
    if (field->empty() || field->find('/') != std::string::npos) r.problem(key, "must be a file name in the data_dir");
  }
  s.reminder_days = r.integer("reminder_days", s.reminder_days, 0, 60);
  s.reminder_time = r.string("reminder_time", s.reminder_time);
  if (!is_time_of_day(s.reminder_time)) r.problem("reminder_time", "must be HH:MM (local time)");
  if (r.has("staff_roles")) s.staff_roles = r.strings("staff_roles", false, 1);
  return s;
}

struct Child {
  std::string id, name;
  Days birth;
};

constexpr int kChildMaxYears = 18;

// What the last nurseries file applied on this thread changed: an upload's answer (the upload
// applies and answers on one thread, so concurrent uploads never share it).
thread_local ImportReport t_last_import;

// The household members under 18 from the claim (nullopt: the claim is not granted or not given).
std::optional<std::vector<Child>> children_of(const Claims& claims, Days today) {
  auto household = household_of(claims);
  if (!household) return std::nullopt;
  std::vector<Child> out;
  for (const HouseholdMember& m : *household) {
    Days day = *parse_date(m.birthdate);
    if (day > today || age_years_months(day, today).first >= kChildMaxYears) continue;
    out.push_back({m.id, m.name, day});
  }
  return out;
}

int class_param(std::string_view text, const std::string& where) {
  if (text.size() != 1 || text[0] < '0' || text[0] > '5') throw HttpError(400, "invalid_class", where + ": an age class 0–5");
  return text[0] - '0';
}

}  // namespace

class Childcare : public Plugin {
 public:
  explicit Childcare(Context& ctx)
      : Plugin(ctx), board_(ctx.db(), [this](const Opening& o) { vacancy_opened(o); }), files_(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    settings_ = read_settings(ctx.config(), ignored);
    ctx.db().migrate({
        "CREATE TABLE children(subject TEXT NOT NULL, child TEXT NOT NULL, name TEXT NOT NULL,"
        " birthdate TEXT NOT NULL, PRIMARY KEY(subject, child));"
        "CREATE TABLE doses(id INTEGER PRIMARY KEY, subject TEXT NOT NULL, child TEXT NOT NULL,"
        " vaccine TEXT NOT NULL, series TEXT NOT NULL DEFAULT '', date TEXT NOT NULL,"
        " note TEXT NOT NULL DEFAULT '', recorded_ms INTEGER NOT NULL);"
        "CREATE INDEX doses_child ON doses(subject, child);"
        "CREATE TABLE reminded(subject TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY(subject, key)) WITHOUT ROWID;"
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
        NurseryBoard::kSchema,
    });
    files_.add("rules", settings_.rules_file, [this](std::string_view text, const std::string& file) {
      return use_rules(text, file);
    }, /*keep_text=*/true);
    files_.add("info", settings_.info_file, [this](std::string_view text, const std::string& file) {
      return use_info(text, file);
    }, /*keep_text=*/true);
    files_.add("nurseries", settings_.nurseries_file, [this](std::string_view text, const std::string& file) {
      auto parsed = parse_nurseries(text, file);
      if (parsed.problems.empty()) t_last_import = board_.import(parsed.rows, now_ms());
      return parsed.problems;
    });
    if (auto saved = files_.saved("rules")) use_rules(*saved, "saved rules");
    if (auto saved = files_.saved("info")) use_info(*saved, "saved information");
    files_.import_changed();
    schedule_sweep(now_ms());
  }

  static std::vector<ConfigProblem> validate_config(const json::value& config) {
    std::vector<ConfigProblem> problems;
    read_settings(config, problems);
    return problems;
  }

  std::optional<std::string> health() {
    std::string out = files_.health().value_or("");
    if (!current_rules()) out += std::string(out.empty() ? "" : "; ") + "no vaccination rules loaded";
    return out.empty() ? std::nullopt : std::optional(out);
  }

  void handle(const Request& request, Response& response) override {
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path.starts_with("/staff/")) return staff(request, response);
    if (path == "/me" || path.starts_with("/me/")) return me(request, response);
    if (method != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (serve_asset(request, response)) return;  // the screen (ui/)
    if (path == "/") return overview(response);
    if (path == "/vaccines") return vaccines(response);
    if (path == "/nurseries") return nurseries(request, response, child_class(request));
    if (path.starts_with("/nurseries/")) return facility(response, std::string(path.substr(11)));
    if (path == "/info") return info(request, response);
    throw HttpError(404, "not_found", "no such page");
  }

  std::optional<json::object> info_card(const Claims& claims, std::string_view locale) {
    auto subject = claims.subject();
    if (!subject) return std::nullopt;
    Days today = this->today();
    auto children = children_of(claims, today);
    auto rules = current_rules();
    bool en = locale.starts_with("en");
    std::vector<std::string> lines;
    if (children && rules) {
      // The child's dose whose window opens first (one already open first of all).
      const Child* who = nullptr;
      std::optional<DosePlan> best;
      std::string vaccine_name;
      for (const Child& c : *children) {
        for (const VaccinePlan& plan : plan_child(*rules, c.birth, records(std::string(*subject), c.id), today)) {
          for (const DosePlan& d : plan.doses) {
            if (d.state != DoseState::kDue && d.state != DoseState::kUpcoming) continue;
            if (!best || window_opens(d) < window_opens(*best)) {
              best = d, who = &c, vaccine_name = plan.vaccine->name.in(locale);
            }
          }
        }
      }
      if (best) {
        std::string label = vaccine_name + " " + best->rule->label.in(locale);
        std::string opens = format_date(window_opens(*best));
        if (best->state == DoseState::kDue && window_opens(*best) <= today) {
          lines.push_back(en ? "Vaccination due: " + who->name + " — " + label + ", until " + day_label(format_date(best->last), true)
                             : "接種できます: " + who->name + " " + label + "（" + day_label(format_date(best->last), false) + "まで）");
        } else {
          lines.push_back(en ? "Next vaccination: " + who->name + " — " + label + ", from " + day_label(opens, true)
                             : "次の予防接種: " + who->name + " " + label + "（" + day_label(opens, false) + "から）");
        }
      }
    }
    int open_alerts = 0;
    for (const Alert& a : board_.alerts(std::string(*subject))) open_alerts += a.vacancies > 0;
    if (open_alerts > 0) {
      lines.push_back(en ? std::to_string(open_alerts) + " nursery " + (open_alerts == 1 ? "class has" : "classes have") + " vacancies"
                         : "空きのある保育施設のクラス: " + std::to_string(open_alerts));
    }
    if (lines.empty()) return std::nullopt;
    std::string body;
    for (const auto& line : lines) body += (body.empty() ? "" : en ? "; " : "、") + line;
    return json::object{{"title", en ? "Childcare" : "子育て"}, {"body", body}, {"link", "/me/schedule"}};
  }

  json::value export_subject(std::string_view subject) {
    json::array children, doses, alerts;
    Statement c = context().db().prepare("SELECT child, name, birthdate FROM children WHERE subject = ?1 ORDER BY birthdate");
    c.bind(1, subject);
    while (c.step()) children.push_back({{"id", c.text(0)}, {"name", c.text(1)}, {"birthdate", c.text(2)}});
    Statement d = context().db().prepare(
        "SELECT id, child, vaccine, series, date, note, recorded_ms FROM doses WHERE subject = ?1 ORDER BY date, id");
    d.bind(1, subject);
    while (d.step()) {
      doses.push_back({{"id", d.integer(0)}, {"child", d.text(1)}, {"vaccine", d.text(2)}, {"series", d.text(3)},
                       {"date", d.text(4)}, {"note", d.text(5)}, {"recorded_unix_ms", d.integer(6)}});
    }
    for (const Alert& a : board_.alerts(std::string(subject))) alerts.push_back(alert_json(a));
    return json::object{{"children", children}, {"doses", doses}, {"vacancy_alerts", alerts}};
  }

  void erase_subject(std::string_view subject) {
    Transaction tx(context().db());
    context().db().run("DELETE FROM children WHERE subject = ?1", subject);
    context().db().run("DELETE FROM doses WHERE subject = ?1", subject);
    context().db().run("DELETE FROM reminded WHERE subject = ?1", subject);
    board_.erase_subject(std::string(subject));
    tx.commit();
  }

  void on_event(const Event& e) {
    if (e.key != "reminder-sweep") return;
    int64_t at = std::max(now_ms(), e.due_unix_ms);
    remind(*parse_date(context().local_date(at)));
    schedule_sweep(at + 1);
  }

 private:
  // ---- data files --------------------------------------------------------------------------------

  // Parses and switches to rules text; the problems when it is refused, `file` naming it.
  std::vector<std::string> use_rules(std::string_view text, const std::string& file) {
    std::vector<ConfigProblem> problems;
    auto parsed = parse_rules(text, problems);
    if (!parsed) return problem_lines(file, problems);
    std::lock_guard lock(mutex_);
    rules_ = std::make_shared<const Rules>(std::move(*parsed));
    return {};
  }
  std::vector<std::string> use_info(std::string_view text, const std::string& file) {
    std::vector<ConfigProblem> problems;
    auto parsed = parse_info(text, problems);
    if (!parsed) return problem_lines(file, problems);
    std::lock_guard lock(mutex_);
    info_ = std::make_shared<const std::vector<InfoItem>>(std::move(*parsed));
    return {};
  }

  std::shared_ptr<const Rules> current_rules() {
    std::lock_guard lock(mutex_);
    return rules_;
  }
  std::shared_ptr<const Rules> rules_or_503() {
    auto rules = current_rules();
    if (!rules) throw HttpError(503, "no_rules", "no vaccination rules are loaded (staff: PUT /staff/rules)");
    return rules;
  }

  Days today() { return *parse_date(context().local_date(now_ms())); }

  // ---- children and doses --------------------------------------------------------------------------

  // The children the claim names, remembered for reminders; forgotten when the claim stops.
  std::vector<Child> sync_children(const std::string& subject, const Claims& claims) {
    auto children = children_of(claims, today());
    Database& db = context().db();
    Statement q = db.prepare("SELECT child, name, birthdate FROM children WHERE subject = ?1 ORDER BY child");
    q.bind(1, subject);
    std::vector<std::string> stored, wanted;
    while (q.step()) stored.push_back(std::string(q.text(0)) + "|" + std::string(q.text(1)) + "|" + std::string(q.text(2)));
    for (const Child& c : children.value_or(std::vector<Child>{})) wanted.push_back(c.id + "|" + c.name + "|" + format_date(c.birth));
    std::sort(wanted.begin(), wanted.end());
    if (stored != wanted) {
      Transaction tx(db);
      db.run("DELETE FROM children WHERE subject = ?1", subject);
      for (const Child& c : children.value_or(std::vector<Child>{})) {
        db.run("INSERT OR IGNORE INTO children(subject, child, name, birthdate) VALUES (?1, ?2, ?3, ?4)", subject, c.id,
               c.name, format_date(c.birth));
      }
      tx.commit();
    }
    if (!children) {
      throw HttpError(403, "household_not_shared",
                      "this mini-app needs your household (children's names and birth dates): add them in your "
                      "profile and allow it under consents");
    }
    return *children;
  }

  std::vector<DoseRecord> records(const std::string& subject, const std::string& child) {
    Statement q = context().db().prepare(
        "SELECT id, vaccine, series, date FROM doses WHERE subject = ?1 AND child = ?2 ORDER BY date, id");
    q.bind(1, subject).bind(2, child);
    std::vector<DoseRecord> out;
    while (q.step()) out.push_back({q.integer(0), std::string(q.text(1)), std::string(q.text(2)), *parse_date(q.text(3))});
    return out;
  }

  json::object child_json(const Child& c, Days today) {
    auto [years, months] = age_years_months(c.birth, today);
    int year = school_year_of(today);
    return {{"id", c.id}, {"name", c.name}, {"birthdate", format_date(c.birth)},
            {"age", {{"years", years}, {"months", months}}},
            {"age_class", {{"school_year", year}, {"class", age_class(c.birth, year)}}},
            {"next_age_class", {{"school_year", year + 1}, {"class", age_class(c.birth, year + 1)}}}};
  }

  json::object schedule_json(const std::string& subject, const Child& c, const Rules& rules, Days today,
                             std::string_view locale) {
    json::array vaccines;
    for (const auto& plan : plan_child(rules, c.birth, records(subject, c.id), today)) vaccines.push_back(plan_json(plan, locale));
    json::object out = child_json(c, today);
    out["vaccines"] = vaccines;
    return out;
  }

  // ---- reminders and alerts --------------------------------------------------------------------------

  void schedule_sweep(int64_t after) {
    std::string day = context().local_date(after);
    for (int i = 0; i < 3; ++i, day = add_days(day, 1)) {
      int64_t at = context().local_time_to_unix(day + "T" + settings_.reminder_time);
      if (at >= after) return context().schedule("reminder-sweep", at);
    }
  }

  // Each open dose whose window opens within reminder_days (or is open) is reminded once per
  // opening day: the key carries it, so a schedule moved by a recorded dose reminds again.
  void remind(Days today) {
    auto rules = current_rules();
    if (!rules) return;
    struct Row { std::string subject, child, name; Days birth; };
    std::vector<Row> rows;
    Statement q = context().db().prepare("SELECT subject, child, name, birthdate FROM children ORDER BY subject");
    while (q.step()) rows.push_back({std::string(q.text(0)), std::string(q.text(1)), std::string(q.text(2)), *parse_date(q.text(3))});
    for (const auto& [subject, child, name, birth] : rows) {
      for (const VaccinePlan& plan : plan_child(*rules, birth, records(subject, child), today)) {
        for (const DosePlan& d : plan.doses) {
          if (d.projected || (d.state != DoseState::kDue && d.state != DoseState::kUpcoming)) continue;
          Days opens = window_opens(d);
          if (today < opens - std::chrono::days(settings_.reminder_days) || today > d.last) continue;
          std::string label = plan.vaccine->name.in("ja") + " " + d.rule->label.in("ja");
          json::object n{{"key", "vac:" + child + ":" + plan.vaccine->id + ":" + std::to_string(d.number) + ":" + format_date(opens)},
                         {"category", "vaccination"},
                         {"title", "予防接種のお知らせ: " + name + "さん " + label},
                         {"body", day_label(format_date(opens), false) + "から" + day_label(format_date(d.last), false) +
                                      "まで接種できます。かかりつけの医療機関に予約してください。"},
                         {"link", "/me/schedule?child=" + child}};
          Transaction tx(context().db());
          if (context().db().run("INSERT OR IGNORE INTO reminded(subject, key) VALUES (?1, ?2)", subject,
                                 std::string(n.at("key").as_string())) == 0) {
            continue;  // reminded on an earlier day
          }
          try {
            context().notify(subject, n);
          } catch (const HostError& e) {
            if (e.status() != MACHI_ERR_NOT_FOUND) throw;  // the resident left: nothing to remind
          }
          tx.commit();
        }
      }
    }
  }

  // In the transaction that opened the class.
  void vacancy_opened(const Opening& o) {
    json::object n{{"key", "vacancy:" + o.facility_id + ":" + std::to_string(o.age_class) + ":" + std::to_string(o.opening)},
                   {"category", "nursery"},
                   {"title", "保育施設に空きが出ました: " + o.facility_name + " " + std::to_string(o.age_class) + "歳児クラス"},
                   {"body", "空き " + std::to_string(o.vacancies) + "人。申し込みは市の窓口へ。"},
                   {"link", "/nurseries/" + o.facility_id}};
    try {
      context().notify(o.subject, n);
    } catch (const HostError& e) {
      if (e.status() != MACHI_ERR_NOT_FOUND) throw;
    }
  }

  // ---- JSON ------------------------------------------------------------------------------------------

  static json::object facility_json(const Facility& f) {
    json::object classes;
    for (int c = 0; c < kClasses; ++c) {
      if (f.vacancies[c]) classes[std::to_string(c)] = *f.vacancies[c];
    }
    return {{"id", f.id}, {"name", f.name}, {"kind", f.kind}, {"district", f.district}, {"address", f.address},
            {"latitude", f.latitude}, {"longitude", f.longitude}, {"vacancies", classes}};
  }
  static json::object alert_json(const Alert& a) {
    return {{"id", a.id}, {"facility", a.facility_id}, {"facility_name", a.facility_name}, {"class", a.age_class},
            {"vacancies", a.vacancies}};
  }

  // ---- public routes -------------------------------------------------------------------------------

  void overview(Response& response) {
    auto rules = current_rules();
    std::shared_ptr<const std::vector<InfoItem>> info;
    {
      std::lock_guard lock(mutex_);
      info = info_;
    }
    json::array districts;
    for (const auto& d : board_.districts()) districts.push_back(json::value(d));
    response.json(json::object{
        {"rules", rules ? json::value({{"version", rules->version}, {"title", rules->title.in("ja")},
                                       {"vaccines", rules->vaccines.size()}})
                        : json::value(nullptr)},
        {"facilities", board_.list({}).size()},
        {"districts", districts},
        {"info_items", info ? info->size() : 0},
        {"school_year", school_year_of(today())}});
  }

  void vaccines(Response& response) {
    auto rules = rules_or_503();
    response.json(rules->source);
  }

  // GET /nurseries?district=&class=&available=true (or ?child=: that child's class).
  void nurseries(const Request& request, Response& response, std::optional<int> child_class) {
    FacilityFilter filter;
    filter.district = request.query_param("district").value_or("");
    if (auto c = request.query_param("class"); c && !c->empty()) filter.age_class = class_param(*c, "?class=");
    else filter.age_class = child_class;
    if (auto a = request.query_param("available")) {
      if (*a != "true" && *a != "false") throw HttpError(400, "invalid_available", "?available=: true or false");
      filter.only_open = *a == "true";
    }
    json::array items;
    for (const auto& f : board_.list(filter)) items.push_back(facility_json(f));
    response.json(json::object{{"district", filter.district},
                               {"class", filter.age_class ? json::value(*filter.age_class) : json::value(nullptr)},
                               {"facilities", items}});
  }

  // ?child=ID (a signed-in resident's child): that child's age class this school year, or next
  // school year's with &year=next (April admissions are applied for in autumn).
  std::optional<int> child_class(const Request& request) {
    auto id = request.query_param("child");
    if (!id || id->empty()) return std::nullopt;
    auto subject = request.claims().subject();
    if (!subject) throw HttpError(401, "sign_in_required", "sign in to filter by your child's class");
    auto year = request.query_param("year").value_or("this");
    if (year != "this" && year != "next") throw HttpError(400, "invalid_year", "?year=: this or next");
    for (const Child& c : sync_children(std::string(*subject), request.claims())) {
      if (c.id == *id) return age_class(c.birth, school_year_of(today()) + (year == "next"));
    }
    throw HttpError(404, "unknown_child", "no child '" + *id + "' in your household");
  }

  void facility(Response& response, const std::string& id) {
    auto f = board_.find(id);
    if (!f) throw HttpError(404, "unknown_facility", "no facility '" + id + "'");
    response.json(facility_json(*f));
  }

  json::object info_json(const InfoItem& item, std::string_view locale) {
    json::object o{{"id", item.id}, {"title", item.title.in(locale)}, {"body", item.body.in(locale)}};
    if (!item.link.empty()) o["link"] = item.link;
    return o;
  }

  // GET /info: every item, or (?birthdate=) those for a child born then.
  void info(const Request& request, Response& response) {
    std::shared_ptr<const std::vector<InfoItem>> items;
    {
      std::lock_guard lock(mutex_);
      items = info_;
    }
    std::optional<Days> birth;
    if (auto b = request.query_param("birthdate"); b && !b->empty()) {
      birth = parse_date(*b);
      if (!birth) throw HttpError(400, "invalid_birthdate", "?birthdate=: YYYY-MM-DD");
    }
    std::string locale(request.claims().get("locale").value_or("ja"));
    Days day = today();
    json::array out;
    for (const auto& item : items ? *items : std::vector<InfoItem>{}) {
      if (!birth || applies(item, *birth, day)) out.push_back(info_json(item, locale));
    }
    response.json(json::object{{"items", out}});
  }

  // ---- resident routes -------------------------------------------------------------------------------

  void me(const Request& request, Response& response) {
    auto subject_view = request.claims().subject();
    if (!subject_view) throw HttpError(401, "sign_in_required", "sign in to see your children's schedules");
    std::string subject(*subject_view);
    std::string_view path = request.path();
    std::string_view method = request.method();
    std::string locale(request.claims().get("locale").value_or("ja"));
    if (path == "/me/alerts" || path.starts_with("/me/alerts/")) return alerts(subject, request, response);
    std::vector<Child> children = sync_children(subject, request.claims());
    Days day = today();
    if (path == "/me/children" && method == "GET") {
      json::array out;
      for (const Child& c : children) out.push_back(child_json(c, day));
      return void(response.json(json::object{{"children", out}}));
    }
    if (path == "/me/schedule" && method == "GET") {
      auto rules = rules_or_503();
      auto only = request.query_param("child");
      json::array out;
      for (const Child& c : children) {
        if (!only || *only == c.id) out.push_back(schedule_json(subject, c, *rules, day, locale));
      }
      if (only && out.empty()) throw HttpError(404, "unknown_child", "no child '" + *only + "' in your household");
      return void(response.json(json::object{{"rules_version", rules->version}, {"today", format_date(day)},
                                             {"children", out}}));
    }
    if (path == "/me/info" && method == "GET") {
      std::shared_ptr<const std::vector<InfoItem>> items;
      {
        std::lock_guard lock(mutex_);
        items = info_;
      }
      json::array out;
      for (const auto& item : items ? *items : std::vector<InfoItem>{}) {
        json::array for_children;
        for (const Child& c : children) {
          if (applies(item, c.birth, day)) for_children.push_back(json::value(c.id));
        }
        if (for_children.empty()) continue;
        json::object o = info_json(item, locale);
        o["children"] = for_children;
        out.push_back(std::move(o));
      }
      return void(response.json(json::object{{"items", out}}));
    }
    if (path.starts_with("/me/children/")) return doses(subject, children, path.substr(13), request, response, locale);
    throw HttpError(404, "not_found", "no such page");
  }

  // POST /me/children/{child}/doses, DELETE /me/children/{child}/doses/{id}.
  void doses(const std::string& subject, const std::vector<Child>& children, std::string_view rest,
             const Request& request, Response& response, const std::string& locale) {
    size_t slash = rest.find('/');
    std::string child_id(rest.substr(0, slash));
    auto child = std::find_if(children.begin(), children.end(), [&](const Child& c) { return c.id == child_id; });
    if (child == children.end()) throw HttpError(404, "unknown_child", "no child '" + child_id + "' in your household");
    std::string_view tail = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    auto rules = rules_or_503();
    Days day = today();
    if (tail == "/doses" && request.method() == "POST") {
      json::object body = request.json_object();
      const json::value* v = body.if_contains("vaccine");
      const Vaccine* vaccine = v && v->is_string() ? rules->find(v->as_string()) : nullptr;
      if (!vaccine) throw HttpError(400, "unknown_vaccine", "/vaccine: one of the rules' vaccine ids (GET /vaccines)");
      const json::value* d = body.if_contains("date");
      auto date = d && d->is_string() ? parse_date(d->as_string()) : std::nullopt;
      if (!date) throw HttpError(400, "invalid_date", "/date: the day of the dose, YYYY-MM-DD");
      if (*date > day) throw HttpError(400, "date_in_future", "/date: a dose is recorded after it was given");
      if (*date < child->birth) throw HttpError(400, "date_before_birth", "/date: before the child's birth date");
      std::string series, note;
      if (const json::value* s = body.if_contains("series"); s && !s->is_null()) {
        if (!s->is_string() || !vaccine->find_series(s->as_string())) {
          throw HttpError(400, "unknown_series", "/series: one of this vaccine's series ids");
        }
        series = s->as_string();
      }
      if (const json::value* n = body.if_contains("note"); n && !n->is_null()) {
        if (!n->is_string() || n->as_string().size() > 500) throw HttpError(400, "invalid_note", "/note: a string of at most 500 bytes");
        note = n->as_string();
      }
      Statement count = context().db().prepare("SELECT count(*) FROM doses WHERE subject = ?1 AND child = ?2");
      count.bind(1, subject).bind(2, child_id);
      count.step();
      if (count.integer(0) >= 200) throw HttpError(409, "too_many_doses", "at most 200 doses per child");
      context().db().run("INSERT INTO doses(subject, child, vaccine, series, date, note, recorded_ms) VALUES "
                         "(?1, ?2, ?3, ?4, ?5, ?6, ?7)", subject, child_id, vaccine->id, series, format_date(*date), note,
                         now_ms());
      int64_t id = context().db().last_insert_rowid();
      std::vector<DoseRecord> mine;
      for (const auto& r : records(subject, child_id)) {
        if (r.vaccine == vaccine->id) mine.push_back(r);
      }
      return void(response.json(json::object{{"id", id}, {"vaccine", plan_json(plan_vaccine(*vaccine, child->birth, mine, day), locale)}}, 201));
    }
    if (tail.starts_with("/doses/") && request.method() == "DELETE") {
      int64_t id = path_number(tail.substr(7), "unknown_dose", "a dose id", 0);
      if (context().db().run("DELETE FROM doses WHERE id = ?1 AND subject = ?2 AND child = ?3", id, subject, child_id) == 0) {
        throw HttpError(404, "unknown_dose", "no dose " + std::to_string(id) + " recorded for this child");
      }
      return void(response.status(204));
    }
    throw HttpError(404, "not_found", "no such page");
  }

  void alerts(const std::string& subject, const Request& request, Response& response) {
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path == "/me/alerts" && method == "GET") {
      json::array out;
      for (const Alert& a : board_.alerts(subject)) out.push_back(alert_json(a));
      return void(response.json(json::object{{"alerts", out}}));
    }
    if (path == "/me/alerts" && method == "POST") {
      json::object body = request.json_object();
      const json::value* f = body.if_contains("facility");
      const json::value* c = body.if_contains("class");
      if (!f || !f->is_string() || f->as_string().empty()) throw HttpError(400, "invalid_body", "/facility: a facility id");
      if (!c || !c->is_int64() || c->as_int64() < 0 || c->as_int64() >= kClasses) {
        throw HttpError(400, "invalid_class", "/class: an age class 0–5");
      }
      Alert a = board_.add_alert(subject, std::string(f->as_string()), static_cast<int>(c->as_int64()), now_ms());
      return void(response.json(alert_json(a), 201));
    }
    if (path.starts_with("/me/alerts/") && method == "DELETE") {
      if (!board_.remove_alert(subject, path_number(path.substr(11), "unknown_alert", "an alert id", 0))) {
        throw HttpError(404, "unknown_alert", "no such vacancy alert of yours");
      }
      return void(response.status(204));
    }
    throw HttpError(404, "not_found", "no such page");
  }

  // ---- staff -----------------------------------------------------------------------------------------

  void staff(const Request& request, Response& response) {
    request.require_any_role(settings_.staff_roles);
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path == "/staff/data" && method == "GET") return void(response.json(files_.state()));
    if (method != "PUT") throw HttpError(405, "method_not_allowed", "PUT only");
    if (path == "/staff/rules") {
      files_.upload("rules", request.body(), response, [&] { return json::object{{"version", current_rules()->version}}; });
      return;
    }
    if (path == "/staff/info") {
      files_.upload("info", request.body(), response, [&] {
        std::lock_guard lock(mutex_);
        return json::object{{"items", info_->size()}};
      });
      return;
    }
    if (path == "/staff/nurseries") {
      files_.upload("nurseries", request.body(), response, [&] {
        return json::object{{"facilities", t_last_import.facilities}, {"removed", t_last_import.removed},
                            {"openings", t_last_import.openings}};
      });
      return;
    }
    if (path.starts_with("/staff/nurseries/") && path.ends_with("/vacancies")) {
      std::string id(path.substr(17, path.size() - 17 - 10));
      json::object body = request.json_object();
      const json::object* classes = body.contains("vacancies") ? body.at("vacancies").if_object() : nullptr;
      if (!classes || classes->empty()) throw HttpError(400, "invalid_body", "/vacancies: {\"0\": 2, \"1\": 0, …} by age class");
      std::map<int, int> counts;
      for (const auto& [key, value] : *classes) {
        int c = class_param(key, "/vacancies/" + std::string(key));
        if (!value.is_int64() || value.as_int64() < 0 || value.as_int64() > 999) {
          throw HttpError(400, "invalid_vacancies", "/vacancies/" + std::string(key) + ": a whole number 0–999");
        }
        counts[c] = static_cast<int>(value.as_int64());
      }
      return void(response.json(facility_json(board_.set_vacancies(id, counts, now_ms()))));
    }
    throw HttpError(404, "not_found", "no such staff page");
  }

  Settings settings_;
  NurseryBoard board_;
  DataFiles files_;
  std::mutex mutex_;
  std::shared_ptr<const Rules> rules_;
  std::shared_ptr<const std::vector<InfoItem>> info_;
};

MACHI_PLUGIN(Childcare, "childcare", "1.0.0",
             "Childcare: vaccination schedules with reminders, nursery vacancies with alerts, information by child age",
             kBlocking)
