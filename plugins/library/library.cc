// Library (図書館): catalogue search with availability per branch, library cards linked to the
// resident (PIN or citizen card at the counter), loans with renewals, holds with queue position
// and pickup branch, pickup and due-date notifications, a home info card, and the library staff's
// desk (check out, check in, hold shelf, overdue list, catalogue import). Circulation goes
// through the LibrarySystem interface (src/library_system.h); the built-in store is the default.
// Routes and config keys: README.md next to this file.
#include <machi/sdk/assets.h>
#include <machi/sdk/sdk.h>
#include <machi/sdk/text.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <memory>
#include <mutex>

#include "builtin_store.h"
#include "holdings.h"
#include "isbn.h"

using namespace machi::sdk;
namespace json = boost::json;
using library::Branch;
using library::Hold;
using library::Loan;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Settings {
  std::vector<Branch> branches;
  library::Policy policy;
  int64_t due_reminder_days = 2;
  std::string reminder_time = "09:00";
  std::vector<std::string> staff_roles{"library"};
  std::string catalogue_file = "holdings.csv";
};

Settings read_settings(const json::value& config, std::vector<ConfigProblem>& problems) {
  Settings s;
  ConfigReader r(config, problems);
  std::string backend = r.string("backend", "builtin");
  if (backend != "builtin") r.problem("backend", "only \"builtin\" is available (a SIP2 adapter is planned)");
  const json::array* branches = r.array("branches", true);
  if (branches && branches->empty()) r.problem("branches", "must list at least one branch");
  for (size_t i = 0; branches && i < branches->size(); ++i) {
    ConfigReader b((*branches)[i], problems, r.child("branches") + "/" + std::to_string(i));
    Branch branch;
    branch.id = b.string("id", "", true);
    branch.name = b.string("name", "", true);
    branch.pickup = b.boolean("pickup", true);
    if (!branch.id.empty() && !is_config_id(branch.id)) b.problem("id", "must be 1–32 of [a-z0-9_-]");
    for (const auto& other : s.branches) {
      if (!branch.id.empty() && other.id == branch.id) b.problem("id", "'" + branch.id + "' is used twice");
    }
    s.branches.push_back(std::move(branch));
  }
  library::Policy& p = s.policy;
  p.loan_days = r.integer("loan_days", p.loan_days, 1, 365);
  p.loan_limit = r.integer("loan_limit", p.loan_limit, 1, 1000);
  p.hold_limit = r.integer("hold_limit", p.hold_limit, 0, 1000);
  p.renewal_limit = r.integer("renewal_limit", p.renewal_limit, 0, 20);
  p.pickup_days = r.integer("pickup_days", p.pickup_days, 1, 60);
  p.pin_attempts = r.integer("pin_attempts", p.pin_attempts, 1, 100);
  p.pin_lock_minutes = r.integer("pin_lock_minutes", p.pin_lock_minutes, 1, 1440);
  s.due_reminder_days = r.integer("due_reminder_days", s.due_reminder_days, 0, 30);
  s.reminder_time = r.string("reminder_time", s.reminder_time);
  if (!is_time_of_day(s.reminder_time)) r.problem("reminder_time", "must be HH:MM (local time)");
  if (r.has("staff_roles")) s.staff_roles = r.strings("staff_roles", false, 1);
  s.catalogue_file = r.string("catalogue_file", s.catalogue_file);
  return s;
}

// FNV-1a: tells whether the data_dir's holdings file changed since the last import.
std::string digest(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return std::to_string(h) + ":" + std::to_string(bytes.size());
}

std::string mask_card(const std::string& card) {
  return card.size() <= 4 ? card : std::string(card.size() - 4, '*') + card.substr(card.size() - 4);
}

std::string required(const json::object& body, const char* key, const char* what) {
  const json::value* v = body.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty()) {
    throw HttpError(400, "invalid_body", std::string("/") + key + ": required, " + what);
  }
  if (v->as_string().size() > 4096) throw HttpError(400, "invalid_body", std::string("/") + key + ": too long");
  return std::string(v->as_string());
}

