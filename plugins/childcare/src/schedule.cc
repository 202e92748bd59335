#include "schedule.h"

#include <algorithm>

namespace childcare {

namespace json = boost::json;
using machi::sdk::format_date;

const char* state_name(DoseState s) {
  switch (s) {
    case DoseState::kDone: return "done";
    case DoseState::kDue: return "due";
    case DoseState::kUpcoming: return "upcoming";
    case DoseState::kMissed: return "missed";
  }
  return "";
}

namespace {

bool within(Days birth, const AgeRange& range, Days day) {
  return at_age(birth, range.from) <= day && day < at_age(birth, range.until);
}

// The series a child is on: the one a dose on record names, else the one whose start ages hold
// the first dose (or, before any dose, the first day a dose could be given from today).
const Series* choose_series(const Vaccine& v, Days birth, const std::vector<DoseRecord>& records, Days today,
                            std::vector<const Series*>& alternatives) {
  for (const auto& r : records) {
    if (const Series* s = r.series.empty() ? nullptr : v.find_series(r.series)) return s;
  }
  Days reference = today;
  if (!records.empty()) {
    reference = records.front().date;
  } else {
    Days first_start = at_age(birth, v.series.front().start.from);
    for (const auto& s : v.series) first_start = std::min(first_start, at_age(birth, s.start.from));
    reference = std::max(today, first_start);
  }
  const Series* chosen = nullptr;
  for (const auto& s : v.series) {
    if (!within(birth, s.start, reference)) continue;
    if (!chosen) chosen = &s;
    else if (records.empty()) alternatives.push_back(&s);
  }
  if (chosen) return chosen;
  // Past every series' start ages (or a first dose outside them): the latest series that had
  // started by then, so that doses still open (MR stage 2) show and a dose's flag says why.
  chosen = &v.series.front();
  for (const auto& s : v.series) {
    if (at_age(birth, s.start.from) <= reference) chosen = &s;
  }
  return chosen;
}

std::string day_count(Days a, Days b) { return std::to_string((a - b).count()); }

}  // namespace

Days window_opens(const DosePlan& d) {
  if (d.recommended && d.recommended->first > d.earliest) return d.recommended->first;
  return d.earliest;
}

VaccinePlan plan_vaccine(const Vaccine& vaccine, Days birth, std::vector<DoseRecord> records, Days today) {
  std::stable_sort(records.begin(), records.end(),
                   [](const DoseRecord& a, const DoseRecord& b) { return a.date < b.date || (a.date == b.date && a.id < b.id); });
  VaccinePlan plan;
  plan.vaccine = &vaccine;
  plan.series = choose_series(vaccine, birth, records, today, plan.alternatives);
  if (!plan.series) {
    plan.state = "closed";
    return plan;
  }
  const auto& rules = plan.series->doses;
  std::vector<Days> date_of(rules.size());  // given, or projected for open doses
  std::vector<bool> projected(rules.size(), false), impossible(rules.size(), false);
  size_t next = 0;
  for (size_t i = 0; i < rules.size(); ++i) {
    const DoseRule& rule = rules[i];
    DosePlan d;
    d.number = i + 1;
    d.rule = &rule;
    d.earliest = at_age(birth, rule.allowed.from);
    d.last = at_age(birth, rule.allowed.until) - std::chrono::days(1);
    Days rec_from = d.earliest, rec_last = d.last;
    if (rule.recommended) {
      rec_from = at_age(birth, rule.recommended->from);
      rec_last = at_age(birth, rule.recommended->until) - std::chrono::days(1);
    }
    bool blocked = false;
    size_t gap_dose = 0;  // the dose whose gap sets `earliest`, for the flag's reason
    for (const GapRule& g : rule.after) {
      size_t j = g.dose - 1;
      if (impossible[j]) {
        blocked = true;
        continue;
      }
      d.projected = d.projected || projected[j];
      Days from = after_gap(date_of[j], g.min);
      if (from > d.earliest) d.earliest = from, gap_dose = g.dose;
      if (g.max) d.last = std::min(d.last, after_gap(date_of[j], *g.max));
      if (g.standard) {
        rec_from = std::max(rec_from, after_gap(date_of[j], g.standard->first));
        rec_last = std::min(rec_last, after_gap(date_of[j], g.standard->second));
      }
    }
    rec_from = std::max(rec_from, d.earliest);
    rec_last = std::min(rec_last, d.last);
    if (rec_from <= rec_last) d.recommended = std::make_pair(rec_from, rec_last);

    // Fill the slot with the next dose on record that fits; the ones that do not are flagged.
    while (next < records.size() && !d.given) {
      const DoseRecord& r = records[next++];
      FlaggedDose f{r, d.number, "", "", ""};
      if (blocked) {
        f.code = "series_closed";
        f.reason_ja = "前の回が接種できる期間を過ぎたため、定期接種としては続けられません";
        f.reason_en = "an earlier dose can no longer be given, so the routine series cannot continue";
      } else if (r.date < d.earliest && gap_dose == 0) {
        f.code = "too_young";
        f.reason_ja = "この回は" + format_date(d.earliest) + "から接種できます";
        f.reason_en = "this dose may be given from " + format_date(d.earliest);
      } else if (r.date < d.earliest) {
        Days prev = date_of[gap_dose - 1];
        f.code = "too_soon";
        f.reason_ja = std::to_string(gap_dose) + "回目から" + day_count(r.date, prev) + "日後の接種です。" +
                      format_date(d.earliest) + "以降に接種してください";
        f.reason_en = "given " + day_count(r.date, prev) + " days after dose " + std::to_string(gap_dose) +
                      "; this dose may be given from " + format_date(d.earliest);
      } else if (r.date > d.last) {
        f.code = "too_late";
        f.reason_ja = "この回の接種期限(" + format_date(d.last) + ")を過ぎています";
        f.reason_en = "after the last day for this dose (" + format_date(d.last) + ")";
      } else {
        d.given = r;
        continue;
      }
      plan.flagged.push_back(std::move(f));
    }
    if (d.given) {
      d.state = DoseState::kDone;
      d.projected = false;
      date_of[i] = d.given->date;
    } else if (blocked || d.earliest > d.last || today > d.last) {
      d.state = DoseState::kMissed;
      impossible[i] = true;
    } else {
      d.state = today >= d.earliest ? DoseState::kDue : DoseState::kUpcoming;
      Days planned = d.recommended && d.recommended->first >= today ? d.recommended->first : std::max(today, d.earliest);
      date_of[i] = std::min(planned, d.last);
      projected[i] = true;
    }
    plan.doses.push_back(d);
  }
  for (; next < records.size(); ++next) {
    plan.flagged.push_back({records[next], 0, "beyond_series", "この接種回数を超えた接種です",
                            "beyond the doses of this series"});
  }
  size_t done = 0, missed = 0;
  for (const auto& d : plan.doses) done += d.state == DoseState::kDone, missed += d.state == DoseState::kMissed;
  plan.state = done == plan.doses.size()            ? "complete"
               : done + missed == plan.doses.size() ? "closed"
               : done > 0                           ? "in_progress"
                                                    : "not_started";
  return plan;
}

std::vector<VaccinePlan> plan_child(const Rules& rules, Days birth, const std::vector<DoseRecord>& records, Days today) {
  std::vector<VaccinePlan> out;
  for (const auto& v : rules.vaccines) {
    std::vector<DoseRecord> mine;
    for (const auto& r : records) {
      if (r.vaccine == v.id) mine.push_back(r);
    }
    if (v.only_if_recorded && mine.empty()) continue;
    out.push_back(plan_vaccine(v, birth, std::move(mine), today));
  }
  return out;
}

json::object plan_json(const VaccinePlan& plan, std::string_view locale) {
  bool en = locale.starts_with("en");
  json::array doses, flagged, alternatives;
  for (const auto& d : plan.doses) {
    json::object o{{"dose", d.number},
                   {"label", d.rule->label.in(locale)},
                   {"state", state_name(d.state)},
                   {"earliest", format_date(d.earliest)},
                   {"last", format_date(d.last)},
                   {"projected", d.projected}};
    o["recommended"] = d.recommended ? json::value({{"from", format_date(d.recommended->first)},
                                                   {"until", format_date(d.recommended->second)}})
                                     : json::value(nullptr);
    if (d.given) o["given"] = {{"id", d.given->id}, {"date", format_date(d.given->date)}};
    doses.push_back(std::move(o));
  }
  for (const auto& f : plan.flagged) {
    flagged.push_back({{"id", f.record.id}, {"date", format_date(f.record.date)},
                       {"checked_as_dose", f.slot ? json::value(f.slot) : json::value(nullptr)},
                       {"code", f.code}, {"reason", en ? f.reason_en : f.reason_ja}});
  }
  for (const Series* s : plan.alternatives) alternatives.push_back({{"id", s->id}, {"label", s->label.in(locale)}});
  json::object out{{"vaccine", plan.vaccine->id},
                   {"name", plan.vaccine->name.in(locale)},
                   {"state", plan.state},
                   {"series", plan.series ? json::value({{"id", plan.series->id}, {"label", plan.series->label.in(locale)}})
                                          : json::value(nullptr)},
                   {"doses", doses},
                   {"flagged", flagged}};
  if (!alternatives.empty()) out["alternatives"] = alternatives;
  if (plan.vaccine->note) out["note"] = plan.vaccine->note->in(locale);
  return out;
}

}  // namespace childcare
