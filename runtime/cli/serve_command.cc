// machi serve: loads each manifest's mini-apps, serves HTTP, reloads manifests and plugins when
// their files change, and drains gracefully on SIGINT/SIGTERM.
#include <csignal>
#include <cstdlib>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "runtime/cli/commands.h"
#include "runtime/dispatch/worker_pool.h"
#include "runtime/http/http_server.h"
#include "runtime/http/https_client.h"
#include "runtime/log/log.h"
#include "runtime/manifest/manifest_watcher.h"
#include "runtime/routing/municipalities.h"
#include "runtime/routing/router.h"
#include "runtime/routing/web_files.h"
#include "runtime/scheduler/scheduler.h"

namespace machi::cli {
namespace fs = std::filesystem;

namespace {

struct ServeOptions {
  std::vector<fs::path> manifests;
  fs::path web_root = MACHI_WEB_DIR;  // the resident web app's files (runtime/web)
  std::vector<fs::path> plugin_dirs;
  fs::path data_dir = "data";
  HttpServerOptions http;
  size_t workers = 2 * std::max(1u, std::thread::hardware_concurrency());
  size_t queue = 1024;
  bool once = false;
  std::string push_ca_file;  // trust store for push services (default: the system's)
};

bool parse_listen(const std::string& text, HttpServerOptions& http) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    int port = std::stoi(text.substr(colon + 1));
    if (port < 0 || port > 65535) return false;
    http.address = host;
    http.port = static_cast<uint16_t>(port);
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

bool parse_size(const std::string& text, size_t& out) {
  try {
    out = std::stoul(text);
    return out > 0;
  } catch (const std::exception&) {
    return false;
  }
}

bool parse(const Args& args, ServeOptions& o) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool next = i + 1 < args.size();
    size_t n = 0;
    if (a == "--manifest" && next) o.manifests.emplace_back(args[++i]);
    else if (a == "--plugin-dir" && next) o.plugin_dirs.emplace_back(args[++i]);
    else if (a == "--data" && next) o.data_dir = args[++i];
    else if (a == "--web-root" && next) o.web_root = args[++i];
    else if (a == "--listen" && next && parse_listen(args[++i], o.http)) continue;
    else if (a == "--io-threads" && next && parse_size(args[++i], n)) o.http.io_threads = n;
    else if (a == "--workers" && next && parse_size(args[++i], n)) o.workers = n;
    else if (a == "--max-connections" && next && parse_size(args[++i], n)) o.http.max_connections = n;
    else if (a == "--once") o.once = true;
    else if (a == "--push-ca-file" && next) o.push_ca_file = args[++i];
    else {
      std::fprintf(stderr, "machi serve: bad option or value '%s'\n", a.c_str());
      return false;
    }
  }
  if (o.manifests.empty()) {
    std::fputs("machi serve: --manifest FILE is required\n", stderr);
    return false;
  }
  if (o.plugin_dirs.empty()) {
    for (const auto& dir : default_plugin_dirs()) o.plugin_dirs.emplace_back(dir);
  }
  return true;
}

void print_municipality(const MunicipalitySnapshot& m) {
  std::printf("municipality %s (%s), %s\n", m.manifest.municipality_id.c_str(),
              m.manifest.name.c_str(), m.manifest.public_url.c_str());
  for (const auto& app : m.apps) {
    const LoadedPlugin& p = app->instance->plugin();
    std::printf("  %-20s %s %s (ABI %u.%u, %s)\n", app->entry.id.c_str(), p.id.c_str(),
                p.version.c_str(), p.abi_major, p.abi_minor,
                p.nonblocking() ? "non-blocking" : "worker pool");
  }
  for (const auto& failed : m.failed) {
    std::printf("  %-20s FAILED, serving the others: %s\n", failed.entry.id.c_str(), failed.reason.c_str());
  }
  for (const auto& entry : m.manifest.mini_apps) {
    if (!entry.enabled) std::printf("  %-20s disabled\n", entry.id.c_str());
  }
}

}  // namespace

