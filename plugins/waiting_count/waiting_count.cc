// Counter waiting count (窓口待ち人数): tickets for city-hall counters — issued at the kiosk by
// staff or remotely by residents — called, served, marked absent or transferred by counter staff;
// every change pushes the counter's waiting count and estimated wait to the live channels
// (`counter.{id}`, `office.{id}`) that the app and the hall display subscribe to; a resident with
// a ticket is notified once when few people are ahead; statistics per hour and counter as JSON
// or CSV. Routes and config keys: README.md next to this file.
#include <date/date.h>
#include <machi/sdk/assets.h>
#include <machi/sdk/sdk.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <tuple>

using namespace machi::sdk;
namespace json = boost::json;

namespace {

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Counter {
  std::string id, name, office;
  std::vector<std::string> services;
  bool remote = false;   // residents may take a ticket from the app
  int64_t daily_limit = 1;  // remote tickets per resident per day at this counter
  int64_t desks = 1;     // staff serving in parallel (for the wait estimate)
};

struct Office {
  std::string id, name;
  std::vector<std::string> counters;
};

struct Settings {
  std::vector<Office> offices;
  std::map<std::string, Counter> counters;
  std::string reset_time = "03:00";
  int64_t notify_ahead = 3;
  int64_t service_minutes = 5;
  std::vector<std::string> staff_roles{"counter", "operator"};
};

Settings read_settings(const json::value& config, std::vector<ConfigProblem>& problems) {
  Settings s;
  ConfigReader r(config, problems);
  s.reset_time = r.string("reset_time", s.reset_time);
  if (!is_time_of_day(s.reset_time)) r.problem("reset_time", "must be HH:MM (local time)");
  s.notify_ahead = r.integer("notify_ahead", s.notify_ahead, 0, 100);
  s.service_minutes = r.integer("service_minutes", s.service_minutes, 1, 240);
  if (r.has("staff_roles")) s.staff_roles = r.strings("staff_roles", false, 1);
  const json::array* offices = r.array("offices", true);
  if (offices && offices->empty()) r.problem("offices", "must list at least one office");
  for (size_t i = 0; offices && i < offices->size(); ++i) {
    std::string at = r.child("offices") + "/" + std::to_string(i);
    ConfigReader o((*offices)[i], problems, at);
    Office office;
    office.id = o.string("id", "", true);
    office.name = o.string("name", "", true);
    if (!office.id.empty() && !is_config_id(office.id)) o.problem("id", "must be 1–32 of [a-z0-9_-]");
    const json::array* counters = o.array("counters", true);
    if (counters && counters->empty()) o.problem("counters", "must list at least one counter");
    for (size_t k = 0; counters && k < counters->size(); ++k) {
      ConfigReader c((*counters)[k], problems, o.child("counters") + "/" + std::to_string(k));
      Counter counter;
      counter.office = office.id;
      counter.id = c.string("id", "", true);
      counter.name = c.string("name", "", true);
      counter.services = c.strings("services");
      counter.remote = c.boolean("remote_tickets", false);
      counter.daily_limit = c.integer("daily_limit", 1, 1, 20);
      counter.desks = c.integer("desks", 1, 1, 50);
      if (!counter.id.empty() && !is_config_id(counter.id)) c.problem("id", "must be 1–32 of [a-z0-9_-]");
      if (!counter.id.empty() && s.counters.contains(counter.id)) c.problem("id", "'" + counter.id + "' is used twice");
      office.counters.push_back(counter.id);
      s.counters[counter.id] = std::move(counter);
    }
    s.offices.push_back(std::move(office));
  }
  return s;
}

// A ticket's current visit, as the queue sees it.
struct Visit {
  int64_t visit_id = 0, ticket_id = 0, number = 0;
  std::string counter, status, subject;
};

constexpr const char* kDisplayPage = R"HTML(<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>窓口待ち人数</title>
<link rel="stylesheet" href="../../ui/display.css">
</head>
<body><h1 id="title">窓口待ち人数</h1>
<table><thead><tr><th>窓口</th><th>呼出中</th><th>待ち人数</th><th>待ち時間の目安</th></tr></thead><tbody id="rows"></tbody></table>
<p id="state">接続中…</p>
<script src="../../ui/display.js"></script></body></html>
)HTML";

}  // namespace

