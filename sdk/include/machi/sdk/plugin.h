// Plugin base class, instance Context, and MACHI_PLUGIN, which exports the one negotiate symbol
// and builds the hook table. Every hook runs behind a catch-everything barrier: an exception
// answers 500 for that request (HttpError: its own status), makes the runtime count the instance
// unhealthy (until a run of successful requests or the plugin's own health() says it recovered)
// and never crosses the C ABI.
//
// A plugin class:
//   class Hello : public machi::sdk::Plugin {
//    public:
//     explicit Hello(machi::sdk::Context& ctx);            // create: throw to refuse
//     void handle(const Request&, Response&) override;     // required
//     // optional, detected at compile time:
//     static std::vector<ConfigProblem> validate_config(const boost::json::value& config);
//     std::optional<boost::json::object> info_card(const Claims&, std::string_view locale);
//     std::optional<std::string> health();                 // nullopt = healthy, else reason
//     std::optional<boost::json::object> health_detail();  // healthy, with details (warnings)
//     boost::json::value export_subject(std::string_view subject);
//     void erase_subject(std::string_view subject);
//     void on_event(const Event&);                          // throw to retry later
//   };
//   MACHI_PLUGIN(Hello, "hello", "1.0.0", "Greets residents", machi::sdk::kNonBlocking)
#pragma once

#include <machi/plugin_api.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "machi/sdk/dates.h"
#include "machi/sdk/host.h"
#include "machi/sdk/json.h"
#include "machi/sdk/request.h"
#include "machi/sdk/storage.h"

namespace machi::sdk {

inline constexpr uint32_t kBlocking = 0;
inline constexpr uint32_t kNonBlocking = MACHI_PLUGIN_FLAG_NONBLOCKING;

enum class LogLevel : int32_t {
  kDebug = MACHI_LOG_DEBUG, kInfo = MACHI_LOG_INFO, kWarn = MACHI_LOG_WARN,
  kError = MACHI_LOG_ERROR
};

struct Event {
  std::string_view key;
  std::string_view payload;
  int64_t due_unix_ms;
  uint32_t attempt;
};

// One mounted instance's link to the host: config, storage, scheduling, live channels, log.
class Context {
 public:
  Context(const machi_instance_args& args, boost::json::value config)
      : raw_(args.ctx), mount_id_(from_view(args.mount_id)),
        municipality_id_(from_view(args.municipality_id)), config_(std::move(config)),
        db_(args.ctx) {}

  machi_instance_ctx* raw() const { return raw_; }
  const std::string& mount_id() const { return mount_id_; }
  const std::string& municipality_id() const { return municipality_id_; }
  const boost::json::value& config() const { return config_; }
  Database& db() { return db_; }

