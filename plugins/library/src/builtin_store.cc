#include "builtin_store.h"

#include <machi/sdk/dates.h>
#include <machi/sdk/host.h>
#include <machi/sdk/text.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <map>
#include <set>

namespace library {

using machi::sdk::Database;
using machi::sdk::HttpError;
using machi::sdk::Statement;
using machi::sdk::Transaction;

namespace {

// PINs are short, so the real defence is the per-card attempt limit; the hash keeps them out of
// backups and logs. PBKDF2-HMAC-SHA256, 16-byte salt, 100,000 iterations.
constexpr int kPinIterations = 100'000;
constexpr size_t kSaltBytes = 16, kHashBytes = 32;

std::string pin_hash(std::string_view pin, std::string_view salt) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(pin.data(), static_cast<int>(pin.size()), reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), kPinIterations, EVP_sha256(), static_cast<int>(out.size()),
                        reinterpret_cast<unsigned char*>(out.data())) != 1) {
    throw std::runtime_error("PBKDF2 failed");
  }
  return out;
}

// A copy's state, derived in SQL from its shelf status, open loans and holds.
constexpr const char* kCopyState =
    "CASE WHEN c.shelf = 'withdrawn' THEN 'withdrawn' WHEN c.shelf = 'external_loan' OR EXISTS(SELECT 1 FROM loans l WHERE l.copy_id = c.copy_id AND "
    "l.returned_day IS NULL) THEN 'on_loan' "
    "WHEN EXISTS(SELECT 1 FROM holds h WHERE h.copy_id = c.copy_id AND h.status IN ('in_transit', 'ready')) "
    "THEN 'reserved' WHEN c.shelf = 'reference' THEN 'in_library_only' WHEN c.shelf = 'missing' THEN 'missing' "
    "ELSE 'available' END";

std::string card_digits_ok(const std::string& card) {
  if (card.empty() || card.size() > 32) return "a card number has 1–32 characters";
  for (char c : card) {
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-')) return "a card number is digits, A–Z and '-'";
  }
  return "";
}

}  // namespace

BuiltinStore::BuiltinStore(Database& db, std::vector<Branch> branches, Policy policy, CirculationEvents events)
    : db_(db), branches_(std::move(branches)), policy_(policy), events_(std::move(events)) {}

const Branch& BuiltinStore::branch_of(const std::string& id) const {
  for (const auto& b : branches_) {
    if (b.id == id) return b;
  }
  throw HttpError(400, "unknown_branch", "no branch '" + id + "'");
}

// ---- catalogue ------------------------------------------------------------------------------

std::vector<Availability> BuiltinStore::availability(int64_t book_id) {
  std::map<std::string, Availability> by_branch;
  Statement q = db_.prepare(std::string("SELECT c.branch, ") + kCopyState +
                            " FROM copies c WHERE c.book_id = ?1 AND c.shelf != 'withdrawn'");
  q.bind(1, book_id);
  while (q.step()) {
    Availability& a = by_branch[std::string(q.text(0))];
    std::string_view state = q.text(1);
    if (state == "available") ++a.available;
    else if (state == "on_loan") ++a.on_loan;
    else if (state == "reserved") ++a.reserved;
    else if (state == "in_library_only") ++a.in_library_only;
  }
  std::vector<Availability> out;
  for (const auto& b : branches_) {
    auto it = by_branch.find(b.id);
    if (it == by_branch.end()) continue;
    it->second.branch = b.id;
    out.push_back(it->second);
  }
  return out;
}