class WaitingCount : public Plugin {
 public:
  explicit WaitingCount(Context& ctx) : Plugin(ctx) {
    std::vector<ConfigProblem> ignored;  // validate_config ran before the instance was created
    settings_ = read_settings(ctx.config(), ignored);
    ctx.db().migrate({
        "CREATE TABLE tickets(id INTEGER PRIMARY KEY, day TEXT NOT NULL, office TEXT NOT NULL,"
        " number INTEGER NOT NULL, service TEXT NOT NULL DEFAULT '', subject TEXT, source TEXT NOT NULL,"
        " created_ms INTEGER NOT NULL, notified INTEGER NOT NULL DEFAULT 0, UNIQUE(day, office, number));"
        "CREATE INDEX tickets_subject ON tickets(subject, day);"
        "CREATE TABLE visits(id INTEGER PRIMARY KEY, ticket_id INTEGER NOT NULL REFERENCES tickets(id),"
        " counter TEXT NOT NULL, status TEXT NOT NULL, queued_ms INTEGER NOT NULL, called_ms INTEGER,"
        " finished_ms INTEGER);"
        "CREATE INDEX visits_queue ON visits(counter, status, queued_ms);"
        "CREATE INDEX visits_ticket ON visits(ticket_id);"
        "CREATE TABLE counter_state(counter TEXT PRIMARY KEY, closed INTEGER NOT NULL);",
    });
    schedule_reset();
  }

  static std::vector<ConfigProblem> validate_config(const json::value& config) {
    std::vector<ConfigProblem> problems;
    read_settings(config, problems);
    return problems;
  }

  void handle(const Request& request, Response& response) override {
    std::string_view path = request.path();
    std::string_view method = request.method();
    if (path.starts_with("/staff/")) return staff(request, response);
    if (path == "/me/tickets" && method == "GET") return my_tickets(request, response);
    if (path.starts_with("/me/tickets/") && method == "DELETE") return cancel_my_ticket(request, response);
    if (path.starts_with("/counters/") && path.ends_with("/tickets") && method == "POST") {
      return take_remote(request, response, path_id(path, "/counters/", "/tickets"));
    }
    if (method != "GET") throw HttpError(405, "method_not_allowed", "GET only");
    if (path == "/") return overview(response);
    if (path.starts_with("/offices/")) return office_view(response, path.substr(9));
    if (path.starts_with("/counters/")) return void(response.json(status_of(counter_of(path.substr(10)), day())));
    if (serve_asset(request, response)) return;  // the screens (ui/), the display's script and style
    if (path.starts_with("/display/")) {
      office_of(path.substr(9));
      response.header("Cache-Control", "no-cache");
      return void(response.text(kDisplayPage, "text/html; charset=utf-8"));
    }
    throw HttpError(404, "not_found", "no such page");
  }

  std::optional<json::object> info_card(const Claims& claims, std::string_view) {
    auto subject = claims.subject();
    if (!subject) return std::nullopt;
    auto tickets = active_tickets(*subject);
    if (tickets.empty()) return std::nullopt;
    const json::object& t = tickets.front().as_object();
    return json::object{{"title", "窓口の順番"},
                        {"body", std::string(t.at("counter_name").as_string()) + " " + std::to_string(t.at("number").as_int64()) +
                                     "番: あと" + std::to_string(t.at("ahead").as_int64()) + "人"},
                        {"link", "/me/tickets"}};
  }

  json::value export_subject(std::string_view subject) {
    json::array out;
    Statement q = context().db().prepare("SELECT day, office, number, source, created_ms FROM tickets WHERE subject = ?1 ORDER BY id");
    q.bind(1, subject);
    while (q.step()) {
      out.push_back({{"day", q.text(0)}, {"office", q.text(1)}, {"number", q.integer(2)}, {"source", q.text(3)},
                     {"created_unix_ms", q.integer(4)}});
    }
    return json::object{{"tickets", out}};
  }

  void erase_subject(std::string_view subject) {
    context().db().run("UPDATE tickets SET subject = NULL WHERE subject = ?1", subject);
  }

  // "reset": the service day changed; publish every counter's (empty) queue, schedule the next.
  void on_event(const Event& e) {
    if (e.key != "reset") return;
    std::string today = day();
    context().db().run(
        "UPDATE visits SET status = 'expired', finished_ms = ?1 WHERE status IN ('waiting', 'called') AND "
        "ticket_id IN (SELECT id FROM tickets WHERE day < ?2)",
        e.due_unix_ms, today);
    for (const auto& [id, counter] : settings_.counters) publish(counter, today);
    schedule_reset();
  }