  void log(LogLevel level, std::string_view message) const {
    host().log(raw_, static_cast<int32_t>(level), to_view(message));
  }
  // Stored with the current transaction on this thread, if one is open.
  void schedule(std::string_view key, int64_t due_unix_ms, std::string_view payload = {}) {
    check(host().schedule(raw_, to_view(key), due_unix_ms, to_view(payload)), "schedule");
  }
  // ABI 1.2: a job dropped instead of delivered if not delivered by expires_unix_ms (0 = never).
  // Throws HostError on a 1.0/1.1 host.
  void schedule_until(std::string_view key, int64_t due_unix_ms, int64_t expires_unix_ms,
                      std::string_view payload = {}) {
    require_minor(2, "schedule_until");
    check(host().schedule_until(raw_, to_view(key), due_unix_ms, expires_unix_ms, to_view(payload)),
          "schedule_until");
  }
  // ABI 1.2: "YYYY-MM-DDTHH:MM[:SS]" in the municipality's time zone → UTC milliseconds.
  int64_t local_time_to_unix(std::string_view local_date_time) const {
    require_minor(2, "local_time_to_unix");
    int64_t out = 0;
    check(host().local_time_to_unix(raw_, to_view(local_date_time), &out), "local_time_to_unix");
    return out;
  }
  // ABI 1.2: notifies the resident this mini-app knows as `subject` (see plugin_api.h for the
  // JSON). Written with the current transaction on this thread, if one is open. false when no
  // resident has that subject here; throws HostError for a malformed notification.
  bool notify(std::string_view subject, const boost::json::object& notification) {
    require_minor(2, "notify");
    std::string text = boost::json::serialize(notification);
    machi_status s = host().notify(raw_, to_view(subject), to_view(text));
    if (s == MACHI_ERR_NOT_FOUND) return false;
    check(s, "notify");
    return true;
  }
  // ABI 1.3: a file from the mount's data directory (manifest "data_dir"); nullopt when there is
  // no such file. Throws HostError when the mount has no data_dir, the name is not a plain
  // relative name, or the file is over 64 MiB (and on a 1.0–1.2 host).
  std::optional<std::string> read_data_file(std::string_view name) const {
    require_minor(3, "read_data_file");
    machi_str bytes{};
    machi_status s = host().read_data_file(raw_, to_view(name), &bytes);
    if (s == MACHI_ERR_NOT_FOUND) return std::nullopt;
    check(s, "read_data_file");
    return std::string(from_view(bytes));
  }
  // The local date (YYYY-MM-DD) at `unix_ms` in the municipality's time zone, for a day that
  // begins at `day_start` ("HH:MM": "03:00" makes 01:00 still yesterday). Uses ABI 1.2.
  std::string local_date(int64_t unix_ms, std::string_view day_start = "00:00") const {
    auto utc = std::chrono::floor<std::chrono::days>(
        std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(unix_ms)));
    for (auto d = utc + std::chrono::days(1); d >= utc - std::chrono::days(2); d -= std::chrono::days(1)) {
      std::string day = format_date(d);
      if (local_time_to_unix(day + "T" + std::string(day_start)) <= unix_ms) return day;
    }
    return format_date(utc);
  }
  // false when no job had that key.
  bool cancel(std::string_view key) {
    machi_status s = host().cancel(raw_, to_view(key));
    if (s == MACHI_ERR_NOT_FOUND) return false;
    check(s, "cancel");
    return true;
  }
  // Number of live subscribers reached.
  uint32_t publish(std::string_view channel, std::string_view message) {
    uint32_t delivered = 0;
    check(host().publish(raw_, to_view(channel), to_view(message), &delivered), "publish");
    return delivered;
  }

 private:
  static void require_minor(uint32_t minor, const char* what) {
    if (host().abi_minor < minor) {
      throw HostError(MACHI_ERR_UNIMPLEMENTED,
                       std::string(what) + ": needs a runtime with ABI 1." + std::to_string(minor));
    }
  }

  machi_instance_ctx* raw_;
  std::string mount_id_;
  std::string municipality_id_;
  boost::json::value config_;
  Database db_;
};

class Plugin {
 public:
  explicit Plugin(Context& ctx) : ctx_(ctx) {}
  virtual ~Plugin() = default;
  virtual void handle(const Request& request, Response& response) = 0;

 protected:
  Context& context() { return ctx_; }

 private:
  Context& ctx_;
};

namespace detail {

template <typename T>
struct Instance {
  std::unique_ptr<Context> ctx;
  std::unique_ptr<T> plugin;
};

template <typename T>
machi_status fail_closed(Instance<T>* inst, const char* hook, const char* what) {
  std::string message = std::string(hook) + " threw: " + what;
  host().set_error(inst ? inst->ctx->raw() : nullptr, to_view(message));
  if (inst) inst->ctx->log(LogLevel::kError, message);
  return MACHI_ERR_INTERNAL;  // the runtime marks the instance unhealthy until it recovers
}

// The barrier: no exception leaves a hook.
template <typename T, typename F>
machi_status guarded(Instance<T>* inst, const char* hook, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail_closed(inst, hook, e.what());
  } catch (...) {
    return fail_closed(inst, hook, "an unknown exception");
  }
}

