#include "runtime/plugin/plugin_loader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#ifndef BOOST_DLL_USE_STD_FS
#define BOOST_DLL_USE_STD_FS  // std::filesystem paths, not Boost.Filesystem
#endif
#include <boost/dll/shared_library.hpp>
#include <sys/stat.h>

#include <array>
#include <cstring>
#include <fstream>

#include "runtime/plugin/elf_check.h"
#include "runtime/plugin/host_api.h"
#include "runtime/plugin/plugin_probe.h"
#include "runtime/storage/file_digest.h"

#ifndef MACHI_VERSION
#define MACHI_VERSION "0.0.0"
#endif

namespace machi {
namespace {

namespace fs = std::filesystem;

// Plugins stay loaded until the process exits: unloading code that may still have a thread,
// an atexit handler or a TLS destructor running is how runtimes crash.
std::vector<boost::dll::shared_library>& keep_loaded() {
  static auto* libraries = new std::vector<boost::dll::shared_library>();
  return *libraries;
}

std::string version_text(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// The whole file, read once (at most `limit` bytes; more is an error).
Result<std::string> read_whole(const fs::path& file, uintmax_t limit, const std::string& where) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error(where + "cannot be read");
  std::string bytes;
  std::array<char, 1 << 16> buffer;
  while (in) {
    in.read(buffer.data(), buffer.size());
    bytes.append(buffer.data(), static_cast<size_t>(in.gcount()));
    if (bytes.size() > limit) return Status::error(where + "larger than " + std::to_string(limit) + " bytes");
  }
  if (in.bad()) return Status::error(where + "read error");
  return bytes;
}

// Writes `bytes` to <cache>/<hash>.so unless it is there already: a temporary file of its own
// (never one another loader may be writing or have mapped), mode 0500, then rename.
Result<fs::path> write_copy(std::string_view bytes, const fs::path& cache, const std::string& hash,
                            const std::string& where) {
  std::error_code ec;
  fs::create_directories(cache, ec);
  if (ec) return Status::error("plugin cache " + cache.string() + ": " + ec.message());
  fs::permissions(cache, fs::perms::owner_all, ec);
  fs::path target = cache / (hash + ".so");
  if (fs::exists(target, ec)) return target;
  std::string temporary = (cache / (hash + ".so.XXXXXX")).string();
  int fd = ::mkstemp(temporary.data());
  if (fd < 0) return Status::error(where + "cannot create a copy in " + cache.string() + ": " + std::strerror(errno));
  size_t written = 0;
  while (written < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  bool ok = written == bytes.size() && ::fsync(fd) == 0 && ::fchmod(fd, S_IRUSR | S_IXUSR) == 0;
  int saved = errno;
  ::close(fd);
  if (ok && ::rename(temporary.c_str(), target.c_str()) == 0) return target;
  if (ok) saved = errno;
  ::unlink(temporary.c_str());
  return Status::error(where + "cannot copy to " + target.string() + ": " + std::strerror(saved));
}

bool valid_plugin_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

std::string view_to_string(machi_str s) { return s.ptr ? std::string(s.ptr, s.len) : ""; }

constexpr uint32_t kRequiredHooksSize =
    static_cast<uint32_t>(offsetof(machi_plugin_hooks, on_config_validate));

// Checks what the plugin answered; fills `plugin`. `where` starts every message.
Status check_handshake(const machi_negotiate_out& out, const std::string& where,
                       LoadedPlugin& plugin) {
  const std::string ours = runtime_abi_version();
  const std::string theirs = version_text(out.abi_major, out.abi_minor);
  if (out.abi_major != MACHI_ABI_MAJOR) {
    return Status::error(where + "built for ABI " + theirs + ", this runtime implements ABI " +
                         ours + ": a different major version never loads; rebuild the plugin " +
                         "against the " + ours + " SDK");
  }
  if (out.abi_minor > MACHI_ABI_MINOR) {
    return Status::error(where + "built for ABI " + theirs + ", newer than this runtime's ABI " +
                         ours + ": upgrade the runtime, or rebuild the plugin against the " +
                         ours + " SDK");
  }
  if (!out.hooks) return Status::error(where + "negotiate answered no hook table");
  if (out.hooks->struct_size < kRequiredHooksSize) {
    return Status::error(where + "hook table of " + std::to_string(out.hooks->struct_size) +
                         " bytes is shorter than the required hooks (" +
                         std::to_string(kRequiredHooksSize) + " bytes)");
  }
  std::memcpy(&plugin.hooks, out.hooks,
              std::min<size_t>(out.hooks->struct_size, sizeof(machi_plugin_hooks)));
  plugin.hooks_struct_size = out.hooks->struct_size;
  plugin.hooks.struct_size = sizeof(machi_plugin_hooks);
  if (!plugin.hooks.on_instance_create || !plugin.hooks.on_instance_destroy ||
      !plugin.hooks.on_request) {
    return Status::error(where + "a required hook (on_instance_create, on_instance_destroy, " +
                         "on_request) is NULL");
  }
  plugin.abi_major = out.abi_major;
  plugin.abi_minor = out.abi_minor;
  plugin.flags = out.flags;
  plugin.id = view_to_string(out.plugin_id);
  plugin.version = view_to_string(out.plugin_version);
  plugin.description = view_to_string(out.description);
  if (!valid_plugin_id(plugin.id)) {
    return Status::error(where + "plugin id '" + plugin.id +
                         "' is not 1–64 characters of [a-z0-9_-]");
  }
  if (plugin.version.empty() || plugin.version.size() > 64) {
    return Status::error(where + "plugin version must be 1–64 characters");
  }
  return Status::ok();
}

}  // namespace

std::string runtime_abi_version() { return version_text(MACHI_ABI_MAJOR, MACHI_ABI_MINOR); }
const char* runtime_version() { return MACHI_VERSION; }

std::vector<std::string> LoadedPlugin::implemented_hooks() const {
  std::vector<std::string> names;
  auto add = [&](const void* fn, const char* name) {
    if (fn) names.emplace_back(name);
  };
  add(reinterpret_cast<const void*>(hooks.on_instance_create), "on_instance_create");
  add(reinterpret_cast<const void*>(hooks.on_instance_destroy), "on_instance_destroy");
  add(reinterpret_cast<const void*>(hooks.on_request), "on_request");
  add(reinterpret_cast<const void*>(hooks.on_config_validate), "on_config_validate");
  add(reinterpret_cast<const void*>(hooks.on_event), "on_event");
  add(reinterpret_cast<const void*>(hooks.on_info_card), "on_info_card");
  add(reinterpret_cast<const void*>(hooks.on_health), "on_health");
  add(reinterpret_cast<const void*>(hooks.on_subject_export), "on_subject_export");
  add(reinterpret_cast<const void*>(hooks.on_subject_erase), "on_subject_erase");
  return names;
}

Result<PluginLoader::Copy> PluginLoader::copy_in(const fs::path& file, const std::string& where) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return Status::error(where + "no such file");
  auto bytes = read_whole(file, kMaxPluginBytes, where);
  if (!bytes) return bytes.status();
  if (Status elf = check_plugin_elf(bytes.value()); !elf) {
    return Status::error(where + elf.message() + " (runtime ABI " + runtime_abi_version() + ")");
  }
  std::string hash = storage::sha256_hex(bytes.value());
  auto path = write_copy(bytes.value(), cache_dir_, hash, where);
  if (!path) return path.status();
  return Copy{path.value(), hash};
}

Result<std::shared_ptr<const LoadedPlugin>> PluginLoader::stage(const fs::path& file) {
  const std::string where = "plugin " + file.string() + ": ";
  std::lock_guard lock(*mutex_);
  auto copy = copy_in(file, where);
  if (!copy) return copy.status();
  std::error_code ec;
  auto plugin = std::make_shared<LoadedPlugin>();
  plugin->source = fs::absolute(file, ec);
  plugin->loaded_from = copy.value().path;
  plugin->sha256 = copy.value().sha256;
  return std::shared_ptr<const LoadedPlugin>(plugin);
}

Result<std::shared_ptr<const LoadedPlugin>> PluginLoader::load(const fs::path& file) {
  const std::string where = "plugin " + file.string() + ": ";
  std::lock_guard lock(*mutex_);
  auto copy = copy_in(file, where);
  if (!copy) return copy.status();
  const std::string& hash = copy.value().sha256;
  if (auto it = by_hash_.find(hash); it != by_hash_.end()) return it->second;
  if (!probe_executable_.empty()) {
    if (Status probed = probe_plugin_in_child(probe_executable_, copy.value().path); !probed) {
      return Status::error(where + "kept out: " + probed.message());
    }
  }
  auto opened = open_plugin_file(copy.value().path);
  if (!opened) {
    // The message names the copy; name the file the municipality gave.
    std::string message = opened.error();
    std::string copy_where = "plugin " + copy.value().path.string() + ": ";
    if (message.starts_with(copy_where)) message = where + message.substr(copy_where.size());
    return Status::error(message);
  }
  auto plugin = std::make_shared<LoadedPlugin>(*opened.value());
  std::error_code ec;
  plugin->source = fs::absolute(file, ec);
  plugin->sha256 = hash;
  by_hash_.emplace(hash, plugin);
  return std::shared_ptr<const LoadedPlugin>(plugin);
}

Result<std::shared_ptr<const LoadedPlugin>> open_plugin_file(const fs::path& file) {
  const std::string where = "plugin " + file.string() + ": ";
  boost::dll::shared_library library;
  try {
    library.load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    return Status::error(where + "cannot be loaded as a shared library: " + e.what());
  }
  if (!library.has(MACHI_NEGOTIATE_SYMBOL)) {
    return Status::error(where + "exports no " MACHI_NEGOTIATE_SYMBOL
                         " symbol: not a Machi plugin, or built without MACHI_PLUGIN "
                         "(runtime ABI " + runtime_abi_version() + ")");
  }
  auto negotiate = library.get<machi_status(const machi_negotiate_in*, machi_negotiate_out*)>(
      MACHI_NEGOTIATE_SYMBOL);
  keep_loaded().push_back(library);

  const std::string version = runtime_version();
  machi_negotiate_in in{};
  in.struct_size = sizeof(in);
  in.abi_major = MACHI_ABI_MAJOR;
  in.abi_minor = MACHI_ABI_MINOR;
  in.runtime_version = machi_str{version.data(), version.size()};
  in.host = host_api();
  machi_negotiate_out out{};
  out.struct_size = sizeof(out);
  machi_status status;
  try {
    status = negotiate(&in, &out);
  } catch (...) {
    return Status::error(where + "negotiate threw an exception across the C ABI");
  }
  // Version mismatches first: they explain a refusal better than the plugin's status does.
  auto plugin = std::make_shared<LoadedPlugin>();
  Status handshake = check_handshake(out, where, *plugin);
  if (!handshake && out.abi_major != 0 &&
      (out.abi_major != MACHI_ABI_MAJOR || out.abi_minor > MACHI_ABI_MINOR)) {
    return handshake;
  }
  if (status != MACHI_OK) {
    return Status::error(where + "refused runtime ABI " + runtime_abi_version() + " (plugin ABI " +
                         version_text(out.abi_major, out.abi_minor) + ", status " +
                         std::to_string(status) + ")");
  }
  if (!handshake) return handshake;
  std::error_code ec;
  plugin->source = fs::absolute(file, ec);
  plugin->loaded_from = file;
  return std::shared_ptr<const LoadedPlugin>(plugin);
}

}  // namespace machi
