// Fault containment through a real `machi serve` process: a vendor's broken build, data or
// exception costs only that mini-app. Damaged builds (truncated at 1–90 %, empty, random bytes,
// truncated in place) are deployed while a load runs against two other mini-apps; a mini-app
// that throws keeps the node ready and recovers; mounts that cannot start at start-up leave the
// rest serving, answer 503 with their reason and come up when their files are fixed; machi check
// refuses those manifests with the same reasons.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <atomic>
#include <fstream>
#include <random>
#include <thread>

#include "tests/support/http_client.h"
#include "tests/support/machi_process.h"
#include "tests/support/run_command.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/test_server.h"
#include "runtime/plugin/health_tracker.h"

using namespace machi;
using namespace machi::test;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const fs::path& p, std::string_view bytes) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

// As a deploy tool does it: write beside, then rename over the served file.
void deploy_bytes(const fs::path& target, std::string_view bytes) {
  fs::path temp = target.string() + ".tmp";
  write_file(temp, bytes);
  fs::rename(temp, target);
}

void write_manifest(const fs::path& file, const std::string& json) {
  fs::path temp = file.string() + ".tmp";
  std::ofstream(temp) << json;
  fs::rename(temp, file);
}

json::value readyz(uint16_t port, unsigned* status = nullptr) {
  Reply r = HttpClient(port).get("/readyz");
  if (status) *status = r.status;
  return json::parse(r.body);
}

// The state and reason /readyz gives a mini-app ("" when it is not listed).
std::pair<std::string, std::string> state_of(const json::value& ready, const std::string& id) {
  for (const auto& m : ready.at("municipalities").as_array()) {
    const auto* apps = m.as_object().if_contains("mini_apps");
    if (!apps) continue;
    for (const auto& a : apps->as_array()) {
      if (a.at("id").as_string() != id) continue;
      const auto* reason = a.as_object().if_contains("reason");
      return {std::string(a.at("state").as_string()), reason ? std::string(reason->as_string()) : ""};
    }
  }
  return {"", ""};
}

// <dir>/plugins holding copies of built plugins: {file in the build, name to give it}.
fs::path plugin_dir_with(const ScratchDir& dir, std::initializer_list<std::pair<fs::path, std::string>> plugins) {
  fs::path out = dir / "plugins";
  fs::create_directories(out);
  for (const auto& [from, name] : plugins) fs::copy_file(from, out / name);
  return out;
}

MachiProcessOptions process_options(const fs::path& plugins) {
  MachiProcessOptions o;
  o.plugin_dir = plugins;
  return o;
}

std::pair<int, std::string> check_manifest(const fs::path& manifest, const fs::path& plugins) {
  return run_command(std::string(MACHI_BINARY) + " check " + manifest.string() + " --plugin-dir " + plugins.string());
}

std::string problems_text(const json::value& ready) {
  std::string out;
  for (const auto& m : ready.at("municipalities").as_array()) {
    for (const auto& p : m.at("problems").as_array()) out += std::string(p.as_string()) + "\n";
  }
  return out;
}

}  // namespace

