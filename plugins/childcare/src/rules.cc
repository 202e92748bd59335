#include "rules.h"

namespace childcare {

namespace json = boost::json;
using machi::sdk::ConfigProblem;
using machi::sdk::ConfigReader;

const Series* Vaccine::find_series(std::string_view wanted) const {
  for (const auto& s : series) {
    if (s.id == wanted) return &s;
  }
  return nullptr;
}

const Vaccine* Rules::find(std::string_view wanted) const {
  for (const auto& v : vaccines) {
    if (v.id == wanted) return &v;
  }
  return nullptr;
}

namespace {
std::optional<AgePoint> read_age(ConfigReader& r, std::string_view key) {
  std::string s = r.string(key, "", true);
  if (s.empty()) return std::nullopt;
  std::string error;
  auto p = parse_age_point(s, error);
  if (!p) r.problem(key, error);
  return p;
}
}  // namespace

std::optional<AgeRange> read_age_range(ConfigReader& parent, std::string_view key, bool required) {
  auto r = parent.object(key, required);
  if (!r) return std::nullopt;
  auto from = read_age(*r, "from");
  auto until = read_age(*r, "until");
  if (!from || !until) return std::nullopt;
  // Checked on a reference birth date; ages relative to school entry move with it the same way.
  Days birth = *machi::sdk::parse_date("2024-04-02");
  if (at_age(birth, *from) >= at_age(birth, *until)) {
    parent.problem(key, "'from' must come before 'until'");
    return std::nullopt;
  }
  return AgeRange{*from, *until};
}

namespace {

class RulesReader {
 public:
  explicit RulesReader(std::vector<ConfigProblem>& problems) : problems_(problems) {}

  std::optional<Text> text(ConfigReader& r, std::string_view key, bool required) { return machi::sdk::read_localized(r, key, required); }
  std::optional<AgeRange> range(ConfigReader& r, std::string_view key, bool required) {
    return read_age_range(r, key, required);
  }

  std::optional<Duration> gap(ConfigReader& r, std::string_view key, const std::string& s) {
    std::string error;
    auto d = parse_gap(s, error);
    if (!d) r.problem(key, error);
    return d;
  }

  std::optional<GapRule> gap_rule(const json::value& v, const std::string& at, size_t dose_index) {
    ConfigReader r(v, problems_, at);
    GapRule g;
    int64_t dose = r.integer("dose", 0, 1, 100, true);
    if (dose >= static_cast<int64_t>(dose_index) + 1) {
      r.problem("dose", "must name an earlier dose of this series (1–" + std::to_string(dose_index) + ")");
      return std::nullopt;
    }
    g.dose = static_cast<size_t>(dose);
    auto min = gap(r, "min", r.string("min", "", true));
    if (r.has("max")) g.max = gap(r, "max", r.string("max", ""));
    if (const json::array* standard = r.array("standard")) {
      if (standard->size() != 2 || !(*standard)[0].is_string() || !(*standard)[1].is_string()) {
        r.problem("standard", "must be [\"least\", \"most\"], two gaps");
      } else {
        auto a = gap(r, "standard", std::string((*standard)[0].as_string()));
        auto b = gap(r, "standard", std::string((*standard)[1].as_string()));
        if (a && b) g.standard = std::make_pair(*a, *b);
      }
    }
    if (!min || dose == 0) return std::nullopt;
    g.min = *min;
    return g;
  }

  std::optional<DoseRule> dose(const json::value& v, const std::string& at, size_t index) {
    ConfigReader r(v, problems_, at);
    DoseRule d;
    auto label = text(r, "label", true);
    auto allowed = range(r, "allowed", true);
    d.recommended = range(r, "recommended", false);
    if (const json::array* after = r.array("after")) {
      for (size_t i = 0; i < after->size(); ++i) {
        if (auto g = gap_rule((*after)[i], r.child("after") + "/" + std::to_string(i), index)) d.after.push_back(*g);
      }
    }
    if (!label || !allowed) return std::nullopt;
    d.label = *label;
    d.allowed = *allowed;
    return d;
  }

  std::optional<Series> series(const json::value& v, const std::string& at) {
    ConfigReader r(v, problems_, at);
    Series s;
    s.id = r.string("id", "", true);
    if (!s.id.empty() && !machi::sdk::is_config_id(s.id)) r.problem("id", "must be 1–32 of [a-z0-9_-]");
    auto label = text(r, "label", false);
    s.label = label ? *label : Text{json::object{{"ja", s.id}}};
    const json::array* doses = r.array("doses", true);
    if (doses && doses->empty()) r.problem("doses", "must list at least one dose");
    size_t before = problems_.size();
    for (size_t i = 0; doses && i < doses->size(); ++i) {
      if (auto d = dose((*doses)[i], r.child("doses") + "/" + std::to_string(i), i)) s.doses.push_back(*d);
    }
    auto start = r.has("start") ? range(r, "start", false) : std::nullopt;
    if (problems_.size() != before || s.doses.empty()) return std::nullopt;
    s.start = start ? *start : s.doses.front().allowed;
    return s;
  }

  std::optional<Vaccine> vaccine(const json::value& v, const std::string& at) {
    ConfigReader r(v, problems_, at);
    Vaccine vac;
    vac.id = r.string("id", "", true);
    if (!vac.id.empty() && !machi::sdk::is_config_id(vac.id)) r.problem("id", "must be 1–32 of [a-z0-9_-]");
    auto name = text(r, "name", true);
    vac.note = text(r, "note", false);
    vac.only_if_recorded = r.boolean("only_if_recorded", false);
    const json::array* list = r.array("series", true);
    if (list && list->empty()) r.problem("series", "must list at least one series");
    for (size_t i = 0; list && i < list->size(); ++i) {
      std::string where = r.child("series") + "/" + std::to_string(i);
      auto s = series((*list)[i], where);
      if (!s) continue;
      if (vac.find_series(s->id)) problems_.push_back({where + "/id", "'" + s->id + "' is used twice"});
      vac.series.push_back(std::move(*s));
    }
    if (!name) return std::nullopt;
    vac.name = *name;
    return vac;
  }

 private:
  std::vector<ConfigProblem>& problems_;
};

}  // namespace

std::optional<Rules> parse_rules(std::string_view text, std::vector<ConfigProblem>& problems) {
  auto doc = machi::sdk::parse_json_document(text, problems);
  if (!doc) return std::nullopt;
  Rules rules;
  RulesReader reader(problems);
  size_t before = problems.size();  // before the reader: it reports a document that is no object
  ConfigReader r(*doc, problems);
  r.integer("format", 1, 1, 1, true);
  rules.version = r.string("version", "", true);
  if (r.has("version") && rules.version.empty()) r.problem("version", "must be a non-empty string");
  auto title = reader.text(r, "title", false);
  rules.title = title ? *title : Text{json::object{{"ja", "予防接種"}}};
  const json::array* list = r.array("vaccines", true);
  if (list && list->empty()) r.problem("vaccines", "must list at least one vaccine");
  for (size_t i = 0; list && i < list->size(); ++i) {
    std::string where = r.child("vaccines") + "/" + std::to_string(i);
    auto v = reader.vaccine((*list)[i], where);
    if (!v) continue;
    if (rules.find(v->id)) problems.push_back({where + "/id", "'" + v->id + "' is used twice"});
    rules.vaccines.push_back(std::move(*v));
  }
  if (problems.size() != before) return std::nullopt;
  rules.source = std::move(*doc);
  return rules;
}

}  // namespace childcare
