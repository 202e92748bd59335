// The built-in library system: catalogue, cards and circulation in the mini-app's own SQLite
// database (through the host's storage functions). Every change runs in one BEGIN IMMEDIATE
// transaction, and partial unique indexes make "one open loan per copy" and "one hold per
// assigned copy" facts of the schema, so two residents can never get the same copy.
#pragma once

#include <machi/sdk/storage.h>

#include "library_system.h"

namespace library {

class BuiltinStore : public LibrarySystem {
 public:
  // The store's tables: a step of the mini-app's migrations (Database::migrate), which must
  // have run before the store is used.
  static constexpr const char* kSchema =
      "CREATE TABLE books(id INTEGER PRIMARY KEY, isbn13 TEXT NOT NULL UNIQUE, title TEXT NOT NULL,"
      " title_reading TEXT NOT NULL, author TEXT NOT NULL, publisher TEXT NOT NULL, year INTEGER NOT NULL);"
      "CREATE VIRTUAL TABLE books_fts USING fts5(folded, tokenize='trigram');"
      "CREATE TABLE copies(copy_id TEXT PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES books(id),"
      " branch TEXT NOT NULL, shelf TEXT NOT NULL);"
      "CREATE INDEX copies_book ON copies(book_id);"
      "CREATE TABLE cards(card TEXT PRIMARY KEY, salt BLOB NOT NULL, hash BLOB NOT NULL,"
      " failures INTEGER NOT NULL DEFAULT 0, locked_until_ms INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL);"
      "CREATE TABLE loans(id INTEGER PRIMARY KEY, copy_id TEXT NOT NULL, card TEXT NOT NULL, branch TEXT NOT NULL,"
      " out_day TEXT NOT NULL, due TEXT NOT NULL, renewals INTEGER NOT NULL DEFAULT 0, returned_day TEXT);"
      "CREATE UNIQUE INDEX loans_open_copy ON loans(copy_id) WHERE returned_day IS NULL;"
      "CREATE INDEX loans_open_card ON loans(card) WHERE returned_day IS NULL;"
      "CREATE INDEX loans_open_due ON loans(due) WHERE returned_day IS NULL;"
      "CREATE TABLE holds(id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES books(id), card TEXT NOT NULL,"
      " pickup TEXT NOT NULL, status TEXT NOT NULL, placed_seq INTEGER NOT NULL, copy_id TEXT, pickup_by TEXT);"
      "CREATE UNIQUE INDEX holds_open_per_card ON holds(book_id, card) WHERE status IN ('waiting', 'in_transit', 'ready');"
      "CREATE UNIQUE INDEX holds_assigned_copy ON holds(copy_id) WHERE status IN ('in_transit', 'ready');"
      "CREATE INDEX holds_queue ON holds(book_id, status, placed_seq);"
      "CREATE INDEX holds_card ON holds(card, status);";

  BuiltinStore(machi::sdk::Database& db, std::vector<Branch> branches, Policy policy, CirculationEvents events);

  SearchPage search(const SearchQuery& query) override;
  std::optional<std::pair<BookSummary, std::vector<CopyInfo>>> book(const std::string& isbn13) override;
  ImportReport import_holdings(const std::vector<Holding>& rows, const std::string& today) override;

  void register_card(const std::string& card, const std::string& pin, int64_t now_ms) override;
  bool card_exists(const std::string& card) override;
  void verify_card(const std::string& card, const std::string& pin, int64_t now_ms) override;

  Loan checkout(const std::string& copy_id, const std::string& card, const std::string& today) override;
  CheckinResult checkin(const std::string& copy_id, const std::string& branch, const std::string& today) override;
  Loan renew(int64_t loan_id, const std::string& card, const std::string& today) override;
  std::vector<Loan> loans(const std::string& card) override;
  std::vector<Loan> loans_due_between(const std::string& from, const std::string& to) override;
  std::vector<Loan> overdue(const std::string& branch, const std::string& today) override;
  Hold place_hold(const std::string& isbn13, const std::string& card, const std::string& pickup,
                  const std::string& today) override;
  void cancel_hold(int64_t hold_id, const std::string& card, const std::string& today) override;
  bool expire_hold(int64_t hold_id, const std::string& today) override;
  std::vector<Hold> holds(const std::string& card) override;
  std::vector<Hold> hold_shelf(const std::string& branch) override;

 private:
  const Branch& branch_of(const std::string& id) const;
  std::vector<Availability> availability(int64_t book_id);
  std::vector<Loan> loan_rows(const std::string& where, const std::vector<std::string>& params);
  std::vector<Hold> hold_rows(const std::string& where, const std::string& param);
  Hold hold_by_id(int64_t id);
  void assign(int64_t hold_id, const std::string& copy_id, const std::string& copy_branch, const std::string& today);
  void release(int64_t hold_id, const std::string& status);
  void fill_queue(int64_t book_id, const std::string& today);

  machi::sdk::Database& db_;
  std::vector<Branch> branches_;
  Policy policy_;
  CirculationEvents events_;
};

}  // namespace library
