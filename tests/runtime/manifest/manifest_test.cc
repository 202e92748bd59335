#include "runtime/manifest/manifest.h"

#include <doctest/doctest.h>

#include <fstream>

#include "tests/support/scratch_dir.h"

using namespace machi;

TEST_CASE("the demo manifest loads, sorted by order, with defaults filled in") {
  std::vector<ManifestProblem> problems;
  auto m = load_manifest(MACHI_SOURCE_DIR "/manifests/demo.json", problems);
  REQUIRE_MESSAGE(m.is_ok(), m.error());
  CHECK(m->municipality_id == "demo");
  CHECK(m->timezone == "Asia/Tokyo");
  CHECK(m->hostnames == std::vector<std::string>{"localhost", "127.0.0.1"});
  CHECK(m->locales.front() == "ja");
  REQUIRE(m->mini_apps.size() == 7);
  for (size_t i = 1; i < m->mini_apps.size(); ++i) {
    CHECK(m->mini_apps[i - 1].order <= m->mini_apps[i].order);
  }
  CHECK(m->mini_apps[0].id == "bousai");  // order 5 comes first whatever its file position
  CHECK(m->mini_apps[0].for_visitors);
  const MiniAppEntry& library = m->mini_apps[2];
  CHECK(library.id == "library");
  CHECK(library.deadline == std::chrono::milliseconds(3000));
  CHECK(library.concurrency == 64);
  CHECK(library.grants.empty());  // a pairwise subject is all the library needs
  CHECK(library.config_json.find("中央図書館") != std::string::npos);
}

TEST_CASE("municipality fields: URL, host names, IANA time zone, grants, audience, limits") {
  test::ScratchDir dir;
  std::ofstream(dir / "m.json") << R"({"municipality": "t", "name": "T",
    "public_url": "https://t.example/?x=1", "hostnames": ["T.example", "ok.example"],
    "timezone": "Asia/Nowhere", "locales": ["ja", "en_US!"],
    "mini_apps": [{"id": "a", "name": "A", "plugin": "a.so", "audience": ["tourists"],
                   "grants": ["name", "password"], "deadline_ms": 0, "concurrency": 0}]})";
  std::vector<ManifestProblem> problems;
  CHECK_FALSE(load_manifest(dir / "m.json", problems).is_ok());
  std::vector<std::string> pointers;
  for (const auto& p : problems) pointers.push_back(p.pointer);
  CHECK(pointers == std::vector<std::string>{
                        "/public_url", "/hostnames/0", "/timezone", "/locales/1",
                        "/mini_apps/0/audience/0", "/mini_apps/0/audience",
                        "/mini_apps/0/deadline_ms", "/mini_apps/0/concurrency",
                        "/mini_apps/0/grants/1"});
  CHECK(problems[2].message == "unknown IANA time zone 'Asia/Nowhere'");
}

TEST_CASE("malformed manifests: not JSON, not an object, every problem with its pointer") {
  test::ScratchDir dir;
  std::vector<ManifestProblem> problems;
  std::ofstream(dir / "a.json") << "{\"municipality\": ";
  auto a = load_manifest(dir / "a.json", problems);
  REQUIRE_FALSE(a.is_ok());
  CHECK(a.error().find("a.json: not JSON") != std::string::npos);

  std::ofstream(dir / "b.json") << "[]";
  CHECK(load_manifest(dir / "b.json", problems).error().find("must be a JSON object") !=
        std::string::npos);

  std::ofstream(dir / "c.json") << R"({"municipality": "c", "name": "C",
    "public_url": "https://c.example", "hostnames": ["c.example"], "timezone": "Asia/Tokyo",
    "mini_apps": [{"id": "x", "name": "X", "plugin": "p.so", "enabled": "yes", "config": []},
                  3]})";
  problems.clear();
  CHECK_FALSE(load_manifest(dir / "c.json", problems).is_ok());
  REQUIRE(problems.size() == 3);
  CHECK(problems[0].pointer == "/mini_apps/0/enabled");
  CHECK(problems[1].pointer == "/mini_apps/0/config");
  CHECK(problems[2].pointer == "/mini_apps/1");
  CHECK(load_manifest(dir / "missing.json", problems).error().find("cannot read") !=
        std::string::npos);
}

TEST_CASE("plugin files resolve in the plugin dirs first, then beside the manifest") {
  test::ScratchDir dir;
  std::filesystem::create_directories(dir / "plugins");
  std::ofstream(dir / "plugins/p.so") << "x";
  std::ofstream(dir / "beside.so") << "x";
  Manifest m;
  m.file = dir / "city.json";
  MiniAppEntry app;
  app.id = "a";
  app.plugin = "p.so";
  CHECK(resolve_plugin(m, app, {dir / "plugins"}).value() == dir / "plugins/p.so");
  app.plugin = "beside.so";
  CHECK(resolve_plugin(m, app, {dir / "plugins"}).value() == dir / "beside.so");
  app.plugin = "none.so";
  auto missing = resolve_plugin(m, app, {dir / "plugins"});
  REQUIRE_FALSE(missing.is_ok());
  CHECK(missing.error().find("searched") != std::string::npos);
}

TEST_CASE("mini-app priority and circuit breaker: defaults, values and problems") {
  test::ScratchDir dir;
  auto load = [&](const std::string& extra, std::vector<ManifestProblem>& problems) {
    std::ofstream(dir / "m.json") << R"({"municipality": "t", "name": "T", "public_url": "https://t.example",
      "hostnames": ["t.example"], "timezone": "Asia/Tokyo",
      "mini_apps": [{"id": "a", "name": "A", "plugin": "a.so")" + extra + "}]}";
    return load_manifest(dir / "m.json", problems);
  };
  std::vector<ManifestProblem> problems;
  auto plain = load("", problems);
  REQUIRE(plain.is_ok());
  CHECK(plain->mini_apps[0].priority == "normal");
  CHECK(plain->mini_apps[0].breaker_failures == 5);
  CHECK(plain->mini_apps[0].breaker_open == std::chrono::milliseconds(10000));
  auto set = load(R"(, "priority": "critical", "breaker": {"failures": 0, "open_ms": 2500})", problems);
  REQUIRE(set.is_ok());
  CHECK(set->mini_apps[0].priority == "critical");
  CHECK(set->mini_apps[0].breaker_failures == 0);
  CHECK(set->mini_apps[0].breaker_open == std::chrono::milliseconds(2500));
  problems.clear();
  CHECK_FALSE(load(R"(, "priority": "urgent", "breaker": {"failures": -1, "open_ms": 5})", problems).is_ok());
  std::vector<std::string> pointers;
  for (const auto& p : problems) pointers.push_back(p.pointer);
  CHECK(pointers == std::vector<std::string>{"/mini_apps/0/priority", "/mini_apps/0/breaker/failures",
                                             "/mini_apps/0/breaker/open_ms"});
  problems.clear();
  CHECK_FALSE(load(R"(, "breaker": 3)", problems).is_ok());
  REQUIRE(problems.size() == 1);
  CHECK(problems[0].pointer == "/mini_apps/0/breaker");
}
