#include "runtime/notify/broadcasts.h"

#include <boost/json/serialize.hpp>

#include "runtime/storage/sqlite_open.h"

namespace machi::notify {
namespace {

using storage::Query;

// The audience as SQL over `accounts a`, with its parameters (bound from ?100 on, so the
// statements around it keep their own numbers). Age in whole years at `today`.
struct Filter {
  std::string where = "1";
  std::vector<std::string> texts;  // bound in order as ?100, ?101, …
};

std::string age_sql(const std::string& birthdate_expr) {
  return "(CAST(substr(?100, 1, 4) AS INTEGER) - CAST(substr(" + birthdate_expr +
         ", 1, 4) AS INTEGER) - (substr(?100, 6, 5) < substr(" + birthdate_expr + ", 6, 5)))";
}

Filter filter(const Audience& a, const std::string& today) {
  Filter f;
  // Staff accounts are the municipality's own people, not an audience.
  f.where = "NOT EXISTS (SELECT 1 FROM staff_roles r WHERE r.account_id = a.id)";
  f.texts.push_back(today);  // ?100
  auto param = [&](std::string value) {
    f.texts.push_back(std::move(value));
    return "?" + std::to_string(99 + f.texts.size());
  };
  if (!a.districts.empty()) {
    std::string list;
    for (const auto& d : a.districts) list += (list.empty() ? "" : ", ") + param(d);
    // The verified address's district wins over the self-declared one.
    f.where += " AND coalesce(nullif(CASE WHEN json_valid(a.address) THEN "
               "json_extract(a.address, '$.district') END, ''), a.district) IN (" + list + ")";
  }
  if (a.min_age || a.max_age) {
    f.where += " AND length(a.birthdate) = 10";
    if (a.min_age) f.where += " AND " + age_sql("a.birthdate") + " >= " + std::to_string(*a.min_age);
    if (a.max_age) f.where += " AND " + age_sql("a.birthdate") + " <= " + std::to_string(*a.max_age);
  }
  if (a.children_under) {
    f.where += " AND EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(a.household) THEN a.household ELSE '[]' END) c "
               "WHERE length(json_extract(c.value, '$.birthdate')) = 10 AND " +
               age_sql("json_extract(c.value, '$.birthdate')") + " < " + std::to_string(*a.children_under) + ")";
  }
  if (!a.audience.empty()) f.where += " AND a.audience = " + param(a.audience);
  if (!a.languages.empty()) {
    std::string list;
    for (const auto& l : a.languages) list += (list.empty() ? "" : ", ") + param(l);
    f.where += " AND a.language IN (" + list + ")";
  }
  return f;
}

void bind(Query& q, const Filter& f) {
  for (size_t i = 0; i < f.texts.size(); ++i) q.bind(static_cast<int>(100 + i), f.texts[i]);
}

constexpr const char* kStateColumns =
    "b.id, b.key, b.title, b.category, b.urgency, b.created_by, b.created_ms, "
    "(SELECT count(*) FROM notifications n WHERE n.broadcast_id = b.id), "
    "(SELECT count(*) FROM notifications n WHERE n.broadcast_id = b.id AND n.read_ms IS NOT NULL), "
    "(SELECT count(*) FROM push_queue q JOIN notifications n ON n.id = q.notification_id "
    "WHERE n.broadcast_id = b.id)";

BroadcastState read_state(Query& q) {
  return {q.integer(0), q.text(1), q.text(2), q.text(3), q.text(4), q.text(5),
          q.integer(6), q.integer(7), q.integer(8), q.integer(9)};
}

}  // namespace

Result<int64_t> BroadcastStore::audience_size(const Audience& a, const std::string& today) {
  std::lock_guard lock(mutex_);
  Filter f = filter(a, today);
  std::string sql = "SELECT count(*) FROM accounts a WHERE " + f.where;
  Query q(db_, sql.c_str());
  bind(q, f);
  if (q.step() != SQLITE_ROW) return Status::error(std::string("counting the audience: ") + sqlite3_errmsg(db_));
  return q.integer(0);
}

Result<BroadcastStore::Sent> BroadcastStore::send(const Audience& a, const std::string& today,
                                                  const Notification& n, const std::string& created_by,
                                                  int64_t minimum) {
  std::lock_guard lock(mutex_);
  {
    Query existing(db_, "SELECT id FROM broadcasts WHERE key = ?1");
    existing.bind(1, n.key);
    if (existing.step() == SQLITE_ROW) {
      auto state = get_locked(existing.integer(0));
      if (state) return Sent{*state, false};
    }
  }
  Filter f = filter(a, today);
  auto fail = [&](const std::string& what) -> Status {
    std::string message = what + ": " + sqlite3_errmsg(db_);
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Status::error(message);
  };
  if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Status::error(std::string("starting the broadcast: ") + sqlite3_errmsg(db_));
  }
  int64_t size = 0;
  {
    std::string sql = "SELECT count(*) FROM accounts a WHERE " + f.where;
    Query count(db_, sql.c_str());
    bind(count, f);
    if (count.step() != SQLITE_ROW) return fail("counting the audience");
    size = count.integer(0);
  }
  if (size < minimum) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return Status::error("the audience has " + std::to_string(size) + " residents, fewer than the minimum of " +
                         std::to_string(minimum) + ": a broadcast must not single anyone out");
  }
  int64_t id = 0;
  {
    Query insert(db_,
                 "INSERT INTO broadcasts(key, title, category, urgency, created_by, created_ms) "
                 "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
    insert.bind(1, n.key).bind(2, n.title).bind(3, n.category).bind(4, n.urgency);
    insert.bind(5, created_by).bind(6, n.created_ms);
    if (insert.step() != SQLITE_DONE) return fail("recording the broadcast");
    id = sqlite3_last_insert_rowid(db_);
  }
  {
    std::string sql =
        "INSERT INTO notifications(account_id, source, idem_key, category, title, body, link, "
        "urgency, created_ms, expires_ms, broadcast_id) "
        "SELECT a.id, '', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 FROM accounts a WHERE " + f.where +
        (n.urgency == "critical" ? std::string()
                                 : " AND NOT EXISTS (SELECT 1 FROM notification_mutes m WHERE "
                                   "m.account_id = a.id AND m.source = '' AND m.category = ?2)") +
        " ON CONFLICT(account_id, source, idem_key) DO NOTHING";
    Query fan_out(db_, sql.c_str());
    fan_out.bind(1, "broadcast:" + n.key).bind(2, n.category).bind(3, n.title).bind(4, n.body);
    fan_out.bind(5, n.link).bind(6, n.urgency).bind(7, n.created_ms);
    if (n.expires_ms) fan_out.bind(8, *n.expires_ms); else fan_out.bind_null(8);
    fan_out.bind(9, id);
    bind(fan_out, f);
    if (fan_out.step() != SQLITE_DONE) return fail("writing the inboxes");
  }
  {
    Query queue(db_,
                "INSERT INTO push_queue(notification_id, subscription_id, next_ms) "
                "SELECT n.id, s.id, ?2 FROM notifications n JOIN push_subscriptions s "
                "ON s.account_id = n.account_id WHERE n.broadcast_id = ?1");
    queue.bind(1, id).bind(2, n.created_ms);
    if (queue.step() != SQLITE_DONE) return fail("queueing push messages");
  }
  if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("committing the broadcast");
  auto state = get_locked(id);
  if (!state) return Status::error("the broadcast vanished after its commit");
  return Sent{*state, true};
}