TEST_CASE("damaged builds deployed under load: the process lives, the others answer everything, the old build serves") {
  ScratchDir dir;
  fs::path plugins = plugin_dir_with(dir, {{fs::path(MACHI_PLUGIN_DIR) / "hello.so", "hello.so"},
                                           {fs::path(MACHI_FIXTURE_DIR) / "notes.so", "notes.so"}});
  const std::string good = read_file(fs::path(MACHI_FIXTURE_DIR) / "versioned_v1.so");
  write_file(plugins / "victim.so", good);
  write_manifest(dir / "m.json", manifest_json("city", "localhost", R"(
    {"id": "hello", "name": "H", "plugin": "hello.so"},
    {"id": "notes", "name": "N", "plugin": "notes.so"},
    {"id": "victim", "name": "V", "plugin": "victim.so"})"));
  uint16_t port = free_port();
  MachiProcess machi(dir.path(), port, process_options(plugins));

  std::atomic<bool> stop{false};
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> load;
  for (const char* path : {"/apps/hello/", "/apps/notes/config"}) {
    load.emplace_back([&, path] {
      auto c = std::make_unique<HttpClient>(port);
      while (!stop.load()) {
        try {
          if (c->get(path).status / 100 == 2) ++ok;
          else ++bad;
        } catch (const std::exception&) {
          ++bad;
          c = std::make_unique<HttpClient>(port);
        }
      }
    });
  }

  std::mt19937 random(20261207);
  std::string noise(good.size(), '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  struct Damage {
    std::string what;
    std::function<void()> apply;
  };
  std::vector<Damage> damages;
  for (int percent : {1, 10, 30, 50, 90}) {
    damages.push_back({std::to_string(percent) + "% of the file", [&, percent] {
                         deploy_bytes(plugins / "victim.so", good.substr(0, good.size() * percent / 100));
                       }});
  }
  damages.push_back({"an empty file", [&] { deploy_bytes(plugins / "victim.so", ""); }});
  damages.push_back({"random bytes", [&] { deploy_bytes(plugins / "victim.so", noise); }});
  damages.push_back({"truncated in place", [&] { fs::resize_file(plugins / "victim.so", 4096); }});

  for (const auto& damage : damages) {
    CAPTURE(damage.what);
    damage.apply();
    // The bad build is kept out with a message naming the file; the node stays ready.
    REQUIRE(eventually([&] { return problems_text(readyz(port)).find("victim.so") != std::string::npos; }));
    unsigned status = 0;
    auto ready = readyz(port, &status);
    CHECK(status == 200);
    CHECK(ready.at("ready").as_bool());
    std::string problem = problems_text(ready);
    CHECK(problem.find("plugin " + (plugins / "victim.so").string() + ": ") != std::string::npos);
    CHECK(machi.alive());
    // The previous build keeps serving.
    Reply answer = HttpClient(port).get("/apps/victim/");
    CHECK(answer.status == 200);
    CHECK(json::parse(answer.body).at("answer").as_string() == "v1");
    // Put the good build back: the problem clears.
    deploy_bytes(plugins / "victim.so", good);
    REQUIRE(eventually([&] { return problems_text(readyz(port)).empty(); }));
  }
  stop = true;
  for (auto& t : load) t.join();
  CHECK(machi.alive());
  CHECK(bad.load() == 0);
  CHECK(ok.load() > 100);
  MESSAGE("requests to the other mini-apps while builds were damaged: " << ok.load() << " ok, " << bad.load() << " not");
  std::string log = read_file(dir / "machi.log");
  CHECK(log.find("the file is truncated or damaged") != std::string::npos);
  CHECK(log.find("not an ELF shared library") != std::string::npos);
  CHECK(log.find("the file is empty") != std::string::npos);
}

TEST_CASE("a build that crashes while loading is opened in a throwaway process first and kept out") {
  ScratchDir dir;
  fs::path plugins = plugin_dir_with(dir, {{fs::path(MACHI_PLUGIN_DIR) / "hello.so", "hello.so"},
                                           {fs::path(MACHI_FIXTURE_DIR) / "crash_on_load.so", "crashy.so"}});
  write_manifest(dir / "m.json", manifest_json("city", "localhost", R"(
    {"id": "hello", "name": "H", "plugin": "hello.so"},
    {"id": "crashy", "name": "C", "plugin": "crashy.so"})"));
  uint16_t port = free_port();
  MachiProcess machi(dir.path(), port, process_options(plugins));
  auto [state, reason] = state_of(readyz(port), "crashy");
  CHECK(state == "failed");
  CHECK(reason.find("kept out: opening it in a test process crashed it (signal SIGABRT)") != std::string::npos);
  CHECK(HttpClient(port).get("/apps/hello/").status == 200);
  Reply failed = HttpClient(port).get("/apps/crashy/");
  CHECK(failed.status == 503);
  CHECK(json::parse(failed.body).at("error").at("code").as_string() == "mini_app_failed");
  CHECK(machi.alive());
}

TEST_CASE("mounts that cannot start leave the rest serving, say why, and come up when fixed, without a restart") {
  ScratchDir dir;
  fs::path plugins = plugin_dir_with(dir, {{fs::path(MACHI_PLUGIN_DIR) / "hello.so", "hello.so"},
                                           {fs::path(MACHI_PLUGIN_DIR) / "garbage_calendar.so", "garbage_calendar.so"}});
  fs::path data = dir / "gomi";
  fs::create_directories(data);
  write_file(data / "area_days.csv", "\x80\x80\x80\n");  // neither UTF-8 nor CP932: nothing usable
  auto manifest_with = [&](const std::string& greeting) {
    return manifest_json("city", "localhost", R"(
      {"id": "hello", "name": "H", "plugin": "hello.so"},
      {"id": "gomi", "name": "ごみ", "plugin": "garbage_calendar.so", "data_dir": "gomi",
       "config": {"layout": {"group": 0, "area": 1, "center": 2, "first_category": 3}}},
      {"id": "missing", "name": "M", "plugin": "later.so"},
      {"id": "refused", "name": "R", "plugin": "hello.so", "config": {"greeting": ")" + greeting + R"("}})");
  };
  write_manifest(dir / "m.json", manifest_with(""));
  uint16_t port = free_port();
  MachiProcess machi(dir.path(), port, process_options(plugins));

  unsigned status = 0;
  auto ready = readyz(port, &status);
  CHECK(status == 200);
  CHECK(state_of(ready, "hello").first == "ok");
  std::map<std::string, std::string> reasons;
  for (const char* id : {"gomi", "missing", "refused"}) {
    auto [state, reason] = state_of(ready, id);
    CAPTURE(id);
    CHECK(state == "failed");
    reasons[id] = reason;
    Reply r = HttpClient(port).get(std::string("/apps/") + id + "/");
    CHECK(r.status == 503);
    CHECK(json::parse(r.body).at("error").at("code").as_string() == "mini_app_failed");
    CHECK(r.body.find(reason) == std::string::npos);  // the reason is for staff, not the public
    Reply screen = HttpClient(port).get(std::string("/apps/") + id + "/ui/");
    CHECK(screen.status == 503);
    CHECK(screen.body.find("ただいまご利用いただけません") != std::string::npos);
  }
  CHECK(reasons["gomi"].find("area_days.csv:1: the bytes are neither UTF-8 nor CP932") != std::string::npos);
  CHECK(reasons["missing"].find("plugin 'later.so' not found") != std::string::npos);
  CHECK(reasons["refused"].find("/mini_apps/3/config/greeting: must not be empty") != std::string::npos);
  CHECK(HttpClient(port).get("/apps/hello/").status == 200);
  std::string metrics = HttpClient(port).get("/metrics").body;
  CHECK(metrics.find("machi_mini_app_state{municipality=\"city\",mini_app=\"missing\"} 2") != std::string::npos);
  CHECK(metrics.find("machi_mini_app_state{municipality=\"city\",mini_app=\"hello\"} 0") != std::string::npos);

  // machi check refuses the same manifest with the same reasons.
  auto [check_status, check_output] = check_manifest(dir / "m.json", plugins);
  CHECK(check_status == 1);
  for (const auto& entry : reasons) {
    CAPTURE(entry.first);
    CHECK(check_output.find(entry.second) != std::string::npos);
  }

  // Fixing each file brings its mini-app up, the process running all along.
  for (const auto& e : fs::directory_iterator(MACHI_5374_SAGA)) {
    if (e.path().extension() == ".csv") deploy_bytes(data / e.path().filename(), read_file(e.path()));
  }
  REQUIRE(eventually([&] { return HttpClient(port).get("/apps/gomi/areas").status == 200; }));
  auto areas = [&] { return json::parse(HttpClient(port).get("/apps/gomi/").body).at("dataset").at("areas").as_int64(); };
  CHECK(areas() == 314);
  // A serving mini-app's data_dir replaced: imported without touching the manifest …
  std::string area_days = read_file(data / "area_days.csv");
  deploy_bytes(data / "area_days.csv", area_days + "1,新しい町,佐賀市清掃工場,月 木,金1 金3,金2 金4,水1 水3,D\n");
  REQUIRE(eventually([&] { return areas() == 315; }));
  CHECK(state_of(readyz(port), "gomi").first == "ok");
  // … and a set that cannot be used keeps the previous one serving, the reason in /readyz.
  deploy_bytes(data / "area_days.csv", "\x80\x80\x80\n");
  REQUIRE(eventually([&] { return state_of(readyz(port), "gomi").first == "degraded"; }));
  CHECK(state_of(readyz(port), "gomi").second.find("the previous data set keeps serving") != std::string::npos);
  CHECK(areas() == 315);
  deploy_bytes(data / "area_days.csv", area_days);
  REQUIRE(eventually([&] { return areas() == 314 && state_of(readyz(port), "gomi").first == "ok"; }));
  fs::copy_file(fs::path(MACHI_PLUGIN_DIR) / "hello.so", plugins / "later.so.tmp");
  fs::rename(plugins / "later.so.tmp", plugins / "later.so");
  REQUIRE(eventually([&] { return HttpClient(port).get("/apps/missing/").status == 200; }));
  write_manifest(dir / "m.json", manifest_with("fixed"));
  REQUIRE(eventually([&] { return HttpClient(port).get("/apps/refused/").status == 200; }));
  CHECK(json::parse(HttpClient(port).get("/apps/refused/").body).at("message").as_string() == "fixed");
  ready = readyz(port);
  for (const char* id : {"hello", "gomi", "missing", "refused"}) CHECK(state_of(ready, id).first == "ok");
  CHECK(machi.alive());
  CHECK(check_manifest(dir / "m.json", plugins).first == 0);
}

TEST_CASE("one mini-app throws: the node stays ready, both isolation modes report the same states and recover alike") {
  TestServer s;
  auto manifest = s.write_manifest("city.json", manifest_json("city", "localhost", R"(
    {"id": "inproc", "name": "I", "plugin": "hook_throws.so"},
    {"id": "remote", "name": "R", "plugin": "hook_throws.so", "isolation": "process"},
    {"id": "hello", "name": "H", "plugin": "hello.so"})"));
  REQUIRE(s.municipalities.load(manifest).empty());
  HttpClient c(s.port());
  auto states = [&] {
    unsigned status = 0;
    auto ready = readyz(s.port(), &status);
    CHECK(status == 200);
    return std::pair{state_of(ready, "inproc"), state_of(ready, "remote")};
  };
  for (const char* id : {"inproc", "remote"}) {
    CAPTURE(id);
    CHECK(c.get(std::string("/apps/") + id + "/throw").status == 500);
  }
  auto [inproc, remote] = states();
  CHECK(inproc.first == "degraded");
  CHECK(remote.first == "degraded");
  CHECK(inproc.second.find("on_request failed internally") != std::string::npos);
  CHECK(remote.second.find("on_request failed internally") != std::string::npos);
  CHECK(state_of(readyz(s.port()), "hello").first == "ok");
  // Evidence: a run of successful requests. One short of it, still degraded; then ok, in both.
  for (uint32_t i = 0; i + 1 < HealthTracker::kRecoverAfter; ++i) {
    for (const char* id : {"inproc", "remote"}) CHECK(c.get(std::string("/apps/") + id + "/").status == 200);
  }
  std::tie(inproc, remote) = states();
  CHECK(inproc.first == "degraded");
  CHECK(remote.first == "degraded");
  for (const char* id : {"inproc", "remote"}) CHECK(c.get(std::string("/apps/") + id + "/").status == 200);
  std::tie(inproc, remote) = states();
  CHECK(inproc.first == "ok");
  CHECK(remote.first == "ok");
  // Evidence: a reload. The manifest saved again unchanged restarts an unhealthy mount.
  for (const char* id : {"inproc", "remote"}) CHECK(c.get(std::string("/apps/") + id + "/throw").status == 500);
  std::tie(inproc, remote) = states();
  CHECK(inproc.first == "degraded");
  CHECK(remote.first == "degraded");
  REQUIRE(s.municipalities.load(manifest).empty());
  std::tie(inproc, remote) = states();
  CHECK(inproc.first == "ok");
  CHECK(remote.first == "ok");
  // The staff status page says the same.
  auto snapshot = s.municipalities.all().front();
  CHECK(app_health(*snapshot->find("inproc")).state == AppState::kOk);
}

TEST_CASE("a data set accepted with warnings serves, and /readyz gives the warnings with file:line:column") {
  TestServer s;
  auto manifest = s.write_manifest("city.json", manifest_json("city", "localhost", R"(
    {"id": "gomi", "name": "ごみ", "plugin": "garbage_calendar.so", "data_dir": ")" +
      std::string(MACHI_5374_KANAZAWA) + R"(", "config": {"suspension": "week_shift"}})"));
  REQUIRE(s.municipalities.load(manifest).empty());
  unsigned status = 0;
  auto ready = readyz(s.port(), &status);
  CHECK(status == 200);
  auto [state, reason] = state_of(ready, "gomi");
  CHECK(state == "degraded");
  CHECK(reason.starts_with("3 data warning(s)"));
  const auto& app = ready.at("municipalities").at(0).at("mini_apps").at(0);
  CHECK(std::string(app.at("detail").at("warnings").at(0).as_string())
            .starts_with("target.csv:39:1: category '市で収集しない' is not in description.csv"));
  CHECK(HttpClient(s.port()).get("/apps/gomi/next?area=" + std::string("%E6%B5%85%E9%87%8E%E5%B7%9D")).status == 200);
}
