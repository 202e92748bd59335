// The library system behind the mini-app: catalogue, patrons (library cards) and circulation.
// The plugin's routes speak only to this interface, so a city's existing integrated library
// system can become the source of truth through an adapter (for example over SIP2: patron
// status/verification ↔ verify_card, checkout/checkin/renew ↔ the SIP2 messages of those names,
// holds ↔ Hold) while the resident and staff screens stay the same. BuiltinStore (the default)
// keeps everything in the mini-app's own SQLite database.
//
// Errors the caller should see are thrown as machi::sdk::HttpError with a precise message;
// every mutating call is all-or-nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "holdings.h"

namespace library {

struct Policy {
  int64_t loan_days = 14;      // a loan's length, and what a renewal extends to from today
  int64_t loan_limit = 10;     // open loans per card
  int64_t hold_limit = 5;      // open holds per card
  int64_t renewal_limit = 1;   // renewals per loan
  int64_t pickup_days = 7;     // days a ready hold waits on the hold shelf
  int64_t pin_attempts = 5;    // wrong PINs before the card's PIN check locks
  int64_t pin_lock_minutes = 15;
};

// Copies of one book at one branch, by state.
struct Availability {
  std::string branch;
  int64_t available = 0, on_loan = 0, reserved = 0, in_library_only = 0;
};

struct BookSummary {
  std::string isbn13, title, title_reading, author, publisher;
  int64_t year = 0;
  std::vector<Availability> availability;  // branches holding copies, in the city's branch order
  int64_t holds_waiting = 0;
};

struct SearchQuery {
  std::vector<std::string> words;     // folded; every word must occur in title, reading, author or publisher
  std::optional<std::string> isbn13;  // instead of words
  std::string branch;                 // only books with a copy here ("" = any)
  int64_t limit = 20, offset = 0;
};

struct SearchPage {
  int64_t total = 0;
  std::vector<BookSummary> items;
};

struct CopyInfo {
  std::string copy_id, branch;
  std::string state;  // available, on_loan, reserved, in_library_only, missing
  std::string due;    // for on_loan copies lent through Machi
};

struct Loan {
  int64_t id = 0;
  std::string copy_id, isbn13, title, branch, card, out_day, due;
  int64_t renewals = 0;
  std::string returned_day;  // "" while out
};

struct Hold {
  int64_t id = 0;
  std::string isbn13, title, card, pickup_branch;
  std::string status;    // waiting, in_transit, ready, fulfilled, cancelled, expired
  int64_t position = 0;  // 1-based place in the queue while waiting
  std::string copy_id;   // assigned copy (in_transit, ready)
  std::string pickup_by; // last day on the hold shelf (ready)
};

struct CheckinResult {
  std::optional<Loan> returned;
  std::optional<Hold> hold;  // the hold this copy now serves
  std::string route;         // "shelve", "hold_shelf" (here) or "transit" (to `to_branch`)
  std::string to_branch;
};

struct ImportReport {
  int64_t books = 0, copies = 0, withdrawn = 0;
};

class LibrarySystem {
 public:
  virtual ~LibrarySystem() = default;

  // Catalogue.
  virtual SearchPage search(const SearchQuery& query) = 0;
  virtual std::optional<std::pair<BookSummary, std::vector<CopyInfo>>> book(const std::string& isbn13) = 0;
  // Replaces the holdings: books and copies upserted, copies missing from `rows` withdrawn
  // (loans of them stay returnable).
  virtual ImportReport import_holdings(const std::vector<Holding>& rows, const std::string& today) = 0;

  // Patrons. verify_card throws 403 for an unknown card or wrong PIN (one message for both) and
  // 429 while the card is locked after too many wrong PINs.
  virtual void register_card(const std::string& card, const std::string& pin, int64_t now_ms) = 0;
  virtual bool card_exists(const std::string& card) = 0;
  virtual void verify_card(const std::string& card, const std::string& pin, int64_t now_ms) = 0;

  // Circulation. `today` is the municipality's local date (YYYY-MM-DD).
  virtual Loan checkout(const std::string& copy_id, const std::string& card, const std::string& today) = 0;
  virtual CheckinResult checkin(const std::string& copy_id, const std::string& branch, const std::string& today) = 0;
  virtual Loan renew(int64_t loan_id, const std::string& card, const std::string& today) = 0;
  virtual std::vector<Loan> loans(const std::string& card) = 0;
  virtual std::vector<Loan> loans_due_between(const std::string& from, const std::string& to) = 0;
  virtual std::vector<Loan> overdue(const std::string& branch, const std::string& today) = 0;
  virtual Hold place_hold(const std::string& isbn13, const std::string& card, const std::string& pickup,
                          const std::string& today) = 0;
  virtual void cancel_hold(int64_t hold_id, const std::string& card, const std::string& today) = 0;
  // A ready hold not collected by its pickup_by day: expired, its copy passes down the queue.
  virtual bool expire_hold(int64_t hold_id, const std::string& today) = 0;
  virtual std::vector<Hold> holds(const std::string& card) = 0;
  virtual std::vector<Hold> hold_shelf(const std::string& branch) = 0;
};

// What circulation tells the mini-app, inside the same transaction as the change.
struct CirculationEvents {
  std::function<void(const Hold&)> hold_ready;      // notify the reader; pickup_by is set
  std::function<void(int64_t hold_id)> hold_closed; // a ready/in-transit hold ended
};

}  // namespace library