std::optional<std::string> optional_field(const json::object& body, const char* key) {
  const json::value* v = body.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string() || v->as_string().empty() || v->as_string().size() > 4096) {
    throw HttpError(400, "invalid_body", std::string("/") + key + ": must be a non-empty string");
  }
  return std::string(v->as_string());
}

std::string isbn_or_400(std::string_view text) {
  std::string error;
  auto isbn = library::to_isbn13(text, error);
  if (!isbn) throw HttpError(400, "invalid_isbn", error);
  return *isbn;
}

}  // namespace

class Library : public Plugin {
 public:
  explicit Library(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    settings_ = read_settings(ctx.config(), ignored);
    ctx.db().migrate({
        library::BuiltinStore::kSchema,
        "CREATE TABLE links(subject TEXT PRIMARY KEY, card TEXT NOT NULL UNIQUE, method TEXT NOT NULL,"
        " linked_ms INTEGER NOT NULL);"
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    });
    library::CirculationEvents events;
    events.hold_ready = [this](const Hold& h) { hold_ready(h); };
    events.hold_closed = [this](int64_t id) { context().cancel("pickup:" + std::to_string(id)); };
    system_ = std::make_unique<library::BuiltinStore>(ctx.db(), settings_.branches, settings_.policy, std::move(events));
    import_data_dir();
    schedule_sweep(now_ms());
  }

  static std::vector<ConfigProblem> validate_config(const json::value& config) {
    std::vector<ConfigProblem> problems;
    read_settings(config, problems);
    return problems;
  }

  std::optional<std::string> health() {
    std::lock_guard lock(mutex_);
    if (!data_problem_.empty()) return data_problem_;
    return std::nullopt;
  }

  void handle(const Request& request, Response& response) override {
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path.starts_with("/staff/")) return staff(request, response);
    if (path == "/me" || path.starts_with("/me/")) return me(request, response);
    if (method != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (serve_asset(request, response)) return;  // the screens (ui/)
    if (path == "/") return overview(response);
    if (path == "/search") return search(request, response);
    if (path.starts_with("/books/")) return book(response, path.substr(7));
    throw HttpError(404, "not_found", "no such page");
  }

  std::optional<json::object> info_card(const Claims& claims, std::string_view locale) {
    auto subject = claims.subject();
    if (!subject) return std::nullopt;
    auto card = card_of(*subject);
    if (!card) return std::nullopt;
    bool en = locale.starts_with("en");
    std::string today = context().local_date(now_ms());
    int64_t ready = 0;
    for (const auto& h : system_->holds(*card)) ready += h.status == "ready";
    auto loans = system_->loans(*card);
    std::vector<std::string> lines;
    if (ready > 0) {
      lines.push_back(en ? std::to_string(ready) + (ready == 1 ? " hold" : " holds") + " ready for pickup"
                         : "予約の本が" + std::to_string(ready) + "冊 受け取れます");
    }
    int64_t overdue = std::count_if(loans.begin(), loans.end(), [&](const Loan& l) { return l.due < today; });
    if (overdue > 0) {
      lines.push_back(en ? std::to_string(overdue) + (overdue == 1 ? " book" : " books") + " overdue"
                         : std::to_string(overdue) + "冊 返却期限を過ぎています");
    }
    // The next due date within a week, with how many books are due that day.
    std::string next;
    for (const auto& l : loans) {
      if (l.due >= today && l.due <= add_days(today, 7) && (next.empty() || l.due < next)) next = l.due;
    }
    if (!next.empty()) {
      int64_t n = std::count_if(loans.begin(), loans.end(), [&](const Loan& l) { return l.due == next; });
      lines.push_back(en ? std::to_string(n) + (n == 1 ? " book" : " books") + " due " + day_label(next, true)
                         : std::to_string(n) + "冊 " + day_label(next, false) + "まで");
    }
    if (lines.empty()) return std::nullopt;
    std::string body;
    for (const auto& line : lines) body += (body.empty() ? "" : en ? "; " : "、") + line;
    return json::object{{"title", en ? "Library" : "図書館"}, {"body", body}, {"link", "/me"}};
  }