SearchPage BuiltinStore::search(const SearchQuery& query) {
  std::string where = "1";
  std::vector<std::string> params;
  if (query.isbn13) {
    where += " AND b.isbn13 = ?" + std::to_string(params.size() + 1);
    params.push_back(*query.isbn13);
  }
  for (const auto& w : query.words) {
    where += " AND b.id IN (SELECT rowid FROM books_fts WHERE folded LIKE ?" + std::to_string(params.size() + 1) +
             " ESCAPE '\\')";
    params.push_back(machi::sdk::like_contains(w));
  }
  if (!query.branch.empty()) {
    where += " AND EXISTS(SELECT 1 FROM copies c WHERE c.book_id = b.id AND c.branch = ?" +
             std::to_string(params.size() + 1) + " AND c.shelf != 'withdrawn')";
    params.push_back(query.branch);
  } else {
    where += " AND EXISTS(SELECT 1 FROM copies c WHERE c.book_id = b.id AND c.shelf != 'withdrawn')";
  }
  SearchPage page;
  Statement count = db_.prepare("SELECT count(*) FROM books b WHERE " + where);
  for (size_t i = 0; i < params.size(); ++i) count.bind(static_cast<int>(i + 1), params[i]);
  count.step();
  page.total = count.integer(0);
  Statement rows = db_.prepare(
      "SELECT b.id, b.isbn13, b.title, b.title_reading, b.author, b.publisher, b.year, "
      "(SELECT count(*) FROM holds h WHERE h.book_id = b.id AND h.status = 'waiting') FROM books b WHERE " +
      where + " ORDER BY b.title_reading, b.title, b.id LIMIT " + std::to_string(query.limit) + " OFFSET " +
      std::to_string(query.offset));
  for (size_t i = 0; i < params.size(); ++i) rows.bind(static_cast<int>(i + 1), params[i]);
  std::vector<std::pair<int64_t, BookSummary>> found;
  while (rows.step()) {
    BookSummary b{std::string(rows.text(1)), std::string(rows.text(2)), std::string(rows.text(3)),
                  std::string(rows.text(4)), std::string(rows.text(5)), rows.integer(6), {}, rows.integer(7)};
    found.emplace_back(rows.integer(0), std::move(b));
  }
  for (auto& [id, b] : found) {
    b.availability = availability(id);
    page.items.push_back(std::move(b));
  }
  return page;
}

std::optional<std::pair<BookSummary, std::vector<CopyInfo>>> BuiltinStore::book(const std::string& isbn13) {
  SearchQuery q;
  q.isbn13 = isbn13;
  q.limit = 1;
  SearchPage page = search(q);
  if (page.items.empty()) return std::nullopt;
  std::vector<CopyInfo> copies;
  Statement c = db_.prepare(std::string("SELECT c.copy_id, c.branch, ") + kCopyState +
                            ", COALESCE((SELECT l.due FROM loans l WHERE l.copy_id = c.copy_id AND l.returned_day IS NULL), '') "
                            "FROM copies c JOIN books b ON b.id = c.book_id WHERE b.isbn13 = ?1 AND c.shelf != 'withdrawn' "
                            "ORDER BY c.copy_id");
  c.bind(1, isbn13);
  while (c.step()) {
    copies.push_back({std::string(c.text(0)), std::string(c.text(1)), std::string(c.text(2)), std::string(c.text(3))});
  }
  return std::make_pair(std::move(page.items.front()), std::move(copies));
}