 private:
  // ---- time -----------------------------------------------------------------------------------

  static std::string iso(date::sys_days d) { return date::format("%F", d); }

  // The service day: the local date whose reset time was the last one passed.
  std::string day() { return day_at(now_ms()); }
  std::string day_at(int64_t at) { return context().local_date(at, settings_.reset_time); }

  void schedule_reset() {
    auto utc = date::floor<date::days>(std::chrono::system_clock::now());
    int64_t now = now_ms();
    for (auto d = utc - date::days(1); d <= utc + date::days(2); d += date::days(1)) {
      int64_t at = context().local_time_to_unix(iso(d) + "T" + settings_.reset_time);
      if (at > now) return context().schedule("reset", at);
    }
  }

  // ---- lookups ------------------------------------------------------------------------------

  static std::string path_id(std::string_view path, std::string_view prefix, std::string_view suffix) {
    path.remove_prefix(prefix.size());
    path.remove_suffix(suffix.size());
    return std::string(path);
  }

  const Counter& counter_of(std::string_view id) const {
    auto it = settings_.counters.find(std::string(id));
    if (it == settings_.counters.end()) throw HttpError(404, "unknown_counter", "no counter '" + std::string(id) + "'");
    return it->second;
  }
  const Office& office_of(std::string_view id) const {
    for (const auto& o : settings_.offices) {
      if (o.id == id) return o;
    }
    throw HttpError(404, "unknown_office", "no office '" + std::string(id) + "'");
  }

  bool closed(const Counter& c) {
    Statement q = context().db().prepare("SELECT closed FROM counter_state WHERE counter = ?1");
    q.bind(1, c.id);
    return q.step() && q.integer(0) != 0;
  }

  // The waiting visits of a counter today, in queue order.
  std::vector<Visit> queue(const Counter& c, const std::string& today) {
    std::vector<Visit> out;
    Statement q = context().db().prepare(
        "SELECT v.id, t.id, t.number, COALESCE(t.subject, '') FROM visits v JOIN tickets t ON t.id = v.ticket_id "
        "WHERE v.counter = ?1 AND v.status = 'waiting' AND t.day = ?2 ORDER BY v.queued_ms, v.id");
    q.bind_all(c.id, today);
    while (q.step()) out.push_back({q.integer(0), q.integer(1), q.integer(2), c.id, "waiting", std::string(q.text(3))});
    return out;
  }

  // Average service time of the counter's last 20 served visits, else the configured default.
  double service_minutes(const Counter& c) {
    Statement q = context().db().prepare(
        "SELECT avg(finished_ms - called_ms), count(*) FROM (SELECT finished_ms, called_ms FROM visits "
        "WHERE counter = ?1 AND status = 'served' ORDER BY finished_ms DESC LIMIT 20)");
    q.bind(1, c.id);
    if (q.step() && q.integer(1) > 0) return std::max(0.5, q.real(0) / 60000.0);
    return static_cast<double>(settings_.service_minutes);
  }

  json::object status_of(const Counter& c, const std::string& today) {
    size_t waiting = queue(c, today).size();
    json::array serving;
    Statement q = context().db().prepare(
        "SELECT t.number FROM visits v JOIN tickets t ON t.id = v.ticket_id WHERE v.counter = ?1 AND "
        "v.status = 'called' AND t.day = ?2 ORDER BY v.called_ms");
    q.bind_all(c.id, today);
    while (q.step()) serving.push_back(q.integer(0));
    double per_person = service_minutes(c) / static_cast<double>(c.desks);
    return {{"counter", c.id},
            {"name", c.name},
            {"office", c.office},
            {"services", json::value_from(c.services)},
            {"remote_tickets", c.remote},
            {"closed", closed(c)},
            {"waiting", waiting},
            {"now_serving", serving},
            {"estimated_wait_minutes", static_cast<int64_t>(std::ceil(per_person * static_cast<double>(waiting)))},
            {"day", today}};
  }

  // Pushes the counter's status to its own channel and its office's.
  void publish(const Counter& c, const std::string& today) {
    std::string message = json::serialize(status_of(c, today));
    context().publish("counter." + c.id, message);
    context().publish("office." + c.office, message);
  }

