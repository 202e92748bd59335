// Shared set-up for the in-process benchmarks: one municipality served on a loopback port (wired
// as `machi serve` wires it), synthetic residents written straight into a
// municipality's runtime.db (registering 100,000 through scrypt would take hours; everything
// measured afterwards runs through the runtime's own code), and one operator account created the
// way `machi staff add` does.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "runtime/dispatch/worker_pool.h"
#include "runtime/http/http_server.h"
#include "runtime/identity/password_hasher.h"
#include "runtime/routing/municipalities.h"
#include "runtime/routing/router.h"

namespace machi::bench {

inline void exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    std::fprintf(stderr, "sql failed: %s\n", error ? error : "?");
    std::exit(1);
  }
}

// Opens a database for bulk writes from the benchmark (close with sqlite3_close).
inline sqlite3* open_db(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  sqlite3_open(file.c_str(), &db);
  sqlite3_busy_timeout(db, 10'000);
  return db;
}

// N accounts r0@bench … with public ids p0 …, each known to `mount` as subject s0 ….
inline void add_residents(sqlite3* runtime_db, int64_t n, const std::string& mount) {
  exec(runtime_db, "WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x + 1 < " +
                       std::to_string(n) +
                       ") INSERT INTO accounts(public_id, login, password, display_name, created_ms) "
                       "SELECT 'p' || x, 'r' || x || '@bench', '-', 'R', 0 FROM i");
  exec(runtime_db, "INSERT INTO subjects(mount_id, subject, account_id) SELECT '" + mount +
                       "', 's' || substr(public_id, 2), id FROM accounts");
}

// The operator "ops@bench" with password "operator password".
inline void add_operator(const MunicipalitySnapshot& m) {
  identity::PasswordHasher hasher(1, std::chrono::seconds(5));
  identity::Account op;
  op.login = "ops@bench";
  op.display_name = "ops";
  op.password_hash = hasher.hash("operator password").value();
  auto created = m.identity->accounts().create(op);
  m.identity->accounts().set_roles(created.value().id, {"operator"});
}

// The manifest `manifest_json` (written to dir/m.json, host "localhost") loaded and served on a
// port chosen by the system; exits with the problems when the manifest does not load.
struct City {
  City(const std::filesystem::path& dir, const std::string& manifest_json,
       std::vector<std::filesystem::path> plugin_dirs, HttpServerOptions options = {},
       size_t pool_queue = 1024)
      : loader(dir / "cache"),
        municipalities(loader, {std::move(plugin_dirs), dir / "data", &live}),
        pool(4, pool_queue, std::chrono::seconds(60)),
        server(port_zero(options), [this](HttpRequest request, HttpReply reply) {
          router->handle(std::move(request), std::move(reply));
        }) {
    std::ofstream(dir / "m.json") << manifest_json;
    for (const auto& problem : municipalities.load(dir / "m.json")) {
      std::fprintf(stderr, "manifest: %s\n", problem.c_str());
      std::exit(1);
    }
    m = municipalities.by_host("localhost");
    router = std::make_unique<Router>(municipalities, pool, server.scheduler());
    server.start();
  }
  ~City() {
    server.stop();
    server.wait();
  }

  LiveHub live;
  PluginLoader loader;
  Municipalities municipalities;
  WorkerPool pool;
  std::unique_ptr<Router> router;
  HttpServer server;
  std::shared_ptr<const MunicipalitySnapshot> m;

 private:
  static HttpServerOptions port_zero(HttpServerOptions o) {
    o.port = 0;
    return o;
  }
};

inline constexpr const char* kOperatorSignIn =
    R"({"grant_type": "password", "login": "ops@bench", "password": "operator password"})";

}  // namespace machi::bench
