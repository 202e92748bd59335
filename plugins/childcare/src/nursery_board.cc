#include "nursery_board.h"

#include <machi/sdk/plugin.h>

#include <set>

namespace childcare {

using machi::sdk::HttpError;
using machi::sdk::Statement;
using machi::sdk::Transaction;

namespace {
constexpr const char* kFacilityColumns = "id, name, kind, district, address, latitude, longitude";
}

Facility NurseryBoard::read(Statement& row) {
  Facility f;
  f.id = row.text(0);
  f.name = row.text(1);
  f.kind = row.text(2);
  f.district = row.text(3);
  f.address = row.text(4);
  f.latitude = row.real(5);
  f.longitude = row.real(6);
  Statement v = db_.prepare("SELECT class, count FROM vacancies WHERE facility = ?1");
  v.bind(1, f.id);
  while (v.step()) f.vacancies[static_cast<size_t>(v.integer(0))] = static_cast<int>(v.integer(1));
  return f;
}

void NurseryBoard::write_count(const Facility& f, int age_class, int count, int64_t now_ms, ImportReport& report) {
  Statement old = db_.prepare("SELECT count, openings FROM vacancies WHERE facility = ?1 AND class = ?2");
  old.bind(1, f.id).bind(2, age_class);
  bool existed = old.step();
  int64_t before = existed ? old.integer(0) : 0, openings = existed ? old.integer(1) : 0;
  bool opens = before <= 0 && count > 0;
  if (opens) ++openings;
  db_.run("INSERT INTO vacancies(facility, class, count, openings, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5) "
          "ON CONFLICT(facility, class) DO UPDATE SET count = ?3, openings = ?4, "
          "updated_ms = CASE WHEN count = ?3 THEN updated_ms ELSE ?5 END",
          f.id, age_class, count, openings, now_ms);
  if (!opens) return;
  ++report.openings;
  Statement subscribers = db_.prepare("SELECT subject FROM alerts WHERE facility = ?1 AND class = ?2");
  subscribers.bind(1, f.id).bind(2, age_class);
  while (subscribers.step()) {
    on_opening_(Opening{std::string(subscribers.text(0)), f.id, f.name, age_class, count, openings});
  }
}

ImportReport NurseryBoard::import(const std::vector<Facility>& rows, int64_t now_ms) {
  ImportReport report;
  std::set<std::string> listed;
  for (const Facility& f : rows) {
    listed.insert(f.id);
    db_.run("INSERT INTO facilities(id, name, kind, district, address, latitude, longitude, updated_ms) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET name = ?2, kind = ?3, "
            "district = ?4, address = ?5, latitude = ?6, longitude = ?7, updated_ms = ?8",
            f.id, f.name, f.kind, f.district, f.address, f.latitude, f.longitude, now_ms);
    for (int c = 0; c < kClasses; ++c) {
      if (f.vacancies[c]) write_count(f, c, *f.vacancies[c], now_ms, report);
      else db_.run("DELETE FROM vacancies WHERE facility = ?1 AND class = ?2", f.id, c);
    }
    ++report.facilities;
  }
  std::vector<std::string> gone;
  Statement all = db_.prepare("SELECT id FROM facilities");
  while (all.step()) {
    if (!listed.contains(std::string(all.text(0)))) gone.emplace_back(all.text(0));
  }
  for (const auto& id : gone) report.removed += db_.run("DELETE FROM facilities WHERE id = ?1", id);
  return report;
}

Facility NurseryBoard::set_vacancies(const std::string& id, const std::map<int, int>& counts, int64_t now_ms) {
  Transaction tx(db_);
  auto f = find(id);
  if (!f) throw HttpError(404, "unknown_facility", "no facility '" + id + "'");
  ImportReport ignored;
  for (const auto& [c, count] : counts) {
    if (!f->vacancies[static_cast<size_t>(c)]) {
      throw HttpError(409, "class_not_taken", f->name + " does not take age class " + std::to_string(c) +
                                                  " (change the facility list to add it)");
    }
    write_count(*f, c, count, now_ms, ignored);
  }
  db_.run("UPDATE facilities SET updated_ms = ?2 WHERE id = ?1", id, now_ms);
  tx.commit();
  return *find(id);
}

std::vector<Facility> NurseryBoard::list(const FacilityFilter& filter) {
  std::string sql = std::string("SELECT ") + kFacilityColumns + " FROM facilities f WHERE (?1 = '' OR district = ?1)";
  if (filter.age_class) {
    sql += std::string(" AND EXISTS(SELECT 1 FROM vacancies v WHERE v.facility = f.id AND v.class = ?2") +
           (filter.only_open ? " AND v.count > 0)" : ")");
  } else if (filter.only_open) {
    sql += " AND EXISTS(SELECT 1 FROM vacancies v WHERE v.facility = f.id AND v.count > 0)";
  }
  sql += " ORDER BY district, name, id";
  Statement q = db_.prepare(sql);
  q.bind(1, filter.district);
  if (filter.age_class) q.bind(2, *filter.age_class);
  std::vector<Facility> out;
  while (q.step()) out.push_back(read(q));
  return out;
}

std::optional<Facility> NurseryBoard::find(const std::string& id) {
  Statement q = db_.prepare(std::string("SELECT ") + kFacilityColumns + " FROM facilities WHERE id = ?1");
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return read(q);
}

std::vector<std::string> NurseryBoard::districts() {
  Statement q = db_.prepare("SELECT DISTINCT district FROM facilities ORDER BY district");
  std::vector<std::string> out;
  while (q.step()) out.emplace_back(q.text(0));
  return out;
}

Alert NurseryBoard::add_alert(const std::string& subject, const std::string& facility, int age_class, int64_t now_ms) {
  Transaction tx(db_);
  auto f = find(facility);
  if (!f) throw HttpError(404, "unknown_facility", "no facility '" + facility + "'");
  if (!f->vacancies[static_cast<size_t>(age_class)]) {
    throw HttpError(409, "class_not_taken", f->name + " does not take age class " + std::to_string(age_class));
  }
  Statement count = db_.prepare("SELECT count(*) FROM alerts WHERE subject = ?1");
  count.bind(1, subject);
  count.step();
  if (count.integer(0) >= 50) throw HttpError(409, "too_many_alerts", "at most 50 vacancy alerts per resident");
  db_.run("INSERT INTO alerts(subject, facility, class, created_ms) VALUES (?1, ?2, ?3, ?4) "
          "ON CONFLICT(subject, facility, class) DO NOTHING", subject, facility, age_class, now_ms);
  tx.commit();
  for (const Alert& a : alerts(subject)) {
    if (a.facility_id == facility && a.age_class == age_class) return a;
  }
  throw HttpError(500, "internal", "the alert was not stored");
}

bool NurseryBoard::remove_alert(const std::string& subject, int64_t id) {
  return db_.run("DELETE FROM alerts WHERE id = ?1 AND subject = ?2", id, subject) > 0;
}

std::vector<Alert> NurseryBoard::alerts(const std::string& subject) {
  Statement q = db_.prepare(
      "SELECT a.id, a.facility, f.name, a.class, coalesce(v.count, 0) FROM alerts a JOIN facilities f ON f.id = a.facility "
      "LEFT JOIN vacancies v ON v.facility = a.facility AND v.class = a.class WHERE a.subject = ?1 ORDER BY a.id");
  q.bind(1, subject);
  std::vector<Alert> out;
  while (q.step()) {
    out.push_back({q.integer(0), std::string(q.text(1)), std::string(q.text(2)), static_cast<int>(q.integer(3)),
                   static_cast<int>(q.integer(4))});
  }
  return out;
}

void NurseryBoard::erase_subject(const std::string& subject) { db_.run("DELETE FROM alerts WHERE subject = ?1", subject); }

}  // namespace childcare