  // Residents with few people ahead hear it once (in the caller's transaction).
  void notify_ahead(const Counter& c, const std::string& today) {
    if (settings_.notify_ahead == 0) return;
    auto waiting = queue(c, today);
    for (size_t ahead = 0; ahead < waiting.size() && ahead <= static_cast<size_t>(settings_.notify_ahead); ++ahead) {
      const Visit& v = waiting[ahead];
      if (v.subject.empty()) continue;
      Statement seen = context().db().prepare("SELECT notified FROM tickets WHERE id = ?1");
      seen.bind(1, v.ticket_id);
      if (!seen.step() || seen.integer(0) != 0) continue;
      json::object n{{"key", "ahead:" + std::to_string(v.ticket_id)},
                     {"category", "turn"},
                     {"title", "まもなく順番です（" + c.name + " " + std::to_string(v.number) + "番）"},
                     {"body", "あと" + std::to_string(ahead) + "人です。窓口の近くでお待ちください。"},
                     {"link", "/me/tickets"},
                     {"urgency", "high"}};
      context().notify(v.subject, n);
      context().db().run("UPDATE tickets SET notified = 1 WHERE id = ?1", v.ticket_id);
    }
  }

  // ---- public and resident routes ----------------------------------------------------------

  void overview(Response& response) {
    std::string today = day();
    json::array offices;
    for (const auto& o : settings_.offices) offices.push_back(office_json(o, today));
    response.json(json::object{{"day", today}, {"offices", offices}});
  }

  json::object office_json(const Office& o, const std::string& today) {
    json::array counters;
    for (const auto& id : o.counters) counters.push_back(status_of(settings_.counters.at(id), today));
    return {{"office", o.id}, {"name", o.name}, {"counters", counters}};
  }

  void office_view(Response& response, std::string_view id) { response.json(office_json(office_of(id), day())); }

  static std::string require_subject(const Request& request) {
    auto subject = request.claims().subject();
    if (!subject) throw HttpError(401, "sign_in_required", "sign in to take a ticket from the app");
    return std::string(*subject);
  }

  // Issues a ticket (kiosk or remote) at the end of the counter's queue, in one transaction.
  json::object issue(const Counter& c, const std::string& service, const std::optional<std::string>& subject,
                     const char* source) {
    if (!service.empty() && std::find(c.services.begin(), c.services.end(), service) == c.services.end()) {
      throw HttpError(400, "unknown_service", "/service: " + c.name + " does not handle '" + service + "'");
    }
    std::string today = day();
    int64_t now = now_ms();
    Database& db = context().db();
    int64_t ticket = 0, number = 0;
    {
      Transaction tx(db);
      if (closed(c)) throw HttpError(409, "counter_closed", c.name + " is closed: no new tickets");
      if (subject) {
        Statement n = db.prepare(
            "SELECT count(*) FROM tickets t JOIN visits v ON v.ticket_id = t.id WHERE t.subject = ?1 AND t.day = ?2 "
            "AND t.source = 'remote' AND v.counter = ?3 AND v.id = (SELECT min(id) FROM visits WHERE ticket_id = t.id)");
        n.bind_all(*subject, today, c.id);
        n.step();
        if (n.integer(0) >= c.daily_limit) {
          throw HttpError(429, "daily_limit", "you already took " + std::to_string(c.daily_limit) + " ticket(s) for " +
                                                  c.name + " today");
        }
      }
      Statement last = db.prepare("SELECT COALESCE(max(number), 0) FROM tickets WHERE day = ?1 AND office = ?2");
      last.bind_all(today, c.office);
      last.step();
      number = last.integer(0) + 1;
      db.run("INSERT INTO tickets(day, office, number, service, subject, source, created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
             today, c.office, number, service, subject, std::string(source), now);
      ticket = db.last_insert_rowid();
      db.run("INSERT INTO visits(ticket_id, counter, status, queued_ms) VALUES (?1, ?2, 'waiting', ?3)", ticket, c.id, now);
      notify_ahead(c, today);
      tx.commit();
    }
    publish(c, today);
    size_t ahead = queue(c, today).size() - 1;
    return {{"ticket", ticket}, {"number", number}, {"counter", c.id}, {"ahead", ahead}, {"day", today}};
  }

