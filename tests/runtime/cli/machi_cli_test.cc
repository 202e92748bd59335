// Runs the real `machi` binary and checks what an operator or vendor sees.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/plugin/plugin_loader.h"
#include "tests/support/scratch_dir.h"

namespace {

struct Run {
  int exit_code;
  std::string output;  // stdout and stderr
};

Run run(const std::string& args) {
  std::string command = std::string(MACHI_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe);
  std::string output;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

std::string fixture(const std::string& name) {
  return std::string(MACHI_FIXTURE_DIR) + "/" + name + ".so";
}
std::string hello() { return std::string(MACHI_PLUGIN_DIR) + "/hello.so"; }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("machi plugin-info prints ABI version, id, version and hooks") {
  Run r = run("plugin-info " + hello());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "abi:         " + machi::runtime_abi_version()));
  CHECK(contains(r.output, "id:          hello"));
  CHECK(contains(r.output, "version:     1.0.0"));
  CHECK(contains(r.output, "non-blocking"));
  CHECK(contains(r.output, "on_config_validate"));
  CHECK_FALSE(contains(r.output, "on_event"));
}

TEST_CASE("the disaster mini-app answers without data files; its config problems name their pointer") {
  std::string so = std::string(MACHI_PLUGIN_DIR) + "/disaster_learning.so";
  Run ok = run("plugin-call " + so + " /");
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.output, "\"evacuation_sites\":0"));
  CHECK(contains(ok.output, "\"shelters\":0"));
  Run bad = run("plugin-call " + so +
                " --config '{\"hazards\": [\"meteor\"], \"photo_max_bytes\": 5, \"districts\": {\"honjo\": {\"latitude\": 95}}}' /");
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.output, "config/hazards: 'meteor' is not a hazard"));
  CHECK(contains(bad.output, "config/photo_max_bytes: must be between 10240 and 1000000"));
  CHECK(contains(bad.output, "config/districts/honjo/latitude: must be between"));
  CHECK(contains(bad.output, "config/districts/honjo/longitude: is required"));
}

TEST_CASE("childcare answers without data files and says so; its config problems name their pointer") {
  std::string so = std::string(MACHI_PLUGIN_DIR) + "/childcare.so";
  Run ok = run("plugin-call " + so + " /");
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.output, "\"rules\":null"));
  CHECK(contains(ok.output, "\"facilities\":0"));
  Run bad = run("plugin-call " + so + " --config '{\"reminder_days\": 99, \"rules_file\": \"../x.json\"}' /");
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.output, "config/reminder_days: must be between 0 and 60"));
  CHECK(contains(bad.output, "config/rules_file: must be a file name in the data_dir"));
}

TEST_CASE("the library answers from an empty catalogue; its config problems name their pointer") {
  std::string so = std::string(MACHI_PLUGIN_DIR) + "/library.so";
  Run ok = run("plugin-call " + so + " --config '{\"branches\": [{\"id\": \"central\", \"name\": \"中央\"}]}' /");
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.output, "\"books\":0"));
  Run bad = run("plugin-call " + so + " --config '{\"branches\": [], \"pickup_days\": 0}' /");
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.output, "config/branches: must list at least one branch"));
  CHECK(contains(bad.output, "config/pickup_days: must be between 1 and 60"));
}

TEST_CASE("the garbage calendar's config problems name their JSON pointer; without data it says so") {
  std::string so = std::string(MACHI_PLUGIN_DIR) + "/garbage_calendar.so";
  Run bad = run("plugin-call " + so +
                " --config '{\"suspension\": \"weekly\", \"layout\": {\"area\": 3, \"first_category\": 1},"
                " \"closures\": [{\"from\": \"12/32\", \"to\": \"01/03\"}], \"reminders\": {\"evening\": \"7pm\"}}' /");
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.output, "config/suspension: must be \"skip\" or \"week_shift\""));
  CHECK(contains(bad.output, "config/layout/first_category: must come after the area column"));
  CHECK(contains(bad.output, "config/closures/0: must be"));
  CHECK(contains(bad.output, "config/reminders/evening: must be HH:MM"));
  Run empty = run("plugin-call " + so + " /");
  CHECK(contains(empty.output, "no_data"));
}

TEST_CASE("machi plugin-info refuses with the file and both versions, exit 1") {
  Run r = run("plugin-info " + fixture("wrong_major"));
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, fixture("wrong_major")));
  CHECK(contains(r.output, "ABI 2.0"));
  CHECK(contains(r.output, "ABI " + machi::runtime_abi_version()));
  CHECK(run("plugin-info").exit_code == 2);
}

TEST_CASE("machi plugin-call sends one request and prints the answer") {
  Run r = run("plugin-call " + hello() + " --config '{\"greeting\":\"ようこそ\"}' --claim name=花子 /");
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "200 application/json"));
  CHECK(contains(r.output, R"("message":"ようこそ")"));
  CHECK(contains(r.output, R"("name":"花子")"));

  Run bad = run("plugin-call " + hello() + " --config '{\"greeting\":\"\"}' /");
  CHECK(bad.exit_code == 1);
  CHECK(contains(bad.output, "config/greeting: must not be empty"));

  Run failing = run("plugin-call " + fixture("hook_throws") + " /throw");
  CHECK(failing.exit_code == 1);
  CHECK(contains(failing.output, "500"));
}