int serve(const Args& args) {
  ServeOptions o;
  if (!parse(args, o)) return 2;
  // Block the stop signals before any thread exists, then wait for them synchronously.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  LiveHub live;
  {
    // The data directory is the service user's alone (0700), even one made by hand before.
    std::error_code ec;
    fs::create_directories(o.data_dir, ec);
    fs::permissions(o.data_dir, fs::perms::owner_all, ec);
  }
  PluginLoader loader(plugin_cache_dir(o.data_dir.string()));
  std::error_code self_error;
  fs::path self = fs::read_symlink("/proc/self/exe", self_error);  // runs `machi plugin-host`
  if (!self.empty()) loader.set_probe_executable(self);  // and `machi plugin-probe`
  Municipalities municipalities(loader, {o.plugin_dirs, o.data_dir, &live, self});
  bool ok = true;
  for (const fs::path& file : o.manifests) {
    for (const std::string& problem : municipalities.load(file)) {
      std::fprintf(stderr, "machi: %s: %s\n", file.c_str(), problem.c_str());
      ok = false;
    }
  }
  for (const auto& m : municipalities.all()) {
    print_municipality(*m);
    for (const auto& failed : m->failed) {
      std::fprintf(stderr, "machi: %s: %s\n", m->manifest.file.c_str(), failed.reason.c_str());
      ok = false;  // --once: exit 1; serving: the others serve, the failed one is retried
    }
  }
  std::fflush(stdout);
  if (o.once) return ok ? 0 : 1;
  if (municipalities.all().empty()) {
    std::fputs("machi: no manifest could be loaded; nothing to serve\n", stderr);
    return 1;
  }

  WorkerPool pool(o.workers, o.queue, std::chrono::seconds(30));
  notify::Notifier notifier(&live);
  notify::PushSender push([options = HttpsClientOptions{o.push_ca_file}](const notify::PushRequest& r) {
    return https_post(r, options);
  });
  Scheduler scheduler(municipalities, pool, notifier, &push);
  std::unique_ptr<Router> router;
  HttpServer server(o.http, [&router](HttpRequest request, HttpReply reply) {
    router->handle(std::move(request), std::move(reply));
  });
  router = std::make_unique<Router>(municipalities, pool, server.scheduler());
  if (auto web = WebFiles::load(o.web_root)) {
    router->set_web(web.value());
  } else {
    std::fprintf(stderr, "machi: %s\n", web.error().c_str());
    return 1;
  }
  if (Status s = server.start(); !s) {
    std::fprintf(stderr, "machi: %s\n", s.message().c_str());
    return 1;
  }
  std::vector<fs::path> watched = o.plugin_dirs;
  for (const auto& file : o.manifests) watched.push_back(fs::absolute(file).parent_path());
  auto watcher = std::make_unique<ManifestWatcher>(watched, std::chrono::milliseconds(200), [&] {
    server.post([&] { municipalities.reload_all(); });
  });
  // Time: once a minute, rotate any municipality's signing key that is due (cheap when not).
  watcher->every(std::chrono::minutes(1), [&] {
    server.post([&] {
      for (const auto& m : municipalities.all()) {
        auto rotated = m->identity->keys().rotate_if_due(identity::KeyStore::Clock::now());
        if (rotated && rotated.value()) {
          log_line(LogLevel::kInfo, "identity", "signing key rotated",
                   {{"municipality", m->manifest.municipality_id}});
        } else if (!rotated) {
          log_line(LogLevel::kError, "identity", "key rotation failed", {{"reason", rotated.error()}});
        }
      }
    });
  });
  // Time: every second, a scheduler pass (due jobs, then outboxes into inboxes). The first runs
  // now: jobs that came due while the runtime was down are delivered at start-up.
  watcher->every(std::chrono::seconds(1), [&scheduler] { scheduler.tick(); });
  // Time: every second, token epochs another process changed (`machi staff add` resetting a
  // password) reach this one: its old tokens stop here too.
  watcher->every(std::chrono::seconds(1), [&municipalities] {
    for (const auto& m : municipalities.all()) m->identity->accounts().refresh_token_epochs_if_changed();
  });
  // Time: every 2 s, whether a mount's data_dir changed and settled: then its mini-app is
  // started afresh on the new files (a failed one retried), as on a manifest save.
  watcher->every(std::chrono::seconds(2), [&] {
    if (municipalities.data_dirs_settled_changed()) server.post([&] { municipalities.reload_all(); });
  });
  // Time: every 10 s, each mini-app's health hook, on the worker pool (never an I/O thread; one
  // refresh at a time, so a hook that hangs holds one worker, not all): /readyz and /metrics
  // read the reports without calling into plugins.
  auto refreshing = std::make_shared<std::atomic<bool>>(false);  // outlives a queued refresh
  watcher->every(std::chrono::seconds(10), [&, refreshing] {
    if (refreshing->exchange(true)) return;
    bool posted = pool.try_post({[&municipalities, refreshing] {
                                   municipalities.refresh_health();
                                   refreshing->store(false);
                                 },
                                 "health refresh", WorkerPool::Priority::kLow});
    if (!posted) refreshing->store(false);
  });
  scheduler.tick();
  if (Status s = watcher->start(); !s) {
    log_line(LogLevel::kWarn, "watcher", "live reload disabled for some directories (timers run)", {{"reason", s.message()}});
  }
  log_line(LogLevel::kInfo, "serve", "listening",
           {{"address", o.http.address}, {"port", std::to_string(server.port())},
            {"io_threads", std::to_string(o.http.io_threads)},
            {"workers", std::to_string(o.workers)}});
  std::printf("listening on http://%s:%u\n", o.http.address.c_str(), server.port());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stop, &signal);
  log_line(LogLevel::kInfo, "serve", "draining", {{"signal", std::to_string(signal)}});
  server.stop();
  server.wait();
  watcher.reset();  // no reloads or ticks while shutting down
  scheduler.wait_idle();
  WorkerPool::Stats stats = pool.stats();
  if (!stats.stuck.empty()) {
    // A hook that never returns cannot be joined, and its instance must not be destroyed under
    // it: end the process here. Every acknowledged write is already durable (synchronous=FULL).
    for (const auto& w : stats.stuck) {
      log_line(LogLevel::kWarn, "serve", "exiting past a stuck plugin call", {{"task", w.label}});
    }
    std::fflush(nullptr);
    std::_Exit(0);
  }
  log_line(LogLevel::kInfo, "serve", "stopped");
  return 0;
}

}  // namespace machi::cli
