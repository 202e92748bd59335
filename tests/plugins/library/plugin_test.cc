// The library plugin through the real loader, with the demo city's holdings from its data_dir:
// search with availability, library cards (PIN, lock-out), holds and the queue, checkout and
// check-in moving the queue, renewals, pickup expiry, due reminders, the info card, catalogue
// uploads (422 and unchanged, or imported), export/erase, and precise errors that change nothing.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <date/date.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <chrono>
#include <map>

#include "runtime/plugin/plugin_instance.h"
#include "tests/support/plugin_harness.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

const char* kConfig = R"({"branches": [{"id": "central", "name": "中央図書館"},
  {"id": "higashiyoka", "name": "東与賀分館"}, {"id": "mobile", "name": "移動図書館", "pickup": false}],
  "loan_limit": 3, "hold_limit": 3, "renewal_limit": 1, "pickup_days": 7, "pin_attempts": 3})";

// Demo books (manifests/data/library/holdings.csv): こころ has one copy (100001, central);
// 坊っちゃん two (100002 central, 100003 mobile); 羅生門 (6th book) one at central.
const std::string kKokoro = "9784901010009";
const std::string kBotchan = "9784902010374";

struct Shelf {
  Harness h;
  std::unique_ptr<PluginInstance> app;
  std::vector<storage::OutboxItem> sent;  // notifications drained from the outbox

  Shelf() {
    h.data_dir = std::filesystem::canonical(MACHI_LIBRARY_DEMO);
    h.known_subject = [](std::string_view s) { return s.starts_with("sub-"); };
    app = h.instance(std::filesystem::path(MACHI_PLUGIN_DIR) / "library.so", "library", kConfig);
  }
  PluginResponse send(const std::string& method, const std::string& path, const std::string& body = "",
                      const std::string& subject = "", bool staff = false, const std::string& query = "") {
    PluginRequest r = make_request(method, path, query, body);
    if (!subject.empty()) r.claims.values[MACHI_CLAIM_SUBJECT] = subject;
    if (staff) r.claims.values[MACHI_CLAIM_ROLES] = R"(["library"])";
    return call(*app, r);
  }
  json::value ok(const PluginResponse& r, unsigned status = 200) {
    REQUIRE_MESSAGE(r.status == status, r.body);
    return r.body.empty() ? json::value() : json::parse(r.body);
  }
  json::value staff_post(const std::string& path, const json::object& body, unsigned status = 200) {
    return ok(send("POST", path, json::serialize(body), "", true), status);
  }
  // Registers `card` (PIN 1234) and links it to `subject`.
  void reader(const std::string& subject, const std::string& card) {
    staff_post("/staff/cards", {{"card", card}, {"pin", "1234"}}, 201);
    ok(send("POST", "/me/card", json::serialize(json::object{{"card", card}, {"pin", "1234"}}), subject), 201);
  }
  json::value hold(const std::string& subject, const std::string& isbn, const std::string& branch = "central") {
    return ok(send("POST", "/me/holds", json::serialize(json::object{{"isbn", isbn}, {"branch", branch}}), subject), 201);
  }
  json::value me(const std::string& subject) { return ok(send("GET", "/me", "", subject)); }
  std::vector<json::object> drain() { return drain_notifications(*app); }
  int64_t job_due(const std::string& key) { return machi::test::job_due(h.dir / "apps" / "library.db", key); }
  void sql(const std::string& text) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((h.dir / "apps" / "library.db").c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    REQUIRE(sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
};

std::string enc(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    char hex[4];
    std::snprintf(hex, sizeof hex, "%%%02X", c);
    out += std::isalnum(c) ? std::string(1, static_cast<char>(c)) : std::string(hex);
  }
  return out;
}

json::object branch_of(const json::value& book, const std::string& branch) {
  for (const auto& a : book.at("availability").as_array()) {
    if (a.at("branch").as_string() == branch) return a.as_object();
  }
  return {};
}

}  // namespace