inline machi_status append(machi_output* out, std::string_view text) {
  return check(host().output_append(out, to_view(text)), "output_append");
}

template <typename T>
machi_status on_create(const machi_instance_args* args, void** out_instance) {
  auto inst = std::make_unique<Instance<T>>();
  return guarded<T>(nullptr, "on_instance_create", [&]() -> machi_status {
    std::string error;
    auto config = parse_json(from_view(args->config_json), error);
    if (!config) throw std::invalid_argument("config: " + error);
    inst->ctx = std::make_unique<Context>(*args, std::move(*config));
    inst->plugin = std::make_unique<T>(*inst->ctx);
    *out_instance = inst.release();
    return MACHI_OK;
  });
}

template <typename T>
void on_destroy(void* instance) {
  auto* inst = static_cast<Instance<T>*>(instance);
  guarded(inst, "on_instance_destroy", [&] {
    inst->plugin.reset();
    return MACHI_OK;
  });
  delete inst;
}

template <typename T>
machi_status on_request(void* instance, const machi_request* raw) {
  auto* inst = static_cast<Instance<T>*>(instance);
  Response response(inst->ctx->raw(), raw->handle);
  return guarded(inst, "on_request", [&]() -> machi_status {
    try {
      Request request(raw);
      inst->plugin->handle(request, response);
    } catch (const HttpError& e) {
      if (response.deferred()) throw;
      response.error(e.status(), e.code(), e.what());
    }
    if (response.deferred()) return MACHI_PENDING;
    return check(response.send(), "respond");
  });
}

template <typename T>
machi_status on_config_validate(machi_str config_json, machi_output* out) {
  return guarded<T>(nullptr, "on_config_validate", [&]() -> machi_status {
    std::string error;
    auto config = parse_json(from_view(config_json), error);
    std::vector<ConfigProblem> problems;
    if (!config) problems.push_back({"", error});
    else problems = T::validate_config(*config);
    if (problems.empty()) return MACHI_OK;
    boost::json::array list;
    for (const auto& p : problems) list.push_back({{"path", p.path}, {"message", p.message}});
    append(out, boost::json::serialize(list));
    return MACHI_ERR_INVALID_ARGUMENT;
  });
}

template <typename T>
machi_status on_event(void* instance, const machi_event* e) {
  auto* inst = static_cast<Instance<T>*>(instance);
  return guarded(inst, "on_event", [&] {
    inst->plugin->on_event(Event{from_view(e->key), from_view(e->payload), e->due_unix_ms,
                                 e->attempt});
    return MACHI_OK;
  });
}

template <typename T>
machi_status on_info_card(void* instance, const machi_claims* claims, machi_str locale,
                          machi_output* out) {
  auto* inst = static_cast<Instance<T>*>(instance);
  return guarded(inst, "on_info_card", [&] {
    auto card = inst->plugin->info_card(Claims(claims), from_view(locale));
    if (card) append(out, boost::json::serialize(*card));
    return MACHI_OK;
  });
}

// Only for a plugin that checks its own health: the runtime counts escaped exceptions itself
// (and their recovery), so an answer of OK here is the plugin vouching that it works.
template <typename T>
machi_status on_health(void* instance, machi_output* out) {
  auto* inst = static_cast<Instance<T>*>(instance);
  if constexpr (requires(T& t) { t.health(); } || requires(T& t) { t.health_detail(); }) {
    return guarded(inst, "on_health", [&] {
      if constexpr (requires(T& t) { t.health(); }) {
        std::optional<std::string> problem = inst->plugin->health();
        if (problem) {
          host().set_error(inst->ctx->raw(), to_view(*problem));
          append(out, boost::json::serialize(boost::json::object{{"problem", *problem}}));
          return MACHI_ERR_INVALID_STATE;
        }
      }
      if constexpr (requires(T& t) { t.health_detail(); }) {
        std::optional<boost::json::object> detail = inst->plugin->health_detail();
        if (detail) append(out, boost::json::serialize(*detail));
      }
      return MACHI_OK;
    });
  } else {
    (void)out;
    return MACHI_OK;
  }
}