ImportReport BuiltinStore::import_holdings(const std::vector<Holding>& rows, const std::string& today) {
  ImportReport report;
  Transaction tx(db_);
  Statement upsert_book = db_.prepare(
      "INSERT INTO books(isbn13, title, title_reading, author, publisher, year) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT(isbn13) DO UPDATE SET title = ?2, title_reading = ?3, author = ?4, publisher = ?5, year = ?6 "
      "RETURNING id");
  Statement fts_delete = db_.prepare("DELETE FROM books_fts WHERE rowid = ?1");
  Statement fts_insert = db_.prepare("INSERT INTO books_fts(rowid, folded) VALUES (?1, ?2)");
  Statement upsert_copy = db_.prepare(
      "INSERT INTO copies(copy_id, book_id, branch, shelf) VALUES (?1, ?2, ?3, ?4) "
      "ON CONFLICT(copy_id) DO UPDATE SET book_id = ?2, branch = ?3, shelf = ?4");
  std::map<std::string, int64_t> book_ids;
  std::set<std::string> listed;
  for (const Holding& h : rows) {
    auto known = book_ids.find(h.isbn13);
    if (known == book_ids.end()) {
      upsert_book.reset();
      upsert_book.bind_all(h.isbn13, h.title, h.title_reading, h.author, h.publisher, static_cast<int64_t>(h.year));
      upsert_book.step();
      int64_t id = upsert_book.integer(0);
      while (upsert_book.step()) {
      }
      known = book_ids.emplace(h.isbn13, id).first;
      fts_delete.reset();
      fts_delete.bind(1, id);
      fts_delete.run();
      fts_insert.reset();
      fts_insert.bind_all(id, machi::sdk::fold(h.title + " " + h.title_reading + " " + h.author + " " + h.publisher));
      fts_insert.run();
      ++report.books;
    }
    // The file sets a copy's book, branch and shelf; a Machi loan of it stays open.
    upsert_copy.reset();
    upsert_copy.bind_all(h.copy_id, known->second, h.branch, std::string(shelf_name(h.shelf)));
    upsert_copy.run();
    listed.insert(h.copy_id);
    ++report.copies;
  }
  // Copies the file no longer lists are withdrawn; holds they served go back to waiting.
  std::vector<std::string> gone;
  Statement all = db_.prepare("SELECT copy_id FROM copies WHERE shelf != 'withdrawn'");
  while (all.step()) {
    if (!listed.contains(std::string(all.text(0)))) gone.emplace_back(all.text(0));
  }
  for (const auto& copy : gone) {
    Statement h = db_.prepare("SELECT id FROM holds WHERE copy_id = ?1 AND status IN ('in_transit', 'ready')");
    h.bind(1, copy);
    if (h.step()) {
      int64_t id = h.integer(0);
      db_.run("UPDATE holds SET status = 'waiting', copy_id = NULL, pickup_by = NULL WHERE id = ?1", id);
      if (events_.hold_closed) events_.hold_closed(id);
    }
    db_.run("UPDATE copies SET shelf = 'withdrawn' WHERE copy_id = ?1", copy);
    ++report.withdrawn;
  }
  // New copies on the shelf serve the readers already waiting.
  Statement waiting = db_.prepare("SELECT DISTINCT book_id FROM holds WHERE status = 'waiting'");
  std::vector<int64_t> queued;
  while (waiting.step()) queued.push_back(waiting.integer(0));
  for (int64_t book : queued) fill_queue(book, today);
  tx.commit();
  return report;
}

// ---- cards ----------------------------------------------------------------------------------

void BuiltinStore::register_card(const std::string& card, const std::string& pin, int64_t now_ms) {
  if (std::string problem = card_digits_ok(card); !problem.empty()) throw HttpError(400, "invalid_card", "/card: " + problem);
  if (pin.size() < 4 || pin.size() > 16 || pin.find_first_not_of("0123456789") != std::string::npos) {
    throw HttpError(400, "invalid_pin", "/pin: a PIN is 4–16 digits");
  }
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  std::string hash = pin_hash(pin, salt);
  Transaction tx(db_);
  Statement exists = db_.prepare("SELECT 1 FROM cards WHERE card = ?1");
  exists.bind(1, card);
  if (exists.step()) throw HttpError(409, "card_exists", "card " + card + " is already registered");
  Statement insert = db_.prepare("INSERT INTO cards(card, salt, hash, created_ms) VALUES (?1, ?2, ?3, ?4)");
  insert.bind(1, card).bind_blob(2, salt).bind_blob(3, hash).bind(4, now_ms);
  insert.run();
  tx.commit();
}

bool BuiltinStore::card_exists(const std::string& card) {
  Statement q = db_.prepare("SELECT 1 FROM cards WHERE card = ?1");
  q.bind(1, card);
  return q.step();
}