TEST_CASE("search: title, reading and author in any kana or width, ISBN-10 or -13, paging, availability") {
  Shelf s;
  auto overview = s.ok(s.send("GET", "/"));
  CHECK(overview.at("books").as_int64() == 25);
  CHECK(overview.at("copies").as_int64() == 49);

  for (const char* q : {"銀河", "ｷﾞﾝｶﾞ", "ぎんがてつどう", "ギンガ"}) {
    auto found = s.ok(s.send("GET", "/search", "", "", false, "q=" + enc(q)));
    REQUIRE_MESSAGE(found.at("total").as_int64() == 1, q);
    CHECK(found.at("items").at(0).at("title").as_string() == "銀河鉄道の夜");
  }
  // Every word must match: author and part of a title.
  auto soseki = s.ok(s.send("GET", "/search", "", "", false, "q=%E6%BC%B1%E7%9F%B3"));  // 漱石
  CHECK(soseki.at("total").as_int64() == 3);
  auto two = s.ok(s.send("GET", "/search", "", "", false, "q=%E6%BC%B1%E7%9F%B3%20%E7%8C%AB"));  // 漱石 猫
  REQUIRE(two.at("total").as_int64() == 1);
  CHECK(two.at("items").at(0).at("title").as_string() == "吾輩は猫である");
  auto page = s.ok(s.send("GET", "/search", "", "", false, "q=%E6%BC%B1%E7%9F%B3&limit=2&offset=2"));
  CHECK(page.at("total").as_int64() == 3);
  CHECK(page.at("items").as_array().size() == 1);
  CHECK(s.ok(s.send("GET", "/search", "", "", false, "q=HARRY")).at("total").as_int64() == 1);

  // The ISBN-10 of a book finds it as well as the ISBN-13; a wrong check digit is named.
  auto by10 = s.ok(s.send("GET", "/search", "", "", false, "q=4902010372"));
  REQUIRE(by10.at("total").as_int64() == 1);
  CHECK(by10.at("items").at(0).at("isbn").as_string() == kBotchan);
  CHECK(by10.at("items").at(0).at("isbn10").as_string() == "4902010372");
  auto bad = s.send("GET", "/search", "", "", false, "q=978-4-902-01037-5");
  CHECK(bad.status == 400);
  CHECK(bad.body.find("check digit should be 4") != std::string::npos);
  CHECK(s.send("GET", "/books/9784902010375").status == 400);
  CHECK(s.send("GET", "/books/9780306406157").status == 404);  // valid, not in the catalogue
  auto botchan = s.ok(s.send("GET", "/books/4902010372"));
  CHECK(branch_of(botchan, "central").at("available").as_int64() == 1);
  CHECK(branch_of(botchan, "mobile").at("available").as_int64() == 1);
  CHECK(botchan.at("copies").as_array().size() == 2);
  // Reference copies count as in-library only; branch filter.
  auto hagakure = s.ok(s.send("GET", "/search", "", "", false, "q=%E8%91%89%E9%9A%A0"));  // 葉隠
  CHECK(branch_of(hagakure.at("items").at(0), "central").at("in_library_only").as_int64() == 1);
  CHECK(s.ok(s.send("GET", "/search", "", "", false, "q=%E6%BC%B1%E7%9F%B3&branch=mobile")).at("total").as_int64() == 1);
  CHECK(s.send("GET", "/search", "", "", false, "q=x&branch=nowhere").status == 400);
  CHECK(s.send("GET", "/search", "", "", false, "q=%20").status == 400);
  CHECK(s.send("GET", "/search", "", "", false, "q=a&limit=x").status == 400);
}

