// The library through the real server: a card linked at the counter with the citizen card, a hold
// whose "ready" notification reaches the resident's inbox, checkout by citizen card; and the
// concurrency promise — 50 simultaneous holds and checkouts on one copy, 20 times over, exactly
// one winner each time and nothing else broken.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <latch>
#include <set>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/test_server.h"
#include "tests/support/test_verifier.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

json::value parse(const Reply& r) { return json::parse(r.body); }

// An ISBN-13 with a correct check digit for the 12 digits given.
std::string isbn13(const std::string& first12) {
  int sum = 0;
  for (size_t i = 0; i < 12; ++i) sum += (first12[i] - '0') * (i % 2 ? 3 : 1);
  return first12 + static_cast<char>('0' + (10 - sum % 10) % 10);
}

struct Library {
  TestServer s;
  TestVerifier verifier;
  std::unique_ptr<HttpClient> c;
  std::string staff;

  explicit Library(const std::string& limits = "") {
    std::filesystem::copy(MACHI_LIBRARY_DEMO, s.dir / "library");
    std::string manifest = manifest_json("demo", "localhost", R"({"id": "library", "name": "図書館", "plugin": "library.so",
      "data_dir": "library", "deadline_ms": 15000,
      "config": {"branches": [{"id": "central", "name": "中央図書館"}, {"id": "higashiyoka", "name": "東与賀分館"},
                              {"id": "mobile", "name": "移動図書館", "pickup": false}])" + limits + R"(}})");
    manifest.insert(1, "\"staff_roles\": [\"library\"], \"verifiers\": [" + verifier.manifest_entry() + "], ");
    auto problems = s.load("m.json", manifest);
    REQUIRE_MESSAGE(problems.empty(), problems.front());
    c = std::make_unique<HttpClient>(s.port());
    REQUIRE(staff_add(s, "desk@library.example", "library") == 0);
    staff = sign_in("desk@library.example", "staff password 1");
  }
  std::string sign_in(const std::string& login, const std::string& password) {
    Reply r = call(*c, "POST", "/api/v1/auth/token", "",
                   json::serialize(json::object{{"grant_type", "password"}, {"login", login}, {"password", password}}));
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return std::string(parse(r).at("access_token").as_string());
  }
  std::string sign_up(const std::string& login) {
    Reply r = call(*c, "POST", "/api/v1/auth/register", "",
                   json::serialize(json::object{{"login", login}, {"password", "correct horse battery"}, {"display_name", "読者"}}));
    REQUIRE_MESSAGE(r.status == 201, r.body);
    return std::string(parse(r).at("access_token").as_string());
  }
  // A verified resident (eKYC assertion from the test verifier), who can show a citizen card.
  std::string verified(const std::string& login) {
    std::string token = sign_up(login);
    std::string nonce(parse(call(*c, "POST", "/api/v1/me/verification/nonce", token)).at("nonce").as_string());
    Reply v = call(*c, "POST", "/api/v1/me/verification", token,
                   json::serialize(json::object{{"assertion", verifier.assertion("https://localhost", nonce)}}));
    REQUIRE_MESSAGE(v.status == 200, v.body);
    return sign_in(login, "correct horse battery");
  }
  std::string citizen_card(const std::string& resident) {
    Reply r = call(*c, "GET", "/api/v1/me/citizen-card", resident);
    REQUIRE_MESSAGE(r.status == 200, r.body);
    return std::string(parse(r).at("token").as_string());
  }
  json::value expect(const std::string& method, const std::string& path, const std::string& token, const json::object& body,
                     unsigned status) {
    Reply r = call(*c, method, path, token, method == "GET" ? "" : json::serialize(body));
    REQUIRE_MESSAGE(r.status == status, (method + " " + path + " -> " + std::to_string(r.status) + " " + r.body));
    return r.body.empty() ? json::value() : parse(r);
  }
};

}  // namespace

TEST_CASE("a card linked with the citizen card at the counter; hold ready reaches the inbox; checkout by citizen card") {
  Library lib;
  std::string hanako = lib.verified("hanako@example.jp");
  lib.expect("POST", "/apps/library/staff/cards", lib.staff, {{"card", "3000001"}, {"pin", "2468"}}, 201);
  // Linking at the counter: staff scan the resident's citizen card — no PIN needed.
  lib.expect("POST", "/apps/library/staff/cards/3000001/link", lib.staff, {{"citizen_card", lib.citizen_card(hanako)}}, 200);
  CHECK(lib.expect("GET", "/apps/library/me", hanako, {}, 200).at("card").as_string() == "***0001");
  // A resident cannot use the staff desk, and a spent citizen card does not link again.
  lib.expect("POST", "/apps/library/staff/cards", hanako, {{"card", "3000002"}, {"pin", "2468"}}, 403);

  auto hold = lib.expect("POST", "/apps/library/me/holds", hanako, {{"isbn", "978-4-901-01000-9"}, {"branch", "central"}}, 201);
  CHECK(hold.at("status").as_string() == "ready");
  auto pass = lib.s.scheduler.run_once(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch()).count());
  CHECK(pass.notifications == 1);
  auto inbox = lib.expect("GET", "/api/v1/me/notifications", hanako, {}, 200).at("items").as_array();
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].at("title").as_string() == "予約の本が用意できました: こころ");

  // Checkout by citizen card: the card resolves to the resident, the resident to the library card.
  auto loan = lib.expect("POST", "/apps/library/staff/checkout", lib.staff,
                         {{"copy", "100001"}, {"citizen_card", lib.citizen_card(hanako)}}, 201);
  CHECK(loan.at("card").as_string() == "3000001");
  auto me = lib.expect("GET", "/apps/library/me", hanako, {}, 200);
  CHECK(me.at("holds").as_array().empty());
  REQUIRE(me.at("loans").as_array().size() == 1);
  CHECK(me.at("loans").at(0).at("title").as_string() == "こころ");

  // Bad input: precise errors, the loan stays, the server keeps serving.
  Reply malformed = call(*lib.c, "POST", "/apps/library/staff/checkout", lib.staff, "{\"copy\": ");
  CHECK(malformed.status == 400);
  lib.expect("POST", "/apps/library/staff/checkout", lib.staff, {{"copy", "100001"}, {"citizen_card", "not-a-card"}}, 403);
  lib.expect("POST", "/apps/library/me/card", hanako, {{"card", "3000001"}}, 400);
  CHECK(lib.expect("GET", "/apps/library/me", hanako, {}, 200).at("loans").as_array().size() == 1);
  // Residents who never linked a card are told how to.
  std::string taro = lib.sign_up("taro@example.jp");
  Reply no_card = call(*lib.c, "POST", "/apps/library/me/holds", taro, R"({"isbn": "9784901010009", "branch": "central"})");
  CHECK(no_card.status == 409);
  CHECK(no_card.body.find("link your library card first") != std::string::npos);
}