  void take_remote(const Request& request, Response& response, const std::string& counter_id) {
    std::string subject = require_subject(request);
    const Counter& c = counter_of(counter_id);
    if (!c.remote) throw HttpError(403, "remote_not_offered", c.name + " issues tickets at the kiosk only");
    std::string service;
    if (!request.body().empty()) {
      json::value body = request.json();
      if (const auto* s = body.is_object() ? body.as_object().if_contains("service") : nullptr) {
        if (!s->is_string()) throw HttpError(400, "invalid_body", "/service: must be a string");
        service = std::string(s->as_string());
      }
    }
    response.json(issue(c, service, subject, "remote"), 201);
  }

  json::array active_tickets(std::string_view subject) {
    std::string today = day();
    json::array out;
    Statement q = context().db().prepare(
        "SELECT t.id, t.number, v.counter, v.status, v.id FROM tickets t JOIN visits v ON v.ticket_id = t.id "
        "WHERE t.subject = ?1 AND t.day = ?2 AND v.id = (SELECT max(id) FROM visits WHERE ticket_id = t.id) "
        "AND v.status IN ('waiting', 'called') ORDER BY t.id");
    q.bind_all(subject, today);
    std::vector<std::tuple<int64_t, int64_t, std::string, std::string, int64_t>> rows;
    while (q.step()) rows.emplace_back(q.integer(0), q.integer(1), std::string(q.text(2)), std::string(q.text(3)), q.integer(4));
    for (const auto& [ticket, number, counter, status, visit] : rows) {
      auto it = settings_.counters.find(counter);
      if (it == settings_.counters.end()) continue;  // a counter the config no longer has
      int64_t ahead = 0;
      for (const auto& v : queue(it->second, today)) {
        if (v.visit_id == visit) break;
        ++ahead;
      }
      out.push_back({{"ticket", ticket}, {"number", number}, {"counter", counter}, {"counter_name", it->second.name},
                     {"status", status}, {"ahead", status == "waiting" ? ahead : 0}});
    }
    return out;
  }

  void my_tickets(const Request& request, Response& response) {
    response.json(json::object{{"tickets", active_tickets(require_subject(request))}});
  }

  void cancel_my_ticket(const Request& request, Response& response) {
    std::string subject = require_subject(request);
    int64_t id = number_in(request.path().substr(12));
    auto visit = current_visit(id);
    Statement owner = context().db().prepare("SELECT subject FROM tickets WHERE id = ?1");
    owner.bind(1, id);
    if (!visit || !owner.step() || owner.is_null(0) || owner.text(0) != subject) {
      throw HttpError(404, "unknown_ticket", "you have no ticket " + std::to_string(id));
    }
    if (visit->status != "waiting") throw HttpError(409, "not_waiting", "ticket " + std::to_string(id) + " is " + visit->status);
    finish(*visit, "cancelled");
    response.status(204);
  }

  // ---- staff ----------------------------------------------------------------------------------