TEST_CASE("library cards: linking needs the PIN; wrong PINs lock the card; one card per resident") {
  Shelf s;
  s.staff_post("/staff/cards", {{"card", "2000001"}, {"pin", "1234"}}, 201);
  CHECK(s.send("POST", "/staff/cards", R"({"card": "2000001", "pin": "9999"})", "", true).status == 409);
  CHECK(s.send("POST", "/staff/cards", R"({"card": "2000002", "pin": "12"})", "", true).status == 400);
  CHECK(s.send("POST", "/staff/cards", R"({"card": "2000002", "pin": "1234"})", "sub-1").status == 403);  // not staff

  // An unknown card and a wrong PIN answer the same.
  auto unknown = s.send("POST", "/me/card", R"({"card": "9999999", "pin": "1234"})", "sub-1");
  auto wrong = s.send("POST", "/me/card", R"({"card": "2000001", "pin": "0000"})", "sub-1");
  CHECK(unknown.status == 403);
  CHECK(wrong.status == 403);
  CHECK(json::parse(unknown.body).at("error").at("message") == json::parse(wrong.body).at("error").at("message"));
  CHECK(s.send("POST", "/me/card", R"({"card": "2000001"})", "sub-1").status == 400);
  CHECK(s.send("POST", "/me/card", R"({"card": "2000001", "pin": "1234"})").status == 401);
  CHECK(s.me("sub-1").at("card").is_null());

  // pin_attempts is 3: the third wrong PIN locks it, and then even the right PIN waits.
  CHECK(s.send("POST", "/me/card", R"({"card": "2000001", "pin": "0001"})", "sub-1").status == 403);
  CHECK(s.send("POST", "/me/card", R"({"card": "2000001", "pin": "0002"})", "sub-1").status == 403);
  auto locked = s.send("POST", "/me/card", R"({"card": "2000001", "pin": "1234"})", "sub-1");
  CHECK(locked.status == 429);
  CHECK(locked.body.find("too many wrong PINs") != std::string::npos);
  s.sql("UPDATE cards SET locked_until_ms = 0");  // the lock's time passed
  CHECK(s.ok(s.send("POST", "/me/card", R"({"card": "2000001", "pin": "1234"})", "sub-1"), 201).at("card").as_string() ==
        "***0001");
  CHECK(s.me("sub-1").at("card").as_string() == "***0001");
  // Another resident cannot take it; the resident cannot link a second one.
  auto taken = s.send("POST", "/me/card", R"({"card": "2000001", "pin": "1234"})", "sub-2");
  CHECK(taken.status == 409);
  CHECK(taken.body.find("linked to another resident") != std::string::npos);
  s.staff_post("/staff/cards", {{"card", "2000002"}, {"pin", "5678"}}, 201);
  CHECK(s.send("POST", "/me/card", R"({"card": "2000002", "pin": "5678"})", "sub-1").status == 409);
  CHECK(s.send("DELETE", "/me/card", "", "sub-1").status == 204);
  CHECK(s.send("DELETE", "/me/card", "", "sub-1").status == 404);
  CHECK(s.send("POST", "/me/holds", json::serialize(json::object{{"isbn", kKokoro}, {"branch", "central"}}), "sub-1").status == 409);
}

