// machi plugin-info and machi plugin-call: inspect and exercise one plugin file without a server.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <optional>
#include <string>

#include "runtime/cli/commands.h"
#include "runtime/plugin/plugin_host.h"
#include "runtime/plugin/plugin_probe.h"
#include "runtime/plugin/plugin_instance.h"
#include "runtime/plugin/plugin_loader.h"

namespace machi::cli {
namespace fs = std::filesystem;

std::string plugin_cache_dir(const std::string& data_dir) {
  if (const char* env = std::getenv("MACHI_PLUGIN_CACHE"); env && *env) return env;
  return (fs::path(data_dir) / "plugin-cache").string();
}

std::vector<std::string> default_plugin_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("MACHI_PLUGIN_DIR"); env && *env) {
    std::string all = env;
    for (size_t start = 0; start <= all.size();) {
      size_t end = all.find(':', start);
      if (end == std::string::npos) end = all.size();
      if (end > start) dirs.push_back(all.substr(start, end - start));
      start = end + 1;
    }
    return dirs;
  }
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return dirs;
  for (const char* relative : {"../lib/plugins", "../lib/machi/plugins"}) {
    fs::path dir = (exe.parent_path() / relative).lexically_normal();
    if (fs::is_directory(dir, ec)) dirs.push_back(dir.string());
  }
  return dirs;
}

namespace {

// A private scratch directory for one-shot commands, removed on exit.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "machi-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? fs::path(pattern) : fs::path();
  }
  ~ScratchDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

bool split_pair(const std::string& text, std::string& name, std::string& value) {
  auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) return false;
  name = text.substr(0, eq);
  value = text.substr(eq + 1);
  return true;
}

}  // namespace

int plugin_info(const Args& args) {
  if (args.size() != 1) {
    std::fputs("usage: machi plugin-info FILE.so\n", stderr);
    return 2;
  }
  ScratchDir scratch;
  PluginLoader loader(plugin_cache_dir(scratch.path().string()));
  auto plugin = loader.load(args[0]);
  if (!plugin) {
    std::fprintf(stderr, "machi: %s\n", plugin.error().c_str());
    return 1;
  }
  const LoadedPlugin& p = *plugin.value();
  std::printf("file:        %s\n", p.source.c_str());
  std::printf("sha256:      %s\n", p.sha256.c_str());
  std::printf("abi:         %u.%u (runtime %s)\n", p.abi_major, p.abi_minor,
              runtime_abi_version().c_str());
  std::printf("id:          %s\n", p.id.c_str());
  std::printf("version:     %s\n", p.version.c_str());
  std::printf("description: %s\n", p.description.c_str());
  std::printf("request:     %s\n", p.nonblocking() ? "non-blocking (inline on I/O threads)"
                                                   : "blocking (worker pool)");
  std::printf("hooks:      ");
  for (const auto& hook : p.implemented_hooks()) std::printf(" %s", hook.c_str());
  std::printf("\n");
  return 0;
}

int plugin_call(const Args& args) {
  PluginRequest request;
  std::string file, config = "{}";
  std::string name, value;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    bool has_next = i + 1 < args.size();
    if (a == "--config" && has_next) config = args[++i];
    else if (a == "--method" && has_next) request.method = args[++i];
    else if (a == "--body" && has_next) request.body = args[++i];
    else if (a == "--claim" && has_next && split_pair(args[++i], name, value)) {
      request.claims.values[name] = value;
    } else if (a == "--header" && has_next && split_pair(args[++i], name, value)) {
      request.headers.emplace_back(name, value);
    } else if (!a.starts_with("--") && file.empty()) file = a;
    else if (!a.starts_with("--")) {
      auto q = a.find('?');
      request.path = a.substr(0, q);
      if (q != std::string::npos) request.query = a.substr(q + 1);
    } else {
      std::fprintf(stderr, "machi plugin-call: bad option '%s'\n", a.c_str());
      return 2;
    }
  }
  if (file.empty()) {
    std::fputs("usage: machi plugin-call FILE.so [options] PATH\n", stderr);
    return 2;
  }
  ScratchDir scratch;
  PluginLoader loader(plugin_cache_dir(scratch.path().string()));
  auto plugin = loader.load(file);
  if (!plugin) {
    std::fprintf(stderr, "machi: %s\n", plugin.error().c_str());
    return 1;
  }
  auto problems = validate_config(*plugin.value(), config);
  if (!problems) {
    std::fprintf(stderr, "machi: %s\n", problems.error().c_str());
    return 1;
  }
  for (const auto& p : problems.value()) {
    std::fprintf(stderr, "config%s: %s\n", p.path.c_str(), p.message.c_str());
  }
  if (!problems.value().empty()) return 1;
  InstanceOptions options;
  options.municipality_id = "cli";
  options.mount_id = plugin.value()->id;
  options.config_json = config;
  options.database_file = scratch.path() / "instance.db";
  auto instance = PluginInstance::create(plugin.value(), options);
  if (!instance) {
    std::fprintf(stderr, "machi: %s\n", instance.error().c_str());
    return 1;
  }
  request.request_id = "cli-1";
  auto promise = std::make_shared<std::promise<PluginResponse>>();
  std::future<PluginResponse> future = promise->get_future();
  instance.value()->handle_request(request,
                                   [promise](PluginResponse r) { promise->set_value(std::move(r)); });
  // A pending answer comes from the plugin's own thread, or expires at the deadline (504).
  if (future.wait_for(options.deadline) != std::future_status::ready) {
    instance.value()->expire_overdue(std::chrono::steady_clock::time_point::max());
  }
  std::optional<PluginResponse> answer = future.get();
  std::printf("%u %s\n", answer->status, answer->content_type.c_str());
  for (const auto& [n, v] : answer->headers) std::printf("%s: %s\n", n.c_str(), v.c_str());
  std::printf("\n%s\n", answer->body.c_str());
  return answer->status < 500 ? 0 : 1;
}

}  // namespace machi::cli

namespace machi::cli {

// Internal: started by the runtime for an out-of-process mini-app (runtime/plugin/plugin_host.h).
int plugin_host(const Args& args) {
  int fd = -1;
  long parent = -1;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--fd") fd = std::atoi(args[i + 1].c_str());
    else if (args[i] == "--parent") parent = std::atol(args[i + 1].c_str());
  }
  if (fd < 3 || parent <= 0 || args.size() != 4) {
    std::fputs("usage: machi plugin-host --fd N --parent PID (started by machi serve, not by hand)\n",
               stderr);
    return 2;
  }
  return run_plugin_host(fd, static_cast<pid_t>(parent));
}

// Internal: started by PluginLoader to open a new build in a throwaway process (plugin_probe.h).
int plugin_probe(const Args& args) {
  if (args.size() != 1) {
    std::fputs("usage: machi plugin-probe FILE.so (started by machi serve, not by hand)\n", stderr);
    return 2;
  }
  return run_plugin_probe(args[0]);
}

}  // namespace machi::cli
