// Live manifests: changes made on disk reach the running server through the libuv watcher and
// are applied atomically under load; invalid changes are kept out and reported.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <fstream>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// Replaces `target` with `source` the way a deploy does: copy aside, then rename over.
void deploy(const fs::path& source, const fs::path& target) {
  fs::path temp = target.string() + ".new";
  fs::copy_file(source, temp, fs::copy_options::overwrite_existing);
  fs::rename(temp, target);
}

std::string apps_json(int round) {
  // Each round changes something real: the order and the config of "notes".
  return R"({"id": "v", "name": "Versioned", "plugin": "versioned.so", "order": )" +
         std::to_string(round % 2 ? 1 : 3) + R"(},
    {"id": "notes", "name": "Notes", "plugin": "notes.so", "order": 2,
     "config": {"round": )" + std::to_string(round) + "}}";
}

uint64_t generation(TestServer& s) {
  auto all = s.municipalities.all();
  return all.empty() ? 0 : all.front()->generation;
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return done();
}

}  // namespace

TEST_CASE("50 manifest reloads under concurrent load, one swapping a plugin version") {
  TestServer s({}, 4);
  fs::path plugins = s.dir / "plugins";
  fs::create_directories(plugins);
  deploy(fixture_dir() + "/versioned_v1.so", plugins / "versioned.so");
  fs::copy_file(fixture_dir() + "/notes.so", plugins / "notes.so");
  std::string manifest_name = "city.json";
  auto manifest = s.write_manifest(manifest_name, manifest_json("city", "localhost", apps_json(0)));
  Municipalities& m = s.municipalities;  // looks in <dir>/plugins first
  REQUIRE(m.load(manifest).empty());
  std::weak_ptr<MiniAppInstance> v1_instance = m.all().front()->find("v")->instance;
  s.watch({s.dir.path(), plugins}, std::chrono::milliseconds(20));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, failed{0}, saw_v1{0}, saw_v2{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t) {
    load.emplace_back([&, t] {
      HttpClient c(s.port());
      while (!stop.load()) {
        Reply r = c.get(t == 2 ? "/apps/notes/config" : "/apps/v/");
        if (r.status < 200 || r.status > 299) {
          failed++;
          continue;
        }
        ok++;
        if (t == 2) continue;
        auto answer = json::parse(r.body).at("answer").as_string();
        (answer == "v1" ? saw_v1 : saw_v2)++;
      }
    });
  }

  for (int round = 1; round <= 50; ++round) {
    uint64_t before = generation(s);
    if (round == 25) {
      deploy(fixture_dir() + "/versioned_v2.so", plugins / "versioned.so");
    } else {
      s.write_manifest(manifest_name, manifest_json("city", "localhost", apps_json(round)));
    }
    REQUIRE_MESSAGE(wait_for([&] { return generation(s) > before; }, std::chrono::seconds(5)),
                    "reload " << round << " was not applied");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // let load run on each version
  }
  stop = true;
  for (auto& t : load) t.join();

  CHECK(failed.load() == 0);
  CHECK(ok.load() > 200);
  CHECK(saw_v1.load() > 0);
  CHECK(saw_v2.load() > 0);
  auto now = m.all().front();
  CHECK(now->find("v")->instance->plugin().version == "2.0.0");
  CHECK(json::parse(HttpClient(s.port()).get("/apps/notes/config").body).at("round").as_int64() == 50);
  // The old version's instance was destroyed once its last request finished.
  CHECK(wait_for([&] { return v1_instance.expired(); }, std::chrono::seconds(2)));
  MESSAGE("requests during reloads: " << ok.load() << " ok, v1 " << saw_v1.load() << ", v2 "
                                      << saw_v2.load());
}

TEST_CASE("an invalid change keeps the last good manifest and is reported in /readyz, which stays ready") {
  TestServer s;
  auto manifest = s.write_manifest("city.json", manifest_json("city", "localhost", R"(
    {"id": "hello", "name": "H", "plugin": "hello.so", "config": {"greeting": "good"}})"));
  REQUIRE(s.municipalities.load(manifest).empty());
  s.watch({s.dir.path()}, std::chrono::milliseconds(20));
  HttpClient c(s.port());
  CHECK(c.get("/readyz").status == 200);

  // Not JSON at all (an editor's half-written file), then a config the plugin refuses.
  const std::vector<std::pair<std::string, std::string>> bad_changes = {
      {R"({"municipality": "city", )", "not JSON"},
      {manifest_json("city", "localhost", R"({"id": "hello", "name": "H", "plugin": "hello.so",
                                              "config": {"greeting": ""}})"),
       "/mini_apps/0/config/greeting: must not be empty"}};
  for (const auto& [bad, expected] : bad_changes) {
    const std::string& expected_text = expected;  // CAPTURE cannot capture a binding (clang 14)
    CAPTURE(expected_text);
    s.write_manifest("city.json", bad);
    REQUIRE(wait_for([&, &expected = expected] {
      Reply r = c.get("/readyz");
      return r.status == 200 && r.body.find(expected) != std::string::npos;
    }, std::chrono::seconds(5)));
    // The last good manifest keeps serving.
    CHECK(json::parse(c.get("/apps/hello/").body).at("message").as_string() == "good");
  }

  s.write_manifest("city.json", manifest_json("city", "localhost", R"(
    {"id": "hello", "name": "H", "plugin": "hello.so", "config": {"greeting": "fixed"}})"));
  REQUIRE(wait_for([&] {
    return json::parse(c.get("/readyz").body).at("municipalities").at(0).at("problems").as_array().empty();
  }, std::chrono::seconds(5)));
  CHECK(json::parse(c.get("/apps/hello/").body).at("message").as_string() == "fixed");
}

TEST_CASE("an unchanged mount keeps its instance across reloads; a changed one gets a new one") {
  TestServer s;
  std::string apps = R"({"id": "a", "name": "A", "plugin": "notes.so", "config": {"k": 1}},
                        {"id": "b", "name": "B", "plugin": "notes.so", "config": {"k": 1}})";
  REQUIRE(s.load("m.json", manifest_json("m", "localhost", apps)).empty());
  auto first = s.municipalities.all().front();
  std::string changed = R"({"id": "a", "name": "A2", "plugin": "notes.so", "order": 9, "config": {"k": 1}},
                           {"id": "b", "name": "B", "plugin": "notes.so", "config": {"k": 2}})";
  REQUIRE(s.load("m.json", manifest_json("m", "localhost", changed)).empty());
  auto second = s.municipalities.all().front();
  CHECK(second->generation > first->generation);
  CHECK(second->find("a")->instance == first->find("a")->instance);  // name/order only
  CHECK(second->find("b")->instance != first->find("b")->instance);  // config changed
  CHECK(second->find("a")->entry.name == "A2");
}