TEST_CASE("holds queue; checkout and check-in move the queue; renewals refused while others wait") {
  Shelf s;
  s.reader("sub-a", "1001");
  s.reader("sub-b", "1002");
  s.reader("sub-c", "1003");

  // こころ's one copy is on the shelf at central: A's hold takes it at once and A hears of it.
  auto a = s.hold("sub-a", kKokoro);
  CHECK(a.at("status").as_string() == "ready");
  CHECK(a.at("position").is_null());
  auto b = s.hold("sub-b", "4-901-01000-X", "higashiyoka");
  CHECK(b.at("status").as_string() == "waiting");
  CHECK(b.at("position").as_int64() == 1);
  CHECK(s.hold("sub-c", kKokoro).at("position").as_int64() == 2);
  auto sent = s.drain();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("to").as_string() == "sub-a");
  CHECK(sent[0].at("title").as_string() == "予約の本が用意できました: こころ");
  CHECK(sent[0].at("key").as_string() == "ready:" + std::to_string(a.at("id").as_int64()));
  auto book = s.ok(s.send("GET", "/books/" + kKokoro));
  CHECK(branch_of(book, "central").at("reserved").as_int64() == 1);
  CHECK(book.at("holds_waiting").as_int64() == 2);

  // Holding twice, an unknown ISBN, a bad ISBN, a branch that hands out nothing: precise errors.
  CHECK(s.send("POST", "/me/holds", json::serialize(json::object{{"isbn", kKokoro}, {"branch", "central"}}), "sub-b").status == 409);
  CHECK(s.send("POST", "/me/holds", R"({"isbn": "9780306406157", "branch": "central"})", "sub-b").status == 404);
  CHECK(s.send("POST", "/me/holds", R"({"isbn": "9780306406158", "branch": "central"})", "sub-b").status == 400);
  auto mobile = s.send("POST", "/me/holds", json::serialize(json::object{{"isbn", kBotchan}, {"branch", "mobile"}}), "sub-b");
  CHECK(mobile.status == 400);
  CHECK(mobile.body.find("移動図書館 does not hand out holds") != std::string::npos);

  // The copy is held for A: checking it out to B fails; to A it fulfils the hold.
  auto stolen = s.send("POST", "/staff/checkout", R"({"copy": "100001", "card": "1002"})", "", true);
  CHECK(stolen.status == 409);
  CHECK(stolen.body.find("held for another reader") != std::string::npos);
  auto loan = s.staff_post("/staff/checkout", {{"copy", "100001"}, {"card", "1001"}}, 201);
  CHECK(s.me("sub-a").at("holds").as_array().empty());
  REQUIRE(s.me("sub-a").at("loans").as_array().size() == 1);
  std::string loan_path = "/me/loans/" + std::to_string(loan.at("id").as_int64()) + "/renew";
  auto renew = s.send("POST", loan_path, "", "sub-a");
  CHECK(renew.status == 409);
  CHECK(renew.body.find("2 reader(s) are waiting for 'こころ'") != std::string::npos);
  CHECK(s.send("POST", loan_path, "", "sub-b").status == 404);  // someone else's loan
  CHECK(s.send("POST", "/staff/checkout", R"({"copy": "100001", "card": "1003"})", "", true).status == 409);  // on loan

  // Returned at 東与賀: B is first and collects at 東与賀, so the copy stays there, ready.
  auto back = s.staff_post("/staff/checkin", {{"copy", "100001"}, {"branch", "higashiyoka"}});
  CHECK(back.at("route").as_string() == "hold_shelf");
  CHECK(back.at("returned").at("id") == loan.at("id"));
  CHECK(back.at("hold").at("id") == b.at("id"));
  auto b_now = s.me("sub-b").at("holds").at(0);
  CHECK(b_now.at("status").as_string() == "ready");
  CHECK(s.me("sub-c").at("holds").at(0).at("position").as_int64() == 1);
  auto shelf = s.ok(s.send("GET", "/staff/holds", "", "", true, "branch=higashiyoka"));
  REQUIRE(shelf.at("holds").as_array().size() == 1);
  CHECK(shelf.at("holds").at(0).at("copy").as_string() == "100001");
  sent = s.drain();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("to").as_string() == "sub-b");
  CHECK(sent[0].at("body").as_string().starts_with("東与賀分館で"));

  // B never collects: after pickup_by the expiry job passes the copy to C, who collects at
  // central — so the copy goes into transit, and is ready when checked in there.
  int64_t due = s.job_due("pickup:" + std::to_string(b.at("id").as_int64()));
  REQUIRE(due > 0);
  CHECK(s.app->deliver_due_events(due) >= 1);
  CHECK(s.me("sub-b").at("holds").as_array().empty());
  auto c_hold = s.me("sub-c").at("holds").at(0);
  CHECK(c_hold.at("status").as_string() == "in_transit");
  CHECK(s.drain().empty());  // not ready yet
  auto transit = s.staff_post("/staff/checkin", {{"copy", "100001"}, {"branch", "central"}});
  CHECK(transit.at("route").as_string() == "hold_shelf");
  CHECK(transit.at("returned").is_null());
  CHECK(s.me("sub-c").at("holds").at(0).at("status").as_string() == "ready");
  CHECK(s.drain().size() == 1);

  // C cancels: nobody waits, the copy is available again.
  CHECK(s.send("DELETE", "/me/holds/" + std::to_string(c_hold.at("id").as_int64()), "", "sub-b").status == 404);
  CHECK(s.send("DELETE", "/me/holds/" + std::to_string(c_hold.at("id").as_int64()), "", "sub-c").status == 204);
  CHECK(branch_of(s.ok(s.send("GET", "/books/" + kKokoro)), "central").at("available").as_int64() == 1);
  CHECK(s.staff_post("/staff/checkin", {{"copy", "100001"}, {"branch", "central"}}).at("route").as_string() == "shelve");
}

