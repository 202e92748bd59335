// ConsentStore: what a municipality's mini-apps may know of each resident, in its runtime
// database: consents (which granted claims a resident accepted for a mini-app), the disclosure
// log (who read which data, when, for what), the pairwise subjects handed out, and erasures
// owed by mini-apps that were disabled when a resident deleted their account.
// Thread-safety: every method is thread-safe (the database's connection behind its mutex).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/identity/account_store.h"
#include "runtime/status.h"
#include "runtime/storage/runtime_database.h"

namespace machi::identity {

class ConsentStore {
 public:
  // `accounts`: whose disclosure generation every consent change moves on.
  ConsentStore(storage::RuntimeDatabase& db, AccountStore& accounts)
      : db_(db), mutex_(db.mutex()), accounts_(accounts) {}

  // Consent: which granted claims the resident accepted for a mini-app (mount id).
  std::vector<std::string> consented(int64_t account_id, std::string_view mount_id);
  std::vector<std::pair<std::string, std::vector<std::string>>> consents(int64_t account_id);
  Status set_consent(int64_t account_id, std::string_view mount_id,
                     const std::vector<std::string>& claims);
  Status revoke_consent(int64_t account_id, std::string_view mount_id);

  // Disclosures: who read which of a resident's data, when, for what.
  struct Disclosure {
    int64_t at_ms = 0;
    std::string staff_login;
    std::string purpose;   // e.g. "citizen-card", "recovery", or a mini-app id
    std::string claims;    // comma-separated claim names
  };
  Status add_disclosure(int64_t account_id, const Disclosure& disclosure);
  std::vector<Disclosure> disclosures(int64_t account_id);

  // Pairwise subjects the runtime has handed to a mini-app, so the mini-app can address the
  // resident later (notify) by the only id it knows. Deleted with the account.
  Status remember_subject(std::string_view mount_id, std::string_view subject, int64_t account_id);
  std::optional<int64_t> account_for_subject(std::string_view mount_id, std::string_view subject);

  // Erasures owed by mini-apps that were disabled when a resident deleted their account: run
  // when the mini-app is enabled again (the subject is that mini-app's pairwise subject).
  Status add_pending_erasure(std::string_view mount_id, std::string_view subject);
  std::vector<std::string> pending_erasures(std::string_view mount_id);
  void remove_pending_erasure(std::string_view mount_id, std::string_view subject);

 private:
  storage::RuntimeDatabase& db_;
  std::mutex& mutex_;  // db_.mutex()
  AccountStore& accounts_;
};

}  // namespace machi::identity