template <typename T>
machi_status on_subject_export(void* instance, machi_str subject, machi_output* out) {
  auto* inst = static_cast<Instance<T>*>(instance);
  return guarded(inst, "on_subject_export", [&] {
    append(out, boost::json::serialize(inst->plugin->export_subject(from_view(subject))));
    return MACHI_OK;
  });
}

template <typename T>
machi_status on_subject_erase(void* instance, machi_str subject) {
  auto* inst = static_cast<Instance<T>*>(instance);
  return guarded(inst, "on_subject_erase", [&] {
    inst->plugin->erase_subject(from_view(subject));
    return MACHI_OK;
  });
}

template <typename T>
machi_plugin_hooks make_hooks() {
  machi_plugin_hooks h{};
  h.struct_size = sizeof(h);
  h.on_instance_create = &on_create<T>;
  h.on_instance_destroy = &on_destroy<T>;
  h.on_request = &on_request<T>;
  if constexpr (requires(const boost::json::value& v) { T::validate_config(v); }) {
    h.on_config_validate = &on_config_validate<T>;
  }
  if constexpr (requires(T& t, const Event& e) { t.on_event(e); }) h.on_event = &on_event<T>;
  if constexpr (requires(T& t, const Claims& c) { t.info_card(c, std::string_view()); }) {
    h.on_info_card = &on_info_card<T>;
  }
  if constexpr (requires(T& t) { t.health(); } || requires(T& t) { t.health_detail(); }) {
    h.on_health = &on_health<T>;
  }
  if constexpr (requires(T& t) { t.export_subject(std::string_view()); }) {
    h.on_subject_export = &on_subject_export<T>;
  }
  if constexpr (requires(T& t) { t.erase_subject(std::string_view()); }) {
    h.on_subject_erase = &on_subject_erase<T>;
  }
  return h;
}

// True when the host's machi_negotiate_out is large enough to hold the field at `offset`.
inline bool fits(const machi_negotiate_out* out, size_t offset, size_t size) {
  return offset + size <= out->struct_size;
}
#define MACHI_SDK_SET(field, value)                                                    \
  if (fits(out, offsetof(machi_negotiate_out, field), sizeof(out->field))) out->field = value

template <typename T>
machi_status negotiate(const machi_negotiate_in* in, machi_negotiate_out* out,
                       std::string_view id, std::string_view version,
                       std::string_view description, uint32_t flags) noexcept {
  static const machi_plugin_hooks hooks = make_hooks<T>();
  // The version fields lead the struct in every ABI version, so a refusal can name them.
  out->abi_major = MACHI_ABI_MAJOR;
  out->abi_minor = MACHI_ABI_MINOR;
  MACHI_SDK_SET(flags, flags);
  MACHI_SDK_SET(plugin_id, to_view(id));
  MACHI_SDK_SET(plugin_version, to_view(version));
  MACHI_SDK_SET(description, to_view(description));
  MACHI_SDK_SET(hooks, &hooks);
  if (in->abi_major != MACHI_ABI_MAJOR || !in->host) return MACHI_ERR_VERSION;
  detail::host_slot() = in->host;
  return MACHI_OK;
}

}  // namespace detail
}  // namespace machi::sdk

// Exports machi_plugin_negotiate for PluginClass. id/version/description are string literals.
#define MACHI_PLUGIN(PluginClass, id, version, description, flags)                           \
  extern "C" MACHI_EXPORT machi_status machi_plugin_negotiate(const machi_negotiate_in* in,  \
                                                              machi_negotiate_out* out) {    \
    return ::machi::sdk::detail::negotiate<PluginClass>(in, out, id, version, description,   \
                                                        flags);                              \
  }
