// TestServer: the real runtime pieces (loader, municipalities, worker pool, Beast server on port
// 0, router, optionally the libuv watcher) wired as `machi serve` wires them, in-process.
#pragma once

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "runtime/dispatch/worker_pool.h"
#include "runtime/http/http_server.h"
#include "runtime/manifest/manifest_watcher.h"
#include "runtime/routing/municipalities.h"
#include "runtime/routing/router.h"
#include "runtime/scheduler/scheduler.h"
#include "tests/support/scratch_dir.h"

namespace machi::test {

inline std::string fixture_dir() { return MACHI_FIXTURE_DIR; }
inline std::string plugin_dir() { return MACHI_PLUGIN_DIR; }

struct TestServer {
  ScratchDir dir;
  LiveHub live;
  PluginLoader loader{dir / "cache"};
  Municipalities municipalities;
  WorkerPool pool;
  std::unique_ptr<Router> router;
  notify::Notifier notifier{&live};
  Scheduler scheduler{municipalities, pool, notifier};  // tests run passes with run_once()
  HttpServer server;
  std::unique_ptr<ManifestWatcher> watcher;

  explicit TestServer(HttpServerOptions options = {}, size_t workers = 4,
                      std::chrono::milliseconds stuck_after = std::chrono::seconds(30),
                      size_t queue_limit = 256)  // normal priority may fill half of it
      // <dir>/plugins comes first: tests deploy plugin files there.
      : municipalities(loader, MunicipalitiesOptions{{dir / "plugins", plugin_dir(), fixture_dir()},
                                                    dir / "data", &live, MACHI_BINARY}),
        pool(workers, queue_limit, stuck_after),
        server(with_port_zero(options), [this](HttpRequest request, HttpReply reply) {
          router->handle(std::move(request), std::move(reply));
        }) {
    router = std::make_unique<Router>(municipalities, pool, server.scheduler());
    Status started = server.start();
    REQUIRE_MESSAGE(started.is_ok(), started.message());
  }
  ~TestServer() {
    watcher.reset();
    server.stop();
    server.wait();
  }

  // Writes a manifest file (as an editor would: temp file, then rename) and loads it.
  std::filesystem::path write_manifest(const std::string& name, const std::string& json) {
    auto path = dir / name;
    auto temp = dir / (name + ".tmp");
    std::ofstream(temp) << json;
    std::filesystem::rename(temp, path);
    return path;
  }
  std::vector<std::string> load(const std::string& name, const std::string& json) {
    return municipalities.load(write_manifest(name, json));
  }
  void watch(std::vector<std::filesystem::path> dirs, std::chrono::milliseconds debounce) {
    watcher = std::make_unique<ManifestWatcher>(dirs, debounce, [this] {
      server.post([this] { municipalities.reload_all(); });
    });
    REQUIRE(watcher->start().is_ok());
  }
  uint16_t port() const { return server.port(); }

 private:
  static HttpServerOptions with_port_zero(HttpServerOptions o) {
    o.port = 0;
    return o;
  }
};

// A manifest with the given mini-apps (a JSON array's inside) for host `host`.
inline std::string manifest_json(const std::string& id, const std::string& host,
                                 const std::string& apps) {
  return R"({"municipality": ")" + id + R"(", "name": ")" + id +
         R"(", "public_url": "https://)" + host + R"(", "hostnames": [")" + host +
         R"("], "timezone": "Asia/Tokyo", "mini_apps": [)" + apps + "]}";
}

// Creates a staff account with the real `machi staff add` on <dir>/m.json and <dir>/data; its
// password is "staff password 1". Returns the command's exit status.
inline int staff_add(const std::filesystem::path& dir, const std::string& login, const std::string& role) {
  std::string command = std::string(MACHI_BINARY) + " staff add --manifest " + (dir / "m.json").string() +
                        " --data " + (dir / "data").string() + " --login " + login + " --role " + role;
  FILE* pipe = popen(command.c_str(), "w");
  std::fputs("staff password 1\n", pipe);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
// The same on a TestServer's manifest and data directory.
inline int staff_add(TestServer& s, const std::string& login, const std::string& role) {
  return staff_add(s.dir.path(), login, role);
}

}  // namespace machi::test
