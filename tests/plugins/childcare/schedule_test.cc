// The childcare engine without the runtime: age arithmetic (month ends, school entry, age
// classes), the demo rules file against hand-computed schedules written as data
// (schedule_cases.json, every listed date checked), and the rules file's precise refusals.
#include "schedule.h"

#include <doctest/doctest.h>

#include "ages.h"
#include "rules.h"
#include "tests/support/test_files.h"

using namespace childcare;
namespace json = boost::json;
using machi::sdk::format_date;
using machi::sdk::parse_date;

namespace {

Days day(std::string_view text) {
  auto d = parse_date(text);
  REQUIRE_MESSAGE(d, text);
  return *d;
}

const Rules& demo_rules() {
  static const Rules rules = [] {
    std::vector<machi::sdk::ConfigProblem> problems;
    auto parsed = parse_rules(machi::test::read_file(MACHI_CHILDCARE_DEMO "/vaccines.json"), problems);
    for (const auto& p : problems) FAIL(p.path << ": " << p.message);
    REQUIRE(parsed);
    return *parsed;
  }();
  return rules;
}

AgePoint age(std::string_view text) {
  std::string error;
  auto p = parse_age_point(text, error);
  REQUIRE_MESSAGE(p, error);
  return *p;
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

}  // namespace

TEST_CASE("ages: months land on the month's end, school entry follows the 2 April cohort, classes count from 1 April") {
  CHECK(format_date(at_age(day("2026-01-31"), age("1m"))) == "2026-02-28");
  CHECK(format_date(at_age(day("2024-02-29"), age("1y"))) == "2025-02-28");
  CHECK(format_date(at_age(day("2026-05-01"), age("14w6d"))) == "2026-08-13");
  CHECK(format_date(school_entry(day("2020-04-01"))) == "2026-04-01");
  CHECK(format_date(school_entry(day("2020-04-02"))) == "2027-04-01");
  CHECK(format_date(school_entry(day("2019-12-31"))) == "2026-04-01");
  CHECK(format_date(at_age(day("2020-04-02"), age("school_entry-1y"))) == "2026-04-01");
  std::string error;
  CHECK(format_date(after_gap(day("2026-06-12"), *parse_gap("27d", error))) == "2026-07-10");  // 中27日
  CHECK(format_date(after_gap(day("2026-03-31"), *parse_gap("3m", error))) == "2026-06-30");
  CHECK(age_class(day("2024-04-01"), 2025) == 1);
  CHECK(age_class(day("2024-04-02"), 2025) == 0);
  CHECK(age_class(day("2025-06-01"), 2025) == 0);  // born during the school year
  CHECK(age_class(day("2021-10-10"), 2026) == 4);
  CHECK(school_year_of(day("2027-03-31")) == 2026);
  CHECK(school_year_of(day("2027-04-01")) == 2027);
  CHECK(age_years_months(day("2025-01-31"), day("2025-02-28")) == std::pair{0, 1});
  CHECK(age_years_months(day("2025-01-31"), day("2025-02-27")) == std::pair{0, 0});

  CHECK_FALSE(parse_age_point("2x", error));
  CHECK(error.find("unit 'x'") != std::string::npos);
  CHECK_FALSE(parse_age_point("3d2m", error));
  CHECK(error.find("units go y, m, w, d") != std::string::npos);
  CHECK_FALSE(parse_age_point("school_entry*1y", error));
  CHECK_FALSE(parse_gap("1m3d", error));
  CHECK(error.find("not both") != std::string::npos);
}

TEST_CASE("schedules: the demo rules against hand-computed tables") {
  const Rules& rules = demo_rules();
  CHECK(rules.version == "2024-04-01");
  json::value file = json::parse(machi::test::read_file(MACHI_CHILDCARE_TESTS "/schedule_cases.json"));
  size_t checked_dates = 0;
  for (const json::value& c : file.at("cases").as_array()) {
    CAPTURE(str(c.at("name")));
    Days birth = day(c.at("birth").as_string());
    Days today = day(c.at("today").as_string());
    std::vector<DoseRecord> records;
    int64_t id = 0;
    for (const json::value& d : c.at("doses").as_array()) {
      const json::object& o = d.as_object();
      records.push_back({++id, str(o.at("vaccine")), o.contains("series") ? str(o.at("series")) : "", day(o.at("date").as_string())});
    }
    std::vector<VaccinePlan> plans = plan_child(rules, birth, records, today);
    for (const json::value& e : c.at("expect").as_array()) {
      const json::object& want = e.as_object();
      CAPTURE(str(want.at("vaccine")));
      auto plan = std::find_if(plans.begin(), plans.end(), [&](const VaccinePlan& p) { return p.vaccine->id == want.at("vaccine").as_string(); });
      REQUIRE(plan != plans.end());
      if (want.contains("series")) CHECK(plan->series->id == str(want.at("series")));
      if (want.contains("state")) CHECK(plan->state == str(want.at("state")));
      if (want.contains("alternatives")) {
        std::vector<std::string> alternatives, expected;
        for (const Series* s : plan->alternatives) alternatives.push_back(s->id);
        for (const auto& a : want.at("alternatives").as_array()) expected.push_back(str(a));
        CHECK(alternatives == expected);
      }
      const json::array& doses = want.at("doses").as_array();
      REQUIRE(plan->doses.size() >= doses.size());
      for (const json::value& dv : doses) {
        const json::object& d = dv.as_object();
        const DosePlan& got = plan->doses.at(static_cast<size_t>(d.at("dose").as_int64()) - 1);
        CAPTURE(got.number);
        CHECK(state_name(got.state) == str(d.at("state")));
        if (d.contains("earliest")) {
          CHECK(format_date(got.earliest) == str(d.at("earliest")));
          ++checked_dates;
        }
        if (d.contains("last")) {
          CHECK(format_date(got.last) == str(d.at("last")));
          ++checked_dates;
        }
        if (d.contains("given")) {
          REQUIRE(got.given);
          CHECK(format_date(got.given->date) == str(d.at("given")));
        } else {
          CHECK_FALSE(got.given);
        }
        if (d.contains("projected")) CHECK(got.projected == d.at("projected").as_bool());
        if (d.contains("recommended")) {
          REQUIRE(got.recommended);
          CHECK(format_date(got.recommended->first) == str(d.at("recommended").at(0)));
          CHECK(format_date(got.recommended->second) == str(d.at("recommended").at(1)));
          checked_dates += 2;
        }
      }
      const json::array* flagged = want.contains("flagged") ? &want.at("flagged").as_array() : nullptr;
      REQUIRE(plan->flagged.size() == (flagged ? flagged->size() : 0));
      for (size_t i = 0; flagged && i < flagged->size(); ++i) {
        const json::object& f = (*flagged)[i].as_object();
        CHECK(format_date(plan->flagged[i].record.date) == str(f.at("date")));
        CHECK(plan->flagged[i].code == str(f.at("code")));
        if (f.at("checked_as_dose").is_null()) CHECK(plan->flagged[i].slot == 0);
        else CHECK(plan->flagged[i].slot == static_cast<size_t>(f.at("checked_as_dose").as_int64()));
        CHECK_FALSE(plan->flagged[i].reason_en.empty());
        CHECK_FALSE(plan->flagged[i].reason_ja.empty());
      }
    }
  }
  CHECK(checked_dates > 100);
}

TEST_CASE("schedules: the separate Hib vaccine appears only once a dose of it is on record") {
  const Rules& rules = demo_rules();
  auto has = [](const std::vector<VaccinePlan>& plans, const char* id) {
    return std::any_of(plans.begin(), plans.end(), [&](const VaccinePlan& p) { return p.vaccine->id == id; });
  };
  CHECK_FALSE(has(plan_child(rules, day("2026-01-15"), {}, day("2026-05-01")), "hib"));
  auto plans = plan_child(rules, day("2026-01-15"), {{1, "hib", "", day("2026-09-01")}}, day("2026-10-01"));
  REQUIRE(has(plans, "hib"));
  const VaccinePlan& hib = *std::find_if(plans.begin(), plans.end(), [](const VaccinePlan& p) { return p.vaccine->id == "hib"; });
  CHECK(hib.series->id == "start_7_12m");  // first dose at 7½ months: the late-start reduction
  CHECK(hib.doses.size() == 3);
  json::object j = plan_json(hib, "en");
  CHECK(j.at("name").as_string() == "Hib (separate vaccine)");
  CHECK(j.at("doses").as_array()[0].at("state").as_string() == "done");
}

TEST_CASE("rules files: every problem with its JSON pointer, nothing half-read") {
  std::vector<machi::sdk::ConfigProblem> problems;
  CHECK_FALSE(parse_rules("{\"format\": 1, ", problems));
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].message.find("invalid JSON") != std::string::npos);

  // JSON that is not an object is refused, not read as rules without vaccines (found by the
  // childcare_files fuzz harness: a file "10" was accepted).
  for (const char* text : {"10", "[]", "\"rules\"", "null"}) {
    problems.clear();
    CHECK_FALSE(parse_rules(text, problems));
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].message == "must be a JSON object");
  }

  problems.clear();
  CHECK_FALSE(parse_rules(R"({"format": 2, "version": "x", "vaccines": [
    {"id": "a", "name": "A", "series": [{"id": "s", "doses": [
      {"label": "1", "allowed": {"from": "1y", "until": "2m"}},
      {"label": "2", "allowed": {"from": "0d", "until": "1y"}, "after": [{"dose": 2, "min": "27d"}, {"dose": 1, "min": "1m2d"}]}]}]},
    {"id": "a", "name": {"en": "no ja"}, "series": []}]})", problems));
  std::string all;
  for (const auto& p : problems) all += p.path + ": " + p.message + "\n";
  CAPTURE(all);
  CHECK(all.find("/format: must be between 1 and 1") != std::string::npos);
  CHECK(all.find("/vaccines/0/series/0/doses/0/allowed: 'from' must come before 'until'") != std::string::npos);
  CHECK(all.find("/vaccines/0/series/0/doses/1/after/0/dose: must name an earlier dose of this series (1–1)") != std::string::npos);
  CHECK(all.find("/vaccines/0/series/0/doses/1/after/1/min: '1m2d': a gap is in years/months or in weeks/days") != std::string::npos);
  CHECK(all.find("/vaccines/1/name: must be a non-empty string or") != std::string::npos);
  CHECK(all.find("/vaccines/1/series: must list at least one series") != std::string::npos);
}