TEST_CASE("machi serve --once loads the demo manifest's mini-apps") {
  machi::test::ScratchDir data;
  Run r = run("serve --once --manifest " MACHI_SOURCE_DIR "/manifests/demo.json --plugin-dir " +
              std::string(MACHI_PLUGIN_DIR) + " --data " + data.path().string());
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "municipality demo"));
  for (const char* id : {"garbage", "library", "childcare", "counter", "bousai", "welcome"}) {
    CAPTURE(id);
    CHECK(contains(r.output, std::string("  ") + id + " "));
    CHECK(std::filesystem::exists(data / "demo/apps" / (std::string(id) + ".db")));
  }
  CHECK(contains(r.output, "welcome-residents    disabled"));
  CHECK_FALSE(std::filesystem::exists(data / "demo/apps/welcome-residents.db"));
}

TEST_CASE("machi serve reports every manifest problem and plugin failure, exit 1") {
  machi::test::ScratchDir dir;
  std::ofstream(dir / "broken.json") << R"({"municipality": "Bad Id", "name": "x",
    "mini_apps": [{"id": "a", "plugin": "hello.so", "order": -1},
                  {"id": "a", "plugin": 7}]})";
  Run r = run("serve --once --manifest " + (dir / "broken.json").string());
  CHECK(r.exit_code == 1);
  CHECK(contains(r.output, "/municipality: must be 1–64 characters"));
  CHECK(contains(r.output, "/public_url: is required"));
  CHECK(contains(r.output, "/mini_apps/0/order"));
  CHECK(contains(r.output, "/mini_apps/1/plugin: must be a string"));
  CHECK(contains(r.output, "/mini_apps/1/id: duplicate mini-app id 'a'"));

  std::ofstream(dir / "plugins.json") << R"({"municipality": "t", "name": "T",
    "public_url": "https://t.example", "hostnames": ["t.example"], "timezone": "Asia/Tokyo",
    "mini_apps": [
      {"id": "ok", "name": "OK", "plugin": "hello.so"},
      {"id": "bad-config", "name": "B", "plugin": "hello.so", "config": {"greeting": ""}},
      {"id": "missing", "name": "M", "plugin": "nope.so"},
      {"id": "old", "name": "O", "plugin": ")" + fixture("wrong_major") + R"("},
      {"id": "off", "name": "Off", "plugin": "nope.so", "enabled": false}]})";
  Run p = run("serve --once --manifest " + (dir / "plugins.json").string() + " --plugin-dir " +
              MACHI_PLUGIN_DIR + " --data " + (dir / "data").string());
  CHECK(p.exit_code == 1);
  const std::string reasons[] = {"/mini_apps/1/config/greeting: must not be empty",
                                 "/mini_apps/2 ('missing'): manifest", "mini-app 'missing': plugin 'nope.so' not found", "ABI 2.0"};
  for (const auto& reason : reasons) CHECK(contains(p.output, reason));
  // Start with what works: the municipality loads, 'ok' serves, the three failed ones are listed.
  CHECK(contains(p.output, "municipality t "));
  CHECK(contains(p.output, "  ok                   hello"));
  CHECK(contains(p.output, "  missing              FAILED, serving the others"));

  // machi check says the same, with the same reasons, without keeping any data.
  Run c = run("check " + (dir / "plugins.json").string() + " --plugin-dir " + MACHI_PLUGIN_DIR);
  CHECK(c.exit_code == 1);
  for (const auto& reason : reasons) CHECK(contains(c.output, reason));
  CHECK(contains(c.output, "/mini_apps/3 ('old'): plugin"));
  CHECK_FALSE(contains(c.output, "/mini_apps/4"));  // disabled: not checked
  CHECK_FALSE(contains(c.output, ": ok ("));
}

TEST_CASE("machi check passes the demo manifest, finding plugins beside the binary") {
  Run r = run("check " MACHI_SOURCE_DIR "/manifests/demo.json");
  CHECK(r.exit_code == 0);
  CHECK(contains(r.output, "demo.json: ok (7 mini-apps)"));
  Run elsewhere = run("check " MACHI_SOURCE_DIR "/manifests/demo.json --plugin-dir /nonexistent");
  CHECK(elsewhere.exit_code == 1);
  CHECK(contains(elsewhere.output, "/mini_apps/0 ('garbage'): manifest"));
}

TEST_CASE("machi check imports a mini-app's data as serve would: Kanazawa's published set passes with its warnings") {
  machi::test::ScratchDir dir;
  auto manifest = [&](const std::string& data_dir) {
    return R"({"municipality": "k", "name": "K", "public_url": "https://k.example", "hostnames": ["k.example"],
      "timezone": "Asia/Tokyo", "mini_apps": [{"id": "gomi", "name": "ごみ", "plugin": "garbage_calendar.so",
      "data_dir": ")" + data_dir + R"(", "config": {"suspension": "week_shift"}}]})";
  };
  std::ofstream(dir / "kanazawa.json") << manifest(MACHI_SOURCE_DIR "/tests/fixtures/5374/kanazawa");
  Run ok = run("check " + (dir / "kanazawa.json").string() + " --plugin-dir " + MACHI_PLUGIN_DIR);
  CHECK(ok.exit_code == 0);
  CHECK(contains(ok.output, "kanazawa.json: ok (1 mini-apps, "));
  CHECK(contains(ok.output, "warning: /mini_apps/0 ('gomi'): target.csv:39:1: category '市で収集しない' is not in description.csv"));
  CHECK(contains(ok.output, "would serve degraded: 3 data warning(s)"));
  // Nothing usable: refused, as serve would refuse to start the mini-app.
  std::filesystem::create_directories(dir / "broken");
  std::ofstream(dir / "broken" / "area_days.csv") << "地名,センター,燃やすごみ\n";
  std::ofstream(dir / "broken.json") << manifest((dir / "broken").string());
  Run refused = run("check " + (dir / "broken.json").string() + " --plugin-dir " + MACHI_PLUGIN_DIR);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "area_days.csv: no area rows"));
  CHECK_FALSE(contains(refused.output, ": ok ("));
}