  json::value export_subject(std::string_view subject) {
    auto card = card_of(subject);
    if (!card) return json::object{{"card", nullptr}};
    json::array loans, holds;
    std::string t = today();
    for (const auto& l : system_->loans(*card)) loans.push_back(loan_json(l, t));
    for (const auto& h : system_->holds(*card)) holds.push_back(hold_json(h));
    Statement q = context().db().prepare("SELECT method, linked_ms FROM links WHERE subject = ?1");
    q.bind(1, subject);
    q.step();
    return json::object{{"card", *card}, {"linked_by", q.text(0)}, {"linked_unix_ms", q.integer(1)},
                        {"loans", loans}, {"holds", holds}};
  }

  // The link is the resident's data here; loans and holds stay the library's records of the card.
  void erase_subject(std::string_view subject) { context().db().run("DELETE FROM links WHERE subject = ?1", subject); }

  void on_event(const Event& e) {
    std::string today = context().local_date(std::max(now_ms(), e.due_unix_ms));
    if (e.key == "due-sweep") {
      remind_due(today);
      schedule_sweep(std::max(now_ms(), e.due_unix_ms) + 1);
    } else if (e.key.starts_with("pickup:")) {
      system_->expire_hold(path_number(e.key.substr(7), "unknown_hold", "a hold id"), today);
    }
  }

 private:
  // ---- data, events ---------------------------------------------------------------------------

  // Imports the data_dir's holdings file when it changed since the last import. A bad file keeps
  // the catalogue as it was, and health says why.
  void import_data_dir() {
    std::optional<std::string> bytes;
    try {
      bytes = context().read_data_file(settings_.catalogue_file);
    } catch (const HostError& e) {
      if (e.status() == MACHI_ERR_UNIMPLEMENTED) return;  // no data_dir for this mount
      throw;
    }
    if (!bytes) return;
    std::string d = digest(*bytes);
    Statement seen = context().db().prepare("SELECT value FROM meta WHERE key = 'data_dir_digest'");
    if (seen.step() && seen.text(0) == d) return;
    auto file = library::parse_holdings(*bytes, settings_.catalogue_file, settings_.branches);
    if (!file.problems.empty()) {
      std::string message = "the data_dir's " + settings_.catalogue_file + " was not imported: " + file.problems.front() +
                            (file.problems.size() > 1 ? " (and " + std::to_string(file.problems.size() - 1) + " more)" : "");
      context().log(LogLevel::kError, message);
      std::lock_guard lock(mutex_);
      data_problem_ = message;
      return;
    }
    system_->import_holdings(file.rows, context().local_date(now_ms()));
    context().db().run("INSERT INTO meta(key, value) VALUES ('data_dir_digest', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1", d);
    record_import("data_dir");
  }

  void record_import(const std::string& origin) {
    context().db().run(
        "INSERT INTO meta(key, value) VALUES ('imported', ?1) ON CONFLICT(key) DO UPDATE SET value = ?1",
        json::serialize(json::object{{"origin", origin}, {"at_unix_ms", now_ms()}}));
  }

  // The daily due-date sweep at reminder_time, the first one after `after`.
  void schedule_sweep(int64_t after) {
    std::string day = context().local_date(after);
    for (int i = 0; i < 3; ++i, day = add_days(day, 1)) {
      int64_t at = context().local_time_to_unix(day + "T" + settings_.reminder_time);
      if (at >= after) return context().schedule("due-sweep", at);
    }
  }

  // Loans due within due_reminder_days hear it once per due date (the key is the loan and its
  // due date: a renewal brings a new reminder; a late sweep still reminds).
  void remind_due(const std::string& today) {
    for (const auto& l : system_->loans_due_between(today, add_days(today, static_cast<int>(settings_.due_reminder_days)))) {
      auto subject = subject_of(l.card);
      if (!subject) continue;
      json::object n{{"key", "due:" + std::to_string(l.id) + ":" + l.due},
                     {"category", "due"},
                     {"title", "返却期限が近づいています: " + l.title},
                     {"body", day_label(l.due, false) + "までに返却または延長してください。"},
                     {"link", "/me"}};
      context().notify(*subject, n);
    }
  }