TEST_CASE("renewals, loan limits, overdue list, due reminders and the info card") {
  Shelf s;
  s.reader("sub-a", "1001");
  auto loan = s.staff_post("/staff/checkout", {{"copy", "100002"}, {"card", "1001"}}, 201);
  std::string due = std::string(loan.at("due").as_string());
  CHECK(loan.at("renewals_left").as_int64() == 1);
  // Renewing right away keeps the due date (today + 14 is no later); the second is refused.
  auto renewed = s.ok(s.send("POST", "/me/loans/" + std::to_string(loan.at("id").as_int64()) + "/renew", "", "sub-a"));
  CHECK(renewed.at("due").as_string() == due);
  CHECK(renewed.at("renewals").as_int64() == 1);
  auto again = s.send("POST", "/me/loans/" + std::to_string(loan.at("id").as_int64()) + "/renew", "", "sub-a");
  CHECK(again.status == 409);
  CHECK(again.body.find("renewed 1 time(s), the limit") != std::string::npos);
  CHECK(s.send("POST", "/me/loans/abc/renew", "", "sub-a").status == 404);

  // loan_limit is 3.
  s.staff_post("/staff/checkout", {{"copy", "100004"}, {"card", "1001"}}, 201);
  s.staff_post("/staff/checkout", {{"copy", "100007"}, {"card", "1001"}}, 201);
  auto limit = s.send("POST", "/staff/checkout", R"({"copy": "100010", "card": "1001"})", "", true);
  CHECK(limit.status == 409);
  CHECK(limit.body.find("the limit is 3") != std::string::npos);
  CHECK(s.send("POST", "/staff/checkout", R"({"copy": "no-such", "card": "1001"})", "", true).status == 404);
  CHECK(s.send("POST", "/staff/checkout", R"({"copy": "100010", "card": "0000"})", "", true).status == 404);
  CHECK(s.send("POST", "/staff/checkout", R"({"copy": "100010"})", "", true).status == 400);
  CHECK(s.me("sub-a").at("loans").as_array().size() == 3);

  // The due-date sweep (daily at 09:00) reminds loans due within two days, once per due date.
  int64_t sweep = s.job_due("due-sweep");
  REQUIRE(sweep > 0);
  // The sweep's local day: Asia/Tokyo is UTC+9.
  auto sweep_day = std::chrono::floor<std::chrono::days>(std::chrono::sys_time<std::chrono::milliseconds>(
      std::chrono::milliseconds(sweep + 9 * 3'600'000)));
  std::string in_two = date::format("%F", sweep_day + std::chrono::days(2));
  s.sql("UPDATE loans SET due = '" + in_two + "' WHERE copy_id = '100002'");
  s.sql("UPDATE loans SET due = '2020-01-10' WHERE copy_id = '100004'");
  CHECK(s.app->deliver_due_events(sweep) == 1);
  auto sent = s.drain();
  REQUIRE(sent.size() == 1);
  CHECK(sent[0].at("title").as_string() == "返却期限が近づいています: 坊っちゃん");
  CHECK(sent[0].at("key").as_string() == "due:" + std::to_string(loan.at("id").as_int64()) + ":" + in_two);
  CHECK(s.job_due("due-sweep") > sweep);  // the next day's sweep

  // Overdue: the staff list and the resident's loan.
  auto overdue = s.ok(s.send("GET", "/staff/overdue", "", "", true));
  REQUIRE(overdue.at("loans").as_array().size() == 1);
  CHECK(overdue.at("loans").at(0).at("copy").as_string() == "100004");
  CHECK(overdue.at("loans").at(0).at("card").as_string() == "1001");
  CHECK(overdue.at("loans").at(0).at("days_overdue").as_int64() > 365);
  CHECK(s.ok(s.send("GET", "/staff/overdue", "", "", true, "branch=higashiyoka")).at("loans").as_array().empty());
  auto renew_overdue = s.send("POST", "/me/loans/" + std::to_string(overdue.at("loans").at(0).at("id").as_int64()) + "/renew", "", "sub-a");
  CHECK(renew_overdue.status == 409);
  CHECK(renew_overdue.body.find("is overdue") != std::string::npos);

  Claims claims;
  claims.values[MACHI_CLAIM_SUBJECT] = "sub-a";
  auto card = s.app->info_card(claims, "ja");
  REQUIRE(card.is_ok());
  auto card_json = json::parse(card.value());
  CHECK(card_json.at("title").as_string() == "図書館");
  std::string body(card_json.at("body").as_string());
  CHECK(body.find("1冊 返却期限を過ぎています") != std::string::npos);
  CHECK(body.find("1冊 " + std::to_string(std::stoi(in_two.substr(5, 2))) + "月" +
                  std::to_string(std::stoi(in_two.substr(8, 2))) + "日(") != std::string::npos);
  auto english = json::parse(s.app->info_card(claims, "en").value());
  CHECK(std::string(english.at("body").as_string()).find("1 book overdue") != std::string::npos);
  claims.values[MACHI_CLAIM_SUBJECT] = "sub-nobody";
  CHECK(s.app->info_card(claims, "ja").value().empty());

  // Export and erase: the link goes; the library's loan records of the card stay.
  auto exported = json::parse(s.app->export_subject("sub-a").value());
  CHECK(exported.at("card").as_string() == "1001");
  CHECK(exported.at("loans").as_array().size() == 3);
  REQUIRE(s.app->erase_subject("sub-a").is_ok());
  CHECK(s.me("sub-a").at("card").is_null());
  CHECK(s.ok(s.send("GET", "/staff/overdue", "", "", true)).at("loans").as_array().size() == 1);
}

