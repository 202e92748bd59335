#include "runtime/identity/consent_store.h"

namespace machi::identity {

using storage::Query;

std::vector<std::string> ConsentStore::consented(int64_t account_id, std::string_view mount_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT claim FROM consents WHERE account_id = ?1 AND mount_id = ?2 ORDER BY claim");
  q.bind(1, account_id).bind(2, mount_id);
  std::vector<std::string> claims;
  while (q.step() == SQLITE_ROW) claims.push_back(q.text(0));
  return claims;
}

std::vector<std::pair<std::string, std::vector<std::string>>> ConsentStore::consents(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT mount_id, claim FROM consents WHERE account_id = ?1 ORDER BY mount_id, claim");
  q.bind(1, account_id);
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  while (q.step() == SQLITE_ROW) {
    std::string mount = q.text(0);
    if (out.empty() || out.back().first != mount) out.emplace_back(mount, std::vector<std::string>{});
    out.back().second.push_back(q.text(1));
  }
  return out;
}

Status ConsentStore::set_consent(int64_t account_id, std::string_view mount_id,
                                 const std::vector<std::string>& claims) {
  accounts_.note_disclosure_change();
  std::lock_guard lock(mutex_);
  sqlite3* db = db_.get();
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Status::error("storing the consent failed");
  }
  Query clear(db, "DELETE FROM consents WHERE account_id = ?1 AND mount_id = ?2");
  bool ok = clear.bind(1, account_id).bind(2, mount_id).step() == SQLITE_DONE;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch()).count();
  for (const std::string& claim : claims) {
    Query add(db, "INSERT OR IGNORE INTO consents(account_id, mount_id, claim, granted_ms) "
                  "VALUES(?1, ?2, ?3, ?4)");
    ok = ok && add.bind(1, account_id).bind(2, mount_id).bind(3, claim).bind(4, now).step() == SQLITE_DONE;
  }
  sqlite3_exec(db, ok ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
  return ok ? Status::ok() : Status::error("storing the consent failed");
}

Status ConsentStore::revoke_consent(int64_t account_id, std::string_view mount_id) {
  accounts_.note_disclosure_change();
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "DELETE FROM consents WHERE account_id = ?1 AND mount_id = ?2");
  q.bind(1, account_id).bind(2, mount_id);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("revoking the consent failed");
}

Status ConsentStore::add_disclosure(int64_t account_id, const Disclosure& d) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT INTO disclosures(account_id, at_ms, staff_login, purpose, claims) "
                     "VALUES(?1, ?2, ?3, ?4, ?5)");
  q.bind(1, account_id).bind(2, d.at_ms).bind(3, d.staff_login).bind(4, d.purpose).bind(5, d.claims);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("writing the disclosure log failed");
}

std::vector<ConsentStore::Disclosure> ConsentStore::disclosures(int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT at_ms, staff_login, purpose, claims FROM disclosures "
                     "WHERE account_id = ?1 ORDER BY at_ms DESC, id DESC LIMIT 1000");
  q.bind(1, account_id);
  std::vector<Disclosure> out;
  while (q.step() == SQLITE_ROW) out.push_back({q.integer(0), q.text(1), q.text(2), q.text(3)});
  return out;
}

Status ConsentStore::remember_subject(std::string_view mount_id, std::string_view subject,
                                      int64_t account_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT OR IGNORE INTO subjects(mount_id, subject, account_id) VALUES(?1, ?2, ?3)");
  q.bind(1, mount_id).bind(2, subject).bind(3, account_id);
  if (q.step() != SQLITE_DONE) return Status::error(std::string("remembering a subject: ") + sqlite3_errmsg(db_.get()));
  return Status::ok();
}

std::optional<int64_t> ConsentStore::account_for_subject(std::string_view mount_id,
                                                         std::string_view subject) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT account_id FROM subjects WHERE mount_id = ?1 AND subject = ?2");
  q.bind(1, mount_id).bind(2, subject);
  if (q.step() != SQLITE_ROW) return std::nullopt;
  return q.integer(0);
}

Status ConsentStore::add_pending_erasure(std::string_view mount_id, std::string_view subject) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "INSERT OR IGNORE INTO pending_erasures(mount_id, subject) VALUES(?1, ?2)");
  q.bind(1, mount_id).bind(2, subject);
  return q.step() == SQLITE_DONE ? Status::ok() : Status::error("recording the erasure failed");
}

std::vector<std::string> ConsentStore::pending_erasures(std::string_view mount_id) {
  std::lock_guard lock(mutex_);
  Query q(db_.get(), "SELECT subject FROM pending_erasures WHERE mount_id = ?1");
  q.bind(1, mount_id);
  std::vector<std::string> out;
  while (q.step() == SQLITE_ROW) out.push_back(q.text(0));
  return out;
}

void ConsentStore::remove_pending_erasure(std::string_view mount_id, std::string_view subject) {
  std::lock_guard lock(mutex_);
  Query(db_.get(), "DELETE FROM pending_erasures WHERE mount_id = ?1 AND subject = ?2")
      .bind(1, mount_id).bind(2, subject).step();
}

}  // namespace machi::identity