  // In the transaction that made the hold ready: tell the reader, schedule the pickup expiry.
  void hold_ready(const Hold& h) {
    context().schedule("pickup:" + std::to_string(h.id),
                       context().local_time_to_unix(add_days(h.pickup_by, 1) + "T00:00"));
    auto subject = subject_of(h.card);
    if (!subject) return;
    json::object n{{"key", "ready:" + std::to_string(h.id)},
                   {"category", "holds"},
                   {"title", "予約の本が用意できました: " + h.title},
                   {"body", branch_name(h.pickup_branch) + "で" + day_label(h.pickup_by, false) + "までにお受け取りください。"},
                   {"link", "/me"}};
    context().notify(*subject, n);
  }

  // ---- lookups ----------------------------------------------------------------------------------

  std::optional<std::string> card_of(std::string_view subject) {
    Statement q = context().db().prepare("SELECT card FROM links WHERE subject = ?1");
    q.bind(1, subject);
    if (!q.step()) return std::nullopt;
    return std::string(q.text(0));
  }
  std::optional<std::string> subject_of(const std::string& card) {
    Statement q = context().db().prepare("SELECT subject FROM links WHERE card = ?1");
    q.bind(1, card);
    if (!q.step()) return std::nullopt;
    return std::string(q.text(0));
  }
  std::string branch_name(const std::string& id) const {
    for (const auto& b : settings_.branches) {
      if (b.id == id) return b.name;
    }
    return id;
  }

  std::string today() { return context().local_date(now_ms()); }

  // ---- JSON ---------------------------------------------------------------------------------------

  json::object book_json(const library::BookSummary& b) {
    json::array availability;
    for (const auto& a : b.availability) {
      availability.push_back({{"branch", a.branch}, {"branch_name", branch_name(a.branch)}, {"available", a.available},
                              {"on_loan", a.on_loan}, {"reserved", a.reserved}, {"in_library_only", a.in_library_only}});
    }
    std::string isbn10 = library::isbn10_of(b.isbn13);
    return {{"isbn", b.isbn13}, {"isbn10", isbn10.empty() ? json::value(nullptr) : json::value(isbn10)},
            {"title", b.title}, {"title_reading", b.title_reading}, {"author", b.author}, {"publisher", b.publisher},
            {"year", b.year ? json::value(b.year) : json::value(nullptr)}, {"availability", availability},
            {"holds_waiting", b.holds_waiting}};
  }

  json::object loan_json(const Loan& l, const std::string& t) {
    return {{"id", l.id}, {"copy", l.copy_id}, {"isbn", l.isbn13}, {"title", l.title}, {"branch", l.branch},
            {"branch_name", branch_name(l.branch)}, {"out", l.out_day}, {"due", l.due}, {"renewals", l.renewals},
            {"renewals_left", std::max<int64_t>(0, settings_.policy.renewal_limit - l.renewals)},
            {"overdue", l.returned_day.empty() && l.due < t}};
  }

  json::object hold_json(const Hold& h) {
    return {{"id", h.id}, {"isbn", h.isbn13}, {"title", h.title}, {"pickup_branch", h.pickup_branch},
            {"pickup_branch_name", branch_name(h.pickup_branch)}, {"status", h.status},
            {"position", h.status == "waiting" ? json::value(h.position) : json::value(nullptr)},
            {"pickup_by", h.pickup_by.empty() ? json::value(nullptr) : json::value(h.pickup_by)}};
  }

  // ---- public routes ------------------------------------------------------------------------------

