// PluginLoader: loads a plugin .so through Boost.DLL, negotiates the ABI and keeps it loaded
// for the life of the process (the runtime never dlcloses). The runtime never opens the file it
// is given, only its own private copy: the bytes are read once, hashed, checked as a whole ELF
// shared library (elf_check.h) and written to a content-addressed path (<cache>/<sha256>.so,
// mode 0500, write-then-rename), so a new build at the same path is new code, a file that
// changes while it is read is never mislabelled, and loading identical bytes twice yields the
// same LoadedPlugin. With a probe executable set, a build is first opened and negotiated in a
// throwaway child process (plugin_probe.h) and only a build that passed is opened in process.
// Thread-safety: load() and stage() are thread-safe; a LoadedPlugin is immutable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "machi/plugin_api.h"
#include "runtime/status.h"

namespace machi {

struct LoadedPlugin {
  std::filesystem::path source;       // the file that was asked for
  std::filesystem::path loaded_from;  // its content-addressed copy
  std::string sha256;
  uint32_t abi_major = 0;
  uint32_t abi_minor = 0;
  uint32_t flags = 0;
  std::string id;
  std::string version;
  std::string description;
  uint32_t hooks_struct_size = 0;  // as the plugin declared it
  machi_plugin_hooks hooks{};      // full-size copy: hooks beyond the plugin's table are NULL

  bool nonblocking() const { return (flags & MACHI_PLUGIN_FLAG_NONBLOCKING) != 0; }
  std::vector<std::string> implemented_hooks() const;
};

class PluginLoader {
 public:
  static constexpr uintmax_t kMaxPluginBytes = 256ull * 1024 * 1024;

  explicit PluginLoader(std::filesystem::path cache_dir) : cache_dir_(std::move(cache_dir)) {}
  // `machi` itself (serve: /proc/self/exe): each new build is probed in `machi plugin-probe`
  // before it is opened here. Empty (the default, tests): opened here directly.
  void set_probe_executable(std::filesystem::path executable) { probe_executable_ = std::move(executable); }
  Result<std::shared_ptr<const LoadedPlugin>> load(const std::filesystem::path& file);
  // Checks `file` and puts its content-addressed copy in the cache without loading it: for
  // out-of-process mini-apps, whose code the runtime never maps. Only source, loaded_from and
  // sha256 are set.
  Result<std::shared_ptr<const LoadedPlugin>> stage(const std::filesystem::path& file);
  const std::filesystem::path& cache_dir() const { return cache_dir_; }

 private:
  struct Copy {
    std::filesystem::path path;
    std::string sha256;
  };
  // Reads `file` once, checks it, puts it in the cache (under mutex_).
  Result<Copy> copy_in(const std::filesystem::path& file, const std::string& where);

  std::filesystem::path cache_dir_;
  std::filesystem::path probe_executable_;
  // On the heap, like Municipalities' reload mutex: std::mutex has a trivial destructor, so
  // ThreadSanitizer's lock-order checker cannot see a mutex inside a stack object die, and two
  // test servers one after the other at the same stack address looked like a lock cycle; a freed
  // heap block resets what it knows.
  std::unique_ptr<std::mutex> mutex_ = std::make_unique<std::mutex>();
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> by_hash_;
};

// Opens `file` in this process as it is (no copy, no probe) and negotiates: what the loader does
// with its private copy, and what `machi plugin-probe` does in the child. sha256 is left empty.
Result<std::shared_ptr<const LoadedPlugin>> open_plugin_file(const std::filesystem::path& file);

// "1.0": the ABI this runtime implements.
std::string runtime_abi_version();
// The runtime's own version, e.g. "0.1.0".
const char* runtime_version();

}  // namespace machi
