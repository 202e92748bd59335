// Nursery facilities and their vacancies per age class in the mini-app's database, and the
// residents' vacancy alerts. A class "opens" when its vacancies go from none to some (by staff
// update or import); each opening is counted, and every alert on that facility and class hears of
// it once (the opening's number is in the notification key), in the transaction that opened it.
// Thread-safety: the Database's rules (statements belong to the calling thread's connection).
#pragma once

#include <machi/sdk/storage.h>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "nurseries.h"

namespace childcare {

struct Opening {
  std::string subject, facility_id, facility_name;
  int age_class = 0;
  int vacancies = 0;
  int64_t opening = 0;  // how many times this class has opened
};

struct FacilityFilter {
  std::string district;
  std::optional<int> age_class;
  bool only_open = false;
};

struct ImportReport {
  int64_t facilities = 0, removed = 0, openings = 0;
};

struct Alert {
  int64_t id = 0;
  std::string facility_id, facility_name;
  int age_class = 0;
  int vacancies = 0;
};

class NurseryBoard {
 public:
  static constexpr std::string_view kSchema =
      "CREATE TABLE facilities(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, district TEXT NOT NULL,"
      " address TEXT NOT NULL, latitude REAL NOT NULL, longitude REAL NOT NULL, updated_ms INTEGER NOT NULL);"
      "CREATE TABLE vacancies(facility TEXT NOT NULL REFERENCES facilities(id) ON DELETE CASCADE,"
      " class INTEGER NOT NULL, count INTEGER NOT NULL, openings INTEGER NOT NULL DEFAULT 0,"
      " updated_ms INTEGER NOT NULL, PRIMARY KEY(facility, class));"
      "CREATE TABLE alerts(id INTEGER PRIMARY KEY, subject TEXT NOT NULL,"
      " facility TEXT NOT NULL REFERENCES facilities(id) ON DELETE CASCADE, class INTEGER NOT NULL,"
      " created_ms INTEGER NOT NULL, UNIQUE(subject, facility, class));"
      "CREATE INDEX alerts_subject ON alerts(subject);";

  NurseryBoard(machi::sdk::Database& db, std::function<void(const Opening&)> on_opening)
      : db_(db), on_opening_(std::move(on_opening)) {}

  // Replaces the facility list with the file's rows (facilities no longer listed are removed
  // with their alerts). Call it inside a transaction: the caller commits the import with its own
  // bookkeeping, or nothing.
  ImportReport import(const std::vector<Facility>& rows, int64_t now_ms);
  // Sets some classes' vacancies; 404/409 HttpError for an unknown facility or a class it does
  // not take. Returns the facility after the change.
  Facility set_vacancies(const std::string& facility, const std::map<int, int>& counts, int64_t now_ms);

  std::vector<Facility> list(const FacilityFilter& filter);
  std::optional<Facility> find(const std::string& id);
  std::vector<std::string> districts();

  Alert add_alert(const std::string& subject, const std::string& facility, int age_class, int64_t now_ms);
  bool remove_alert(const std::string& subject, int64_t id);
  std::vector<Alert> alerts(const std::string& subject);
  void erase_subject(const std::string& subject);

 private:
  // Writes one class's count; an opening when it goes from none (or absent) to some.
  void write_count(const Facility& f, int age_class, int count, int64_t now_ms, ImportReport& report);
  Facility read(machi::sdk::Statement& row);

  machi::sdk::Database& db_;
  std::function<void(const Opening&)> on_opening_;
};

}  // namespace childcare