  void overview(Response& response) {
    json::array branches;
    for (const auto& b : settings_.branches) branches.push_back({{"id", b.id}, {"name", b.name}, {"pickup", b.pickup}});
    const library::Policy& p = settings_.policy;
    Statement counts = context().db().prepare(
        "SELECT (SELECT count(*) FROM books b WHERE EXISTS(SELECT 1 FROM copies c WHERE c.book_id = b.id AND "
        "c.shelf != 'withdrawn')), (SELECT count(*) FROM copies WHERE shelf != 'withdrawn')");
    counts.step();
    response.json(json::object{
        {"branches", branches},
        {"books", counts.integer(0)},
        {"copies", counts.integer(1)},
        {"policy", {{"loan_days", p.loan_days}, {"loan_limit", p.loan_limit}, {"hold_limit", p.hold_limit},
                    {"renewal_limit", p.renewal_limit}, {"pickup_days", p.pickup_days}}}});
  }

  void search(const Request& request, Response& response) {
    library::SearchQuery query;
    std::string q = request.query_param("q").value_or("");
    if (q.size() > 200) throw HttpError(400, "query_too_long", "?q= is at most 200 bytes");
    try {
      if (auto l = request.query_param("limit")) query.limit = std::clamp<int64_t>(std::stoll(*l), 1, 100);
      if (auto o = request.query_param("offset")) query.offset = std::clamp<int64_t>(std::stoll(*o), 0, 1'000'000);
    } catch (const std::exception&) {
      throw HttpError(400, "invalid_paging", "?limit= and ?offset= are numbers");
    }
    if (auto branch = request.query_param("branch"); branch && !branch->empty()) {
      if (std::none_of(settings_.branches.begin(), settings_.branches.end(), [&](const Branch& b) { return b.id == *branch; })) {
        throw HttpError(400, "unknown_branch", "?branch=: no branch '" + *branch + "'");
      }
      query.branch = *branch;
    }
    if (auto isbn = request.query_param("isbn"); isbn && !isbn->empty()) {
      query.isbn13 = isbn_or_400(*isbn);
    } else if (library::looks_like_isbn(q)) {
      query.isbn13 = isbn_or_400(q);  // an ISBN typed into the search box: checked, not searched as text
    } else {
      query.words = search_words(q);
      if (query.words.empty()) throw HttpError(400, "query_required", "?q= (title, author or publisher) or ?isbn= is required");
      if (query.words.size() > 8) throw HttpError(400, "query_too_long", "at most 8 words");
    }
    auto page = system_->search(query);
    json::array items;
    for (const auto& b : page.items) items.push_back(book_json(b));
    response.json(json::object{{"q", q}, {"total", page.total}, {"offset", query.offset}, {"limit", query.limit},
                               {"items", items}});
  }

  void book(Response& response, std::string_view isbn_text) {
    std::string isbn = isbn_or_400(isbn_text);
    auto found = system_->book(isbn);
    if (!found) throw HttpError(404, "unknown_isbn", "no book with ISBN " + isbn + " in the catalogue");
    json::object out = book_json(found->first);
    json::array copies;
    for (const auto& c : found->second) {
      copies.push_back({{"copy", c.copy_id}, {"branch", c.branch}, {"branch_name", branch_name(c.branch)},
                        {"state", c.state}, {"due", c.due.empty() ? json::value(nullptr) : json::value(c.due)}});
    }
    out["copies"] = copies;
    response.json(out);
  }

  // ---- resident routes ------------------------------------------------------------------------------