TEST_CASE("catalogue upload: a bad file is refused whole with every problem; a good one replaces holdings") {
  Shelf s;
  s.reader("sub-a", "1001");
  s.hold("sub-a", kBotchan);  // ready: copy 100002 at central
  auto bad = s.send("PUT", "/staff/catalogue",
                    "isbn,title,branch,copy_id\n9784902010374,坊っちゃん,central,100002\n123,x,central,9\n", "", true);
  CHECK(bad.status == 422);
  auto problems = json::parse(bad.body).at("error").at("problems").as_array();
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].as_string() == "upload:3:1: '123' has 3 digits: an ISBN has 10 or 13");
  CHECK(s.ok(s.send("GET", "/")).at("copies").as_int64() == 49);  // unchanged

  // The new file drops 100002 (the held copy) and adds a copy at 東与賀: the hold waits again
  // and is then served by the new copy, in transit to central.
  auto good = s.ok(s.send("PUT", "/staff/catalogue",
                          "isbn,title,author,branch,copy_id\n978-4-902-01037-4,坊っちゃん,夏目漱石,higashiyoka,200001\n"
                          "9784902010374,坊っちゃん,夏目漱石,mobile,100003\n", "", true));
  CHECK(good.at("books").as_int64() == 1);
  CHECK(good.at("copies").as_int64() == 2);
  CHECK(good.at("withdrawn").as_int64() == 48);
  CHECK(s.ok(s.send("GET", "/")).at("copies").as_int64() == 2);
  auto held = s.me("sub-a").at("holds").at(0);
  CHECK(held.at("status").as_string() == "in_transit");
  CHECK(s.send("GET", "/books/" + kKokoro).status == 404);  // withdrawn everywhere
  CHECK(s.send("POST", "/staff/checkout", R"({"copy": "100001", "card": "1001"})", "", true).status == 409);
  auto info = s.ok(s.send("GET", "/staff/catalogue", "", "", true));
  CHECK(info.at("imported").at("origin").as_string() == "upload");
  CHECK(s.send("PUT", "/staff/catalogue", "x", "sub-a").status == 403);
}

TEST_CASE("config problems name their JSON pointer") {
  Harness h;
  auto loaded = h.load(std::filesystem::path(MACHI_PLUGIN_DIR) / "library.so");
  auto problems = validate_config(*loaded, R"({"branches": [{"id": "Central", "name": "x"}, {"id": "b"}],
     "loan_days": 0, "reminder_time": "9am", "backend": "sip2"})");
  REQUIRE(problems.is_ok());
  std::vector<std::string> texts;
  for (const auto& p : problems.value()) texts.push_back(p.path + ": " + p.message);
  auto has = [&](const std::string& t) { return std::find(texts.begin(), texts.end(), t) != texts.end(); };
  CHECK(has("/branches/0/id: must be 1–32 of [a-z0-9_-]"));
  CHECK(has("/branches/1/name: is required"));
  CHECK(has("/loan_days: must be between 1 and 365"));
  CHECK(has("/reminder_time: must be HH:MM (local time)"));
  CHECK(has("/backend: only \"builtin\" is available (a SIP2 adapter is planned)"));
}