void BuiltinStore::verify_card(const std::string& card, const std::string& pin, int64_t now_ms) {
  static const std::string kDummySalt(kSaltBytes, 's');
  Statement q = db_.prepare("SELECT salt, hash, locked_until_ms FROM cards WHERE card = ?1");
  q.bind(1, card);
  const HttpError wrong(403, "wrong_card_or_pin", "the card number or the PIN is wrong");
  if (!q.step()) {
    pin_hash(pin, kDummySalt);  // the same work as a real check: timing does not tell which cards exist
    throw wrong;
  }
  std::string salt(q.blob(0)), hash(q.blob(1));
  int64_t locked_until = q.integer(2);
  if (locked_until > now_ms) {
    int64_t minutes = (locked_until - now_ms + 59'999) / 60'000;
    throw HttpError(429, "pin_locked", "too many wrong PINs for this card: try again in " + std::to_string(minutes) +
                                           " minute(s), or link it at a library counter");
  }
  std::string given = pin_hash(pin, salt);
  bool match = given.size() == hash.size() && CRYPTO_memcmp(given.data(), hash.data(), hash.size()) == 0;
  Transaction tx(db_);
  if (match) {
    db_.run("UPDATE cards SET failures = 0 WHERE card = ?1", card);
    tx.commit();
    return;
  }
  db_.run("UPDATE cards SET failures = failures + 1 WHERE card = ?1", card);
  db_.run("UPDATE cards SET failures = 0, locked_until_ms = ?2 WHERE card = ?1 AND failures >= ?3", card,
          now_ms + policy_.pin_lock_minutes * 60'000, policy_.pin_attempts);
  tx.commit();
  throw wrong;
}

// ---- circulation ----------------------------------------------------------------------------

std::vector<Loan> BuiltinStore::loan_rows(const std::string& where, const std::vector<std::string>& params) {
  Statement q = db_.prepare(
      "SELECT l.id, l.copy_id, b.isbn13, b.title, l.branch, l.card, l.out_day, l.due, l.renewals, "
      "COALESCE(l.returned_day, '') FROM loans l JOIN copies c ON c.copy_id = l.copy_id JOIN books b ON b.id = c.book_id "
      "WHERE " + where + " ORDER BY l.due, l.id");
  for (size_t i = 0; i < params.size(); ++i) q.bind(static_cast<int>(i + 1), params[i]);
  std::vector<Loan> out;
  while (q.step()) {
    out.push_back({q.integer(0), std::string(q.text(1)), std::string(q.text(2)), std::string(q.text(3)),
                   std::string(q.text(4)), std::string(q.text(5)), std::string(q.text(6)), std::string(q.text(7)),
                   q.integer(8), std::string(q.text(9))});
  }
  return out;
}

std::vector<Hold> BuiltinStore::hold_rows(const std::string& where, const std::string& param) {
  Statement q = db_.prepare(
      "SELECT h.id, b.isbn13, b.title, h.card, h.pickup, h.status, "
      "CASE WHEN h.status = 'waiting' THEN 1 + (SELECT count(*) FROM holds o WHERE o.book_id = h.book_id AND "
      "o.status = 'waiting' AND o.placed_seq < h.placed_seq) ELSE 0 END, COALESCE(h.copy_id, ''), "
      "COALESCE(h.pickup_by, '') FROM holds h JOIN books b ON b.id = h.book_id WHERE " + where + " ORDER BY h.id");
  q.bind(1, param);
  std::vector<Hold> out;
  while (q.step()) {
    out.push_back({q.integer(0), std::string(q.text(1)), std::string(q.text(2)), std::string(q.text(3)),
                   std::string(q.text(4)), std::string(q.text(5)), q.integer(6), std::string(q.text(7)),
                   std::string(q.text(8))});
  }
  return out;
}

Hold BuiltinStore::hold_by_id(int64_t id) {
  auto rows = hold_rows("h.id = ?1", std::to_string(id));
  if (rows.empty()) throw HttpError(404, "unknown_hold", "no hold " + std::to_string(id));
  return rows.front();
}

// Gives `copy_id` (now at `copy_branch`) to a hold: ready when it is already at the pickup branch.
void BuiltinStore::assign(int64_t hold_id, const std::string& copy_id, const std::string& copy_branch,
                          const std::string& today) {
  Statement pickup = db_.prepare("SELECT pickup FROM holds WHERE id = ?1");
  pickup.bind(1, hold_id);
  pickup.step();
  bool here = pickup.text(0) == copy_branch;
  db_.run("UPDATE holds SET status = ?2, copy_id = ?3, pickup_by = ?4 WHERE id = ?1", hold_id,
          std::string(here ? "ready" : "in_transit"), copy_id,
          here ? std::optional<std::string>(machi::sdk::add_days(today, static_cast<int>(policy_.pickup_days)))
               : std::nullopt);
  if (here && events_.hold_ready) events_.hold_ready(hold_by_id(hold_id));
}

// Ends a hold; its copy (if any) is free for the queue again.
void BuiltinStore::release(int64_t hold_id, const std::string& status) {
  Statement q = db_.prepare("SELECT status FROM holds WHERE id = ?1");
  q.bind(1, hold_id);
  bool had_copy = q.step() && (q.text(0) == "ready" || q.text(0) == "in_transit");
  db_.run("UPDATE holds SET status = ?2 WHERE id = ?1", hold_id, status);
  if (had_copy && events_.hold_closed) events_.hold_closed(hold_id);
}

// Pairs the book's copies on the shelf with its waiting holds, oldest hold first, preferring a
// copy at the hold's pickup branch.
void BuiltinStore::fill_queue(int64_t book_id, const std::string& today) {
  for (;;) {
    Statement next = db_.prepare(
        "SELECT id, pickup FROM holds WHERE book_id = ?1 AND status = 'waiting' ORDER BY placed_seq LIMIT 1");
    next.bind(1, book_id);
    if (!next.step()) return;
    int64_t hold = next.integer(0);
    std::string pickup(next.text(1));
    Statement copy = db_.prepare(std::string("SELECT c.copy_id, c.branch FROM copies c WHERE c.book_id = ?1 AND ") +
                                 kCopyState + " = 'available' ORDER BY c.branch != ?2, c.copy_id LIMIT 1");
    copy.bind_all(book_id, pickup);
    if (!copy.step()) return;
    assign(hold, std::string(copy.text(0)), std::string(copy.text(1)), today);
  }
}

Loan BuiltinStore::checkout(const std::string& copy_id, const std::string& card, const std::string& today) {
  int64_t loan_id = 0;
  {
    Transaction tx(db_);
    Statement c = db_.prepare(std::string("SELECT c.book_id, c.branch, c.shelf, ") + kCopyState +
                              " FROM copies c WHERE c.copy_id = ?1");
    c.bind(1, copy_id);
    if (!c.step()) throw HttpError(404, "unknown_copy", "no copy '" + copy_id + "' in the catalogue");
    int64_t book = c.integer(0);
    std::string branch(c.text(1)), shelf(c.text(2)), state(c.text(3));
    if (!card_exists(card)) throw HttpError(404, "unknown_card", "no library card '" + card + "'");
    if (shelf == "withdrawn") throw HttpError(409, "withdrawn", "copy " + copy_id + " was withdrawn from the catalogue");
    if (state == "on_loan") {
      Statement who = db_.prepare("SELECT card = ?2 FROM loans WHERE copy_id = ?1 AND returned_day IS NULL");
      who.bind_all(copy_id, card);
      bool same = who.step() && who.integer(0) == 1;
      throw HttpError(409, "on_loan", "copy " + copy_id + (same ? " is already on loan to this card" : " is on loan: check it in first"));
    }
    if (state == "in_library_only") throw HttpError(409, "in_library_only", "copy " + copy_id + " is for use in the library only");
    if (state == "missing") throw HttpError(409, "missing", "copy " + copy_id + " is marked missing: check it in first");
    if (state == "reserved") {
      Statement h = db_.prepare("SELECT id, card = ?2 FROM holds WHERE copy_id = ?1 AND status IN ('in_transit', 'ready')");
      h.bind_all(copy_id, card);
      h.step();
      if (h.integer(1) != 1) throw HttpError(409, "held_for_another", "copy " + copy_id + " is held for another reader");
    }
    Statement open = db_.prepare("SELECT count(*) FROM loans WHERE card = ?1 AND returned_day IS NULL");
    open.bind(1, card);
    open.step();
    if (open.integer(0) >= policy_.loan_limit) {
      throw HttpError(409, "loan_limit", "card " + card + " already has " + std::to_string(open.integer(0)) +
                                             " loans (the limit is " + std::to_string(policy_.loan_limit) + ")");
    }
    // The reader's own hold on this book, if any, is fulfilled by this loan.
    Statement mine = db_.prepare(
        "SELECT id FROM holds WHERE book_id = ?1 AND card = ?2 AND status IN ('waiting', 'in_transit', 'ready')");
    mine.bind_all(book, card);
    if (mine.step()) release(mine.integer(0), "fulfilled");
    db_.run("INSERT INTO loans(copy_id, card, branch, out_day, due) VALUES (?1, ?2, ?3, ?4, ?5)", copy_id, card, branch,
            today, machi::sdk::add_days(today, static_cast<int>(policy_.loan_days)));
    loan_id = db_.last_insert_rowid();
    tx.commit();
  }
  return loan_rows("l.id = ?1", {std::to_string(loan_id)}).front();
}

CheckinResult BuiltinStore::checkin(const std::string& copy_id, const std::string& branch, const std::string& today) {
  branch_of(branch);
  CheckinResult result;
  Transaction tx(db_);
  Statement c = db_.prepare("SELECT book_id, shelf FROM copies WHERE copy_id = ?1");
  c.bind(1, copy_id);
  if (!c.step()) throw HttpError(404, "unknown_copy", "no copy '" + copy_id + "' in the catalogue");
  int64_t book = c.integer(0);
  std::string shelf(c.text(1));
  auto open = loan_rows("l.copy_id = ?1 AND l.returned_day IS NULL", {copy_id});
  if (!open.empty()) {
    db_.run("UPDATE loans SET returned_day = ?2 WHERE id = ?1", open.front().id, today);
    result.returned = open.front();
    result.returned->returned_day = today;
  }
  if (shelf == "external_loan" || shelf == "missing") db_.run("UPDATE copies SET shelf = 'available' WHERE copy_id = ?1", copy_id);
  db_.run("UPDATE copies SET branch = ?2 WHERE copy_id = ?1", copy_id, branch);  // floating collection
  Statement assigned = db_.prepare("SELECT id, status, pickup FROM holds WHERE copy_id = ?1 AND status IN ('in_transit', 'ready')");
  assigned.bind(1, copy_id);
  if (assigned.step()) {
    int64_t hold = assigned.integer(0);
    std::string status(assigned.text(1)), pickup(assigned.text(2));
    if (status == "in_transit" && pickup == branch) assign(hold, copy_id, branch, today);
  } else if (shelf != "withdrawn") {
    fill_queue(book, today);
  }
  Statement now = db_.prepare("SELECT id FROM holds WHERE copy_id = ?1 AND status IN ('in_transit', 'ready')");
  now.bind(1, copy_id);
  if (now.step()) {
    result.hold = hold_by_id(now.integer(0));
    result.route = result.hold->status == "ready" ? "hold_shelf" : "transit";
    if (result.route == "transit") result.to_branch = result.hold->pickup_branch;
  } else {
    result.route = shelf == "withdrawn" ? "withdrawn" : "shelve";
  }
  tx.commit();
  return result;
}

Loan BuiltinStore::renew(int64_t loan_id, const std::string& card, const std::string& today) {
  {
    Transaction tx(db_);
    auto rows = loan_rows("l.id = ?1 AND l.returned_day IS NULL AND l.card = ?2", {std::to_string(loan_id), card});
    if (rows.empty()) throw HttpError(404, "unknown_loan", "no open loan " + std::to_string(loan_id) + " on your library card");
    const Loan& loan = rows.front();
    if (loan.renewals >= policy_.renewal_limit) {
      throw HttpError(409, "renewal_limit", "'" + loan.title + "' was already renewed " + std::to_string(loan.renewals) +
                                                " time(s), the limit");
    }
    if (loan.due < today) throw HttpError(409, "overdue", "'" + loan.title + "' is overdue: please return it");
    Statement waiting = db_.prepare(
        "SELECT count(*) FROM holds h JOIN copies c ON c.book_id = h.book_id WHERE c.copy_id = ?1 AND h.status = 'waiting'");
    waiting.bind(1, loan.copy_id);
    waiting.step();
    if (waiting.integer(0) > 0) {
      throw HttpError(409, "others_waiting", std::to_string(waiting.integer(0)) + " reader(s) are waiting for '" +
                                                 loan.title + "': it cannot be renewed");
    }
    std::string due = std::max(loan.due, machi::sdk::add_days(today, static_cast<int>(policy_.loan_days)));
    db_.run("UPDATE loans SET due = ?2, renewals = renewals + 1 WHERE id = ?1", loan_id, due);
    tx.commit();
  }
  return loan_rows("l.id = ?1", {std::to_string(loan_id)}).front();
}

std::vector<Loan> BuiltinStore::loans(const std::string& card) {
  return loan_rows("l.card = ?1 AND l.returned_day IS NULL", {card});
}

std::vector<Loan> BuiltinStore::loans_due_between(const std::string& from, const std::string& to) {
  return loan_rows("l.due BETWEEN ?1 AND ?2 AND l.returned_day IS NULL", {from, to});
}

std::vector<Loan> BuiltinStore::overdue(const std::string& branch, const std::string& today) {
  if (branch.empty()) return loan_rows("l.due < ?1 AND l.returned_day IS NULL", {today});
  branch_of(branch);
  return loan_rows("l.due < ?1 AND l.returned_day IS NULL AND l.branch = ?2", {today, branch});
}

Hold BuiltinStore::place_hold(const std::string& isbn13, const std::string& card, const std::string& pickup,
                              const std::string& today) {
  const Branch& b = branch_of(pickup);
  if (!b.pickup) throw HttpError(400, "not_a_pickup_branch", b.name + " does not hand out holds");
  int64_t hold_id = 0;
  {
    Transaction tx(db_);
    Statement book = db_.prepare("SELECT id, title FROM books WHERE isbn13 = ?1");
    book.bind(1, isbn13);
    if (!book.step()) throw HttpError(404, "unknown_isbn", "no book with ISBN " + isbn13 + " in the catalogue");
    int64_t book_id = book.integer(0);
    std::string title(book.text(1));
    Statement lendable = db_.prepare("SELECT count(*) FROM copies WHERE book_id = ?1 AND shelf IN ('available', 'external_loan')");
    lendable.bind(1, book_id);
    lendable.step();
    if (lendable.integer(0) == 0) throw HttpError(409, "not_lendable", "'" + title + "' has no copy that can be lent");
    Statement out = db_.prepare(
        "SELECT 1 FROM loans l JOIN copies c ON c.copy_id = l.copy_id WHERE c.book_id = ?1 AND l.card = ?2 AND l.returned_day IS NULL");
    out.bind_all(book_id, card);
    if (out.step()) throw HttpError(409, "already_on_loan", "you already have '" + title + "' on loan");
    Statement held = db_.prepare(
        "SELECT id FROM holds WHERE book_id = ?1 AND card = ?2 AND status IN ('waiting', 'in_transit', 'ready')");
    held.bind_all(book_id, card);
    if (held.step()) throw HttpError(409, "already_held", "you already hold '" + title + "' (hold " + std::to_string(held.integer(0)) + ")");
    Statement count = db_.prepare("SELECT count(*) FROM holds WHERE card = ?1 AND status IN ('waiting', 'in_transit', 'ready')");
    count.bind(1, card);
    count.step();
    if (count.integer(0) >= policy_.hold_limit) {
      throw HttpError(409, "hold_limit", "you already have " + std::to_string(count.integer(0)) + " holds (the limit is " +
                                             std::to_string(policy_.hold_limit) + ")");
    }
    db_.run("INSERT INTO holds(book_id, card, pickup, status, placed_seq) VALUES (?1, ?2, ?3, 'waiting', "
            "(SELECT COALESCE(max(placed_seq), 0) + 1 FROM holds))",
            book_id, card, pickup);
    hold_id = db_.last_insert_rowid();
    fill_queue(book_id, today);
    tx.commit();
  }
  return hold_by_id(hold_id);
}

void BuiltinStore::cancel_hold(int64_t hold_id, const std::string& card, const std::string& today) {
  Transaction tx(db_);
  Statement q = db_.prepare(
      "SELECT book_id FROM holds WHERE id = ?1 AND card = ?2 AND status IN ('waiting', 'in_transit', 'ready')");
  q.bind_all(hold_id, card);
  if (!q.step()) throw HttpError(404, "unknown_hold", "no open hold " + std::to_string(hold_id) + " on your library card");
  int64_t book = q.integer(0);
  release(hold_id, "cancelled");
  fill_queue(book, today);
  tx.commit();
}

bool BuiltinStore::expire_hold(int64_t hold_id, const std::string& today) {
  Transaction tx(db_);
  Statement q = db_.prepare("SELECT book_id FROM holds WHERE id = ?1 AND status = 'ready' AND pickup_by < ?2");
  q.bind_all(hold_id, today);
  if (!q.step()) return false;
  int64_t book = q.integer(0);
  release(hold_id, "expired");
  fill_queue(book, today);
  tx.commit();
  return true;
}

std::vector<Hold> BuiltinStore::holds(const std::string& card) {
  return hold_rows("h.card = ?1 AND h.status IN ('waiting', 'in_transit', 'ready')", card);
}

std::vector<Hold> BuiltinStore::hold_shelf(const std::string& branch) {
  branch_of(branch);
  return hold_rows("h.pickup = ?1 AND h.status IN ('in_transit', 'ready')", branch);
}

}  // namespace library