TEST_CASE("50 concurrent holds and checkouts on one copy, 20 rounds: exactly one winner each time") {
  Library lib(R"(, "hold_limit": 1000, "loan_limit": 1000)");
  constexpr int kRounds = 20, kResidents = 25, kDesks = 25;

  // 20 books with one copy each at central, uploaded as the catalogue.
  std::string csv = "isbn,title,branch,copy_id\n";
  std::vector<std::string> isbns;
  for (int r = 0; r < kRounds; ++r) {
    char twelve[16];
    std::snprintf(twelve, sizeof twelve, "97849990%04d", r);
    isbns.push_back(isbn13(twelve));
    csv += isbns.back() + ",一冊だけの本 " + std::to_string(r) + ",central,R" + std::to_string(r) + "\n";
  }
  Reply upload = call(*lib.c, "PUT", "/apps/library/staff/catalogue", lib.staff, csv);
  REQUIRE_MESSAGE(upload.status == 200, upload.body);

  // 25 residents with linked cards (holds), 25 other cards for the staff desk (checkouts).
  std::vector<std::string> residents;
  for (int i = 0; i < kResidents; ++i) {
    std::string card = "41" + std::to_string(1000 + i);
    lib.expect("POST", "/apps/library/staff/cards", lib.staff, {{"card", card}, {"pin", "1357"}}, 201);
    residents.push_back(lib.sign_up("reader" + std::to_string(i) + "@example.jp"));
    lib.expect("POST", "/apps/library/me/card", residents.back(), {{"card", card}, {"pin", "1357"}}, 201);
  }
  for (int i = 0; i < kDesks; ++i) {
    lib.expect("POST", "/apps/library/staff/cards", lib.staff, {{"card", "42" + std::to_string(1000 + i)}, {"pin", "1357"}}, 201);
  }

  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    std::vector<Reply> replies(kResidents + kDesks);
    std::latch start(kResidents + kDesks);
    std::vector<std::thread> threads;
    for (int i = 0; i < kResidents + kDesks; ++i) {
      threads.emplace_back([&, i] {
        HttpClient client(lib.s.port());
        start.arrive_and_wait();
        if (i < kResidents) {
          replies[static_cast<size_t>(i)] =
              call(client, "POST", "/apps/library/me/holds", residents[static_cast<size_t>(i)],
                   json::serialize(json::object{{"isbn", isbns[static_cast<size_t>(round)]}, {"branch", "central"}}));
        } else {
          replies[static_cast<size_t>(i)] =
              call(client, "POST", "/apps/library/staff/checkout", lib.staff,
                   json::serialize(json::object{{"copy", "R" + std::to_string(round)},
                                                {"card", "42" + std::to_string(1000 + i - kResidents)}}));
        }
      });
    }
    for (auto& t : threads) t.join();

    int winners = 0, checkouts = 0, ready = 0;
    std::set<int64_t> positions;
    for (int i = 0; i < kResidents + kDesks; ++i) {
      const Reply& r = replies[static_cast<size_t>(i)];
      if (i < kResidents) {
        REQUIRE_MESSAGE(r.status == 201, r.body);  // a hold is always placed: ready or queued
        auto hold = parse(r);
        if (hold.at("status").as_string() == "ready") ++ready;
        else positions.insert(hold.at("position").as_int64());
      } else {
        REQUIRE_MESSAGE((r.status == 201 || r.status == 409), r.body);  // never a 5xx
        if (r.status == 201) ++checkouts;
      }
    }
    winners = ready + checkouts;
    CHECK(winners == 1);
    // Queue positions are taken as the holds are placed: a later hold is never ahead of an
    // earlier one, and the one that got the copy (if any) takes no place.
    CHECK(positions.size() == static_cast<size_t>(kResidents - ready));
    // The copy is in exactly the state the winner left it in.
    auto book = lib.expect("GET", "/apps/library/books/" + isbns[static_cast<size_t>(round)], "", {}, 200);
    auto copy = book.at("copies").at(0);
    CHECK(copy.at("state").as_string() == (checkouts == 1 ? "on_loan" : "reserved"));
  }
  // The mini-app kept serving through it all.
  auto overview = lib.expect("GET", "/apps/library/", "", {}, 200);
  CHECK(overview.at("copies").as_int64() == kRounds);
}