  void me(const Request& request, Response& response) {
    auto subject_view = request.claims().subject();
    if (!subject_view) throw HttpError(401, "sign_in_required", "sign in to use your library card");
    std::string subject(*subject_view);
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path == "/me/card" && method == "POST") return link_with_pin(subject, request, response);
    if (path == "/me/card" && method == "DELETE") {
      if (context().db().run("DELETE FROM links WHERE subject = ?1", subject) == 0) {
        throw HttpError(404, "no_card", "no library card is linked to you");
      }
      return void(response.status(204));
    }
    auto card = card_of(subject);
    if (path == "/me" && method == "GET") {
      json::array loans, holds;
      if (card) {
        std::string t = today();
        for (const auto& l : system_->loans(*card)) loans.push_back(loan_json(l, t));
        for (const auto& h : system_->holds(*card)) holds.push_back(hold_json(h));
      }
      return void(response.json(json::object{{"card", card ? json::value(mask_card(*card)) : json::value(nullptr)},
                                             {"loans", loans}, {"holds", holds}}));
    }
    if (!card) throw HttpError(409, "no_card", "link your library card first (POST /me/card, or at a library counter)");
    if (path == "/me/holds" && method == "POST") {
      json::object body = request.json_object();
      std::string isbn = isbn_or_400(required(body, "isbn", "the book's ISBN"));
      std::string branch = required(body, "branch", "the pickup branch's id");
      return void(response.json(hold_json(system_->place_hold(isbn, *card, branch, today())), 201));
    }
    if (path.starts_with("/me/holds/") && method == "DELETE") {
      system_->cancel_hold(path_number(path.substr(10), "unknown_hold", "a hold id"), *card, today());
      return void(response.status(204));
    }
    if (path.starts_with("/me/loans/") && path.ends_with("/renew") && method == "POST") {
      std::string_view id = path.substr(10, path.size() - 10 - 6);
      std::string t = today();
      return void(response.json(loan_json(system_->renew(path_number(id, "unknown_loan", "a loan id"), *card, t), t)));
    }
    throw HttpError(404, "not_found", "no such page");
  }

  // Links `card` to `subject` (one card per resident, one resident per card), in one transaction.
  void link(const std::string& subject, const std::string& card, const char* method) {
    Transaction tx(context().db());
    if (auto mine = card_of(subject)) {
      if (*mine == card) return;  // already linked: nothing to do
      throw HttpError(409, "card_already_linked", "card " + mask_card(*mine) + " is linked to you: unlink it first");
    }
    if (subject_of(card)) throw HttpError(409, "card_in_use", "card " + mask_card(card) + " is linked to another resident");
    context().db().run("INSERT INTO links(subject, card, method, linked_ms) VALUES (?1, ?2, ?3, ?4)", subject, card,
                       std::string(method), now_ms());
    tx.commit();
  }

  void link_with_pin(const std::string& subject, const Request& request, Response& response) {
    json::object body = request.json_object();
    std::string card = required(body, "card", "the library card number");
    std::string pin = required(body, "pin", "the card's PIN");
    system_->verify_card(card, pin, now_ms());
    link(subject, card, "pin");
    response.json(json::object{{"card", mask_card(card)}}, 201);
  }

  // ---- staff ----------------------------------------------------------------------------------------

  // The card for a checkout: a library card number, or the resident's citizen card (resolved
  // through the host to their subject here, then to the card they linked).
  std::string card_from(const Request& request, const json::object& body) {
    auto card = optional_field(body, "card");
    auto citizen = optional_field(body, "citizen_card");
    if (card && citizen) throw HttpError(400, "invalid_body", "give /card or /citizen_card, not both");
    if (card) return *card;
    if (!citizen) throw HttpError(400, "invalid_body", "/card or /citizen_card: required, the borrower");
    std::string subject = request.resolve_card(*citizen);
    auto linked = card_of(subject);
    if (!linked) throw HttpError(409, "no_card", "this resident has no library card linked: issue or link one first");
    return *linked;
  }

  void staff(const Request& request, Response& response) {
    request.require_any_role(settings_.staff_roles);
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (method == "GET") {
      std::string branch = request.query_param("branch").value_or("");
      if (path == "/staff/overdue") {
        std::string t = today();
        json::array loans;
        for (const auto& l : system_->overdue(branch, t)) {
          json::object o = loan_json(l, t);
          o["card"] = l.card;
          o["days_overdue"] = static_cast<int64_t>((*parse_date(t) - *parse_date(l.due)).count());
          loans.push_back(std::move(o));
        }
        return void(response.json(json::object{{"today", t}, {"loans", loans}}));
      }
      if (path == "/staff/holds") {
        if (branch.empty()) throw HttpError(400, "branch_required", "?branch= is required (the hold shelf's branch)");
        json::array holds;
        for (const auto& h : system_->hold_shelf(branch)) {
          json::object o = hold_json(h);
          o["card"] = h.card;
          o["copy"] = h.copy_id;
          holds.push_back(std::move(o));
        }
        return void(response.json(json::object{{"branch", branch}, {"holds", holds}}));
      }
      if (path == "/staff/catalogue") {
        Statement q = context().db().prepare("SELECT value FROM meta WHERE key = 'imported'");
        json::value imported = q.step() ? json::parse(q.text(0)) : json::value(nullptr);
        return void(response.json(json::object{{"imported", imported}, {"problem", data_problem_or_null()}}));
      }
      throw HttpError(404, "not_found", "no such staff page");
    }
    if (path == "/staff/catalogue" && method == "PUT") return import_upload(request, response);
    if (method != "POST") throw HttpError(405, "method_not_allowed", "POST only");
    if (path == "/staff/cards") {
      json::object body = request.json_object();
      std::string card = required(body, "card", "the new card's number");
      system_->register_card(card, required(body, "pin", "the card's PIN (4–16 digits)"), now_ms());
      return void(response.json(json::object{{"card", card}}, 201));
    }
    if (path.starts_with("/staff/cards/") && path.ends_with("/link")) {
      std::string card(path.substr(13, path.size() - 13 - 5));
      if (!system_->card_exists(card)) throw HttpError(404, "unknown_card", "no library card '" + card + "'");
      json::object body = request.json_object();
      std::string subject = request.resolve_card(required(body, "citizen_card", "the resident's citizen card token"));
      link(subject, card, "counter");
      return void(response.json(json::object{{"card", card}, {"linked", true}}));
    }
    if (path == "/staff/checkout") {
      json::object body = request.json_object();
      std::string copy = required(body, "copy", "the copy id");
      std::string card = card_from(request, body);
      std::string t = today();
      json::object loan = loan_json(system_->checkout(copy, card, t), t);
      loan["card"] = card;
      return void(response.json(loan, 201));
    }
    if (path == "/staff/checkin") {
      json::object body = request.json_object();
      std::string t = today();
      auto result = system_->checkin(required(body, "copy", "the copy id"), required(body, "branch", "the branch id"), t);
      json::object out{{"route", result.route},
                       {"returned", result.returned ? json::value(loan_json(*result.returned, t)) : json::value(nullptr)},
                       {"hold", result.hold ? json::value(hold_json(*result.hold)) : json::value(nullptr)}};
      if (!result.to_branch.empty()) out["to_branch"] = result.to_branch;
      return void(response.json(out));
    }
    throw HttpError(404, "not_found", "no such staff page");
  }

  json::value data_problem_or_null() {
    std::lock_guard lock(mutex_);
    return data_problem_.empty() ? json::value(nullptr) : json::value(data_problem_);
  }

  // PUT /staff/catalogue (the holdings CSV as the body): checked as a whole; 422 with every
  // problem and nothing changed, or imported in one transaction.
  void import_upload(const Request& request, Response& response) {
    auto file = library::parse_holdings(request.body(), "upload", settings_.branches);
    if (!file.problems.empty()) {
      json::array problems;
      for (const auto& p : file.problems) problems.push_back(json::value(p));
      json::object body{{"error", {{"code", "invalid_holdings"},
                                   {"message", "the holdings were not imported; the catalogue is unchanged: " +
                                                   file.problems.front()},
                                   {"problems", problems}}}};
      return void(response.json(body, 422));
    }
    auto report = system_->import_holdings(file.rows, today());
    record_import("upload");
    {
      std::lock_guard lock(mutex_);
      data_problem_.clear();
    }
    response.json(json::object{{"books", report.books}, {"copies", report.copies}, {"withdrawn", report.withdrawn}});
  }

  Settings settings_;
  std::unique_ptr<library::LibrarySystem> system_;
  std::mutex mutex_;
  std::string data_problem_;
};

MACHI_PLUGIN(Library, "library", "1.0.0",
             "Library: catalogue search, library cards, loans, holds, renewals, pickup and due reminders", kBlocking)