  static int64_t number_in(std::string_view text) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v <= 0) {
      throw HttpError(404, "unknown_ticket", "'" + std::string(text) + "' is not a ticket id");
    }
    return v;
  }

  std::optional<Visit> current_visit(int64_t ticket) {
    Statement q = context().db().prepare(
        "SELECT v.id, t.id, t.number, v.counter, v.status, COALESCE(t.subject, '') FROM visits v JOIN tickets t ON "
        "t.id = v.ticket_id WHERE t.id = ?1 ORDER BY v.id DESC LIMIT 1");
    q.bind(1, ticket);
    if (!q.step()) return std::nullopt;
    return Visit{q.integer(0), q.integer(1), q.integer(2), std::string(q.text(3)), std::string(q.text(4)), std::string(q.text(5))};
  }

  Visit visit_or_404(int64_t ticket) {
    auto v = current_visit(ticket);
    if (!v) throw HttpError(404, "unknown_ticket", "no ticket " + std::to_string(ticket));
    return *v;
  }

  // Ends a visit (served, absent, cancelled), tells the queue.
  void finish(const Visit& v, const char* outcome) {
    std::string today = day();
    const Counter& c = counter_of(v.counter);
    {
      Transaction tx(context().db());
      context().db().run("UPDATE visits SET status = ?1, finished_ms = ?2 WHERE id = ?3", std::string(outcome), now_ms(), v.visit_id);
      notify_ahead(c, today);
      tx.commit();
    }
    publish(c, today);
  }

  void staff(const Request& request, Response& response) {
    request.require_any_role(settings_.staff_roles);
    std::string_view path = request.path();
    if (request.method() == "GET" && (path == "/staff/stats" || path == "/staff/stats.csv")) return stats(request, response);
    if (request.method() != "POST") throw HttpError(405, "method_not_allowed", "POST only");
    json::object body;
    if (!request.body().empty()) {
      json::value parsed = request.json();
      if (!parsed.is_object()) throw HttpError(400, "invalid_body", "the body must be a JSON object");
      body = parsed.as_object();
    }
    if (path.starts_with("/staff/counters/")) {
      std::string_view rest = path.substr(16);
      size_t slash = rest.find('/');
      if (slash == std::string_view::npos) throw HttpError(404, "not_found", "no such staff page");
      const Counter& c = counter_of(rest.substr(0, slash));
      std::string_view action = rest.substr(slash + 1);
      if (action == "tickets") {  // the kiosk
        std::string service;
        if (const auto* s = body.if_contains("service")) {
          if (!s->is_string()) throw HttpError(400, "invalid_body", "/service: must be a string");
          service = std::string(s->as_string());
        }
        return void(response.json(issue(c, service, std::nullopt, "kiosk"), 201));
      }
      if (action == "call-next") return call_next(c, response);
      if (action == "close" || action == "open") {
        context().db().run("INSERT INTO counter_state(counter, closed) VALUES (?1, ?2) ON CONFLICT(counter) DO UPDATE SET closed = ?2",
                           c.id, action == "close" ? 1 : 0);
        publish(c, day());
        return void(response.json(status_of(c, day())));
      }
      throw HttpError(404, "not_found", "no such counter action");
    }
    if (path.starts_with("/staff/tickets/")) {
      std::string_view rest = path.substr(15);
      size_t slash = rest.find('/');
      if (slash == std::string_view::npos) throw HttpError(404, "not_found", "no such staff page");
      Visit v = visit_or_404(number_in(rest.substr(0, slash)));
      std::string_view action = rest.substr(slash + 1);
      if (action == "served" || action == "absent") {
        if (v.status != "called") {
          throw HttpError(409, "not_called", "ticket " + std::to_string(v.number) + " is " + v.status + ", not called");
        }
        finish(v, action == "served" ? "served" : "absent");
        return void(response.json(json::object{{"ticket", v.ticket_id}, {"status", std::string(action)}}));
      }
      if (action == "transfer") return transfer(v, body, response);
      throw HttpError(404, "not_found", "no such ticket action");
    }
    throw HttpError(404, "not_found", "no such staff page");
  }

  void call_next(const Counter& c, Response& response) {
    std::string today = day();
    json::object called;
    {
      Transaction tx(context().db());
      auto waiting = queue(c, today);
      if (waiting.empty()) throw HttpError(404, "queue_empty", "nobody is waiting at " + c.name);
      const Visit& v = waiting.front();
      context().db().run("UPDATE visits SET status = 'called', called_ms = ?1 WHERE id = ?2", now_ms(), v.visit_id);
      notify_ahead(c, today);
      tx.commit();
      called = {{"ticket", v.ticket_id}, {"number", v.number}, {"counter", c.id}, {"waiting", waiting.size() - 1}};
    }
    publish(c, today);
    response.json(called);
  }

  // A ticket moves to the end of another counter's queue (same office: numbers are per office).
  void transfer(const Visit& v, const json::object& body, Response& response) {
    const auto* to = body.if_contains("counter");
    if (!to || !to->is_string()) throw HttpError(400, "invalid_body", "/counter: required, the counter to send the ticket to");
    const Counter& from = counter_of(v.counter);
    const Counter& target = counter_of(to->as_string());
    if (target.office != from.office) throw HttpError(409, "other_office", target.name + " is in another office");
    if (target.id == from.id) throw HttpError(409, "same_counter", "the ticket is already at " + target.name);
    if (v.status != "waiting" && v.status != "called") {
      throw HttpError(409, "not_active", "ticket " + std::to_string(v.number) + " is " + v.status);
    }
    std::string today = day();
    {
      Transaction tx(context().db());
      if (closed(target)) throw HttpError(409, "counter_closed", target.name + " is closed");
      int64_t now = now_ms();
      context().db().run("UPDATE visits SET status = 'transferred', finished_ms = ?1 WHERE id = ?2", now, v.visit_id);
      context().db().run("INSERT INTO visits(ticket_id, counter, status, queued_ms) VALUES (?1, ?2, 'waiting', ?3)",
                         v.ticket_id, target.id, now);
      context().db().run("UPDATE tickets SET notified = 0 WHERE id = ?1", v.ticket_id);  // a new queue, a new heads-up
      notify_ahead(from, today);
      notify_ahead(target, today);
      tx.commit();
    }
    publish(from, today);
    publish(target, today);
    response.json(json::object{{"ticket", v.ticket_id}, {"number", v.number}, {"counter", target.id}});
  }

  // Per day, local hour and counter: tickets queued, served, absent, average wait and service.
  void stats(const Request& request, Response& response) {
    std::string today = day();
    std::string from = request.query_param("from").value_or(today), to = request.query_param("to").value_or(today);
    if (!parse_date(from) || !parse_date(to)) throw HttpError(400, "invalid_date", "?from= and ?to= are dates (YYYY-MM-DD)");
    if (to < from) throw HttpError(400, "invalid_range", "?to= is before ?from=");
    struct Row {
      int64_t queued = 0, served = 0, absent = 0, wait_ms = 0, waited = 0, service_ms = 0;
    };
    std::map<std::tuple<std::string, int64_t, std::string>, Row> rows;
    std::map<std::string, int64_t> midnight;  // day → local midnight (unix ms)
    Statement q = context().db().prepare(
        "SELECT t.day, v.counter, v.status, v.queued_ms, v.called_ms, v.finished_ms FROM visits v JOIN tickets t ON "
        "t.id = v.ticket_id WHERE t.day BETWEEN ?1 AND ?2 ORDER BY v.id");
    q.bind_all(from, to);
    while (q.step()) {
      std::string d(q.text(0));
      if (!midnight.contains(d)) midnight[d] = context().local_time_to_unix(d + "T00:00");
      // The local clock hour the visit was queued (0–23). A business day runs from reset_time to
      // reset_time, so its visits after midnight (00:10 belongs to the day before when the day
      // resets at 03:00) are hours 0, 1, 2 of the next calendar day, not 24, 25, 26.
      int64_t hour = ((q.integer(3) - midnight[d]) / 3'600'000) % 24;
      Row& r = rows[{d, hour, std::string(q.text(1))}];
      ++r.queued;
      std::string status(q.text(2));
      if (status == "served") ++r.served;
      if (status == "absent") ++r.absent;
      if (!q.is_null(4)) {
        r.wait_ms += q.integer(4) - q.integer(3);
        ++r.waited;
        if (status == "served" && !q.is_null(5)) r.service_ms += q.integer(5) - q.integer(4);
      }
    }
    auto avg_s = [](int64_t total_ms, int64_t n) { return n ? static_cast<double>(total_ms) / static_cast<double>(n) / 1000.0 : 0.0; };
    if (request.path().ends_with(".csv")) {
      std::string csv = "day,hour,counter,tickets,served,absent,average_wait_seconds,average_service_seconds\r\n";
      for (const auto& [key, r] : rows) {
        char line[256];
        std::snprintf(line, sizeof line, "%s,%lld,%s,%lld,%lld,%lld,%.1f,%.1f\r\n", std::get<0>(key).c_str(),
                      static_cast<long long>(std::get<1>(key)), std::get<2>(key).c_str(), static_cast<long long>(r.queued),
                      static_cast<long long>(r.served), static_cast<long long>(r.absent), avg_s(r.wait_ms, r.waited),
                      avg_s(r.service_ms, r.served));
        csv += line;
      }
      response.header("Content-Disposition", "attachment; filename=\"waiting-" + from + "-" + to + ".csv\"");
      return void(response.text(csv, "text/csv; charset=utf-8"));
    }
    json::array out;
    for (const auto& [key, r] : rows) {
      out.push_back({{"day", std::get<0>(key)}, {"hour", std::get<1>(key)}, {"counter", std::get<2>(key)},
                     {"tickets", r.queued}, {"served", r.served}, {"absent", r.absent},
                     {"average_wait_seconds", avg_s(r.wait_ms, r.waited)},
                     {"average_service_seconds", avg_s(r.service_ms, r.served)}});
    }
    response.json(json::object{{"from", from}, {"to", to}, {"rows", out}});
  }

  Settings settings_;
};

MACHI_PLUGIN(WaitingCount, "waiting_count", "1.0.0",
             "Counter waiting count: tickets, live counts and estimated waits, hall display", kBlocking)