std::optional<BroadcastState> BroadcastStore::get_locked(int64_t id) {
  std::string sql = std::string("SELECT ") + kStateColumns + " FROM broadcasts b WHERE b.id = ?1";
  Query q(db_, sql.c_str());
  q.bind(1, id);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return read_state(q);
}

std::optional<BroadcastState> BroadcastStore::get(int64_t id) {
  std::lock_guard lock(mutex_);
  return get_locked(id);
}

std::vector<BroadcastState> BroadcastStore::list(size_t limit) {
  std::lock_guard lock(mutex_);
  std::string sql = std::string("SELECT ") + kStateColumns + " FROM broadcasts b ORDER BY b.id DESC LIMIT ?1";
  Query q(db_, sql.c_str());
  q.bind(1, static_cast<int64_t>(limit));
  std::vector<BroadcastState> out;
  while (q.step() == SQLITE_ROW) out.push_back(read_state(q));
  return out;
}

std::vector<std::pair<std::string, int64_t>> BroadcastStore::recipients_among(
    int64_t broadcast_id, const std::vector<std::string>& public_ids) {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, int64_t>> out;
  for (const std::string& public_id : public_ids) {
    Query q(db_, "SELECT n.id FROM notifications n JOIN accounts a ON a.id = n.account_id "
                 "WHERE n.broadcast_id = ?1 AND a.public_id = ?2");
    q.bind(1, broadcast_id).bind(2, public_id);
    if (q.step() == SQLITE_ROW) out.emplace_back(public_id, q.integer(0));
  }
  return out;
}

}  // namespace machi::notify
