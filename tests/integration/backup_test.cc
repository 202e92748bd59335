// Backup while serving and a restore drill with real `machi serve` processes: the restored city
// keeps its residents, their passwords and tokens (signing keys), their pairwise subjects (the
// pairwise secret) and the mini-apps' data; a damaged backup is refused before anything moves.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include "machi/plugin_api.h"
#include "tests/support/http_client.h"
#include "tests/support/run_command.h"
#include "tests/support/machi_process.h"
#include "tests/support/scratch_dir.h"
#include "tests/support/test_server.h"

using namespace machi;
using namespace machi::test;
namespace json = boost::json;

namespace {

std::string machi_bin() { return MACHI_BINARY; }

json::value body_of(const Reply& r) { return json::parse(r.body); }

std::string the_manifest() {
  return manifest_json("demo", "localhost",
                       R"({"id": "notes", "name": "N", "plugin": ")" + std::string(MACHI_FIXTURE_DIR) + R"(/notes.so"})");
}

}  // namespace

TEST_CASE("restore drill: a backup taken under writes restores the whole city on a fresh data directory") {
  ScratchDir a, b;
  std::ofstream(a / "m.json") << the_manifest();
  std::ofstream(b / "m.json") << the_manifest();
  uint16_t port = free_port();
  auto first = std::make_unique<MachiProcess>(a.path(), port);
  HttpClient c(port);
  Reply registered = call(c, "POST", "/api/v1/auth/register", "",
                          R"({"login": "hanako@example.jp", "password": "correct horse battery", "display_name": "花子"})");
  REQUIRE_MESSAGE(registered.status == 201, registered.body);
  std::string token(body_of(registered).at("access_token").as_string());
  std::string subject(body_of(call(c, "GET", "/apps/notes/whoami", token)).at(MACHI_CLAIM_SUBJECT).as_string());

  // A writer keeps adding notes while the backup runs.
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};
  std::thread writer([&] {
    HttpClient w(port);
    for (int i = 0; !stop; ++i) {
      Reply r = call(w, "POST", "/apps/notes/notes", token, "note " + std::to_string(i));
      if (r.status == 201) ++acknowledged;
    }
  });
  while (acknowledged < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int before_backup = acknowledged;
  auto backed_up = run_command(machi_bin() + " backup --data " + (a / "data").string() + " " + (a / "backup").string());
  int after_backup = acknowledged;
  stop = true;
  writer.join();
  REQUIRE_MESSAGE(backed_up.first == 0, backed_up.second);
  CHECK(backed_up.second.find("backed up") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(a / "backup" / "plugin-cache"));
  CHECK(std::filesystem::exists(a / "backup" / "backup.json"));
  auto mode = std::filesystem::status(a / "backup" / "demo" / "runtime.db").permissions();
  CHECK((mode & (std::filesystem::perms::group_all | std::filesystem::perms::others_all)) == std::filesystem::perms::none);
  first.reset();  // the old machine is gone

  // Refusals first: a damaged copy, then a target that holds data.
  std::filesystem::copy(a / "backup", b / "damaged", std::filesystem::copy_options::recursive);
  {
    std::fstream key(b / "damaged" / "demo" / "vapid.pem", std::ios::in | std::ios::out | std::ios::binary);
    key.seekp(40);
    key.put('#');
  }
  auto damaged = run_command(machi_bin() + " restore --data " + (b / "data").string() + " " + (b / "damaged").string());
  CHECK(damaged.first == 1);
  CHECK(damaged.second.find("demo/vapid.pem does not match its SHA-256") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(b / "data"));

  auto restored = run_command(machi_bin() + " restore --data " + (b / "data").string() + " " + (a / "backup").string());
  REQUIRE_MESSAGE(restored.first == 0, restored.second);
  auto again = run_command(machi_bin() + " restore --data " + (b / "data").string() + " " + (a / "backup").string());
  CHECK(again.first == 1);
  CHECK(again.second.find("--force") != std::string::npos);

  // The restored city: same token (keys), same password, same subject (secret), the notes.
  MachiProcess second(b.path(), port);
  HttpClient d(port);
  Reply me = call(d, "GET", "/api/v1/me", token);
  CHECK_MESSAGE(me.status == 200, me.body);
  Reply signed_in = call(d, "POST", "/api/v1/auth/token", "",
                         R"({"grant_type": "password", "login": "hanako@example.jp", "password": "correct horse battery"})");
  CHECK(signed_in.status == 200);
  CHECK(body_of(call(d, "GET", "/apps/notes/whoami", token)).at(MACHI_CLAIM_SUBJECT).as_string() == subject);
  json::value notes = body_of(call(d, "GET", "/apps/notes/notes", token));
  int restored_notes = static_cast<int>(notes.at("notes").as_array().size());
  CHECK(restored_notes >= before_backup);  // everything acknowledged before the backup began
  CHECK(restored_notes <= after_backup);
  // A snapshot, not a mix: the notes are exactly the first N written.
  for (int i = 0; i < restored_notes; ++i) {
    REQUIRE(notes.at("notes").as_array()[i].as_string() == "note " + std::to_string(i));
  }

  // --force replaces a data directory and keeps the old one beside it.
  second.kill9();
  auto forced = run_command(machi_bin() + " restore --force --data " + (b / "data").string() + " " + (a / "backup").string());
  CHECK_MESSAGE(forced.first == 0, forced.second);
  CHECK(forced.second.find("kept as") != std::string::npos);
  size_t kept = 0;
  for (const auto& e : std::filesystem::directory_iterator(b.path())) {
    if (e.path().filename().string().starts_with("data.replaced-")) ++kept;
  }
  CHECK(kept == 1);
}

TEST_CASE("backup refuses a non-empty target and a missing data directory; restore refuses a non-backup") {
  ScratchDir d;
  std::filesystem::create_directories(d / "data" / "demo");
  std::ofstream(d / "data" / "demo" / "vapid.pem") << "x";
  std::filesystem::create_directories(d / "out");
  std::ofstream(d / "out" / "something") << "y";
  auto busy = run_command(machi_bin() + " backup --data " + (d / "data").string() + " " + (d / "out").string());
  CHECK(busy.first == 1);
  CHECK(busy.second.find("not empty") != std::string::npos);
  auto missing = run_command(machi_bin() + " backup --data " + (d / "nowhere").string() + " " + (d / "out2").string());
  CHECK(missing.first == 1);
  CHECK(missing.second.find("no such data directory") != std::string::npos);
  auto not_backup = run_command(machi_bin() + " restore --data " + (d / "new").string() + " " + (d / "out").string());
  CHECK(not_backup.first == 1);
  CHECK(not_backup.second.find("not a machi backup") != std::string::npos);
  std::ofstream(d / "out" / "backup.json") << R"({"format": 1, "files": [{"path": "../escape", "sha256": "00"}]})";
  auto escape = run_command(machi_bin() + " restore --data " + (d / "new").string() + " " + (d / "out").string());
  CHECK(escape.first == 1);
  CHECK(escape.second.find("leaves the backup") != std::string::npos);
  CHECK(run_command(machi_bin() + " backup").first == 2);
}
