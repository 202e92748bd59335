#include "runtime/plugin/plugin_instance.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>

#include "runtime/log/log.h"
#include "runtime/plugin/host_api.h"
#include "runtime/plugin/instance_context.h"

namespace machi {
namespace {

machi_str view_of(const std::string& s) { return machi_str{s.data(), s.size()}; }

PluginResponse error_response(unsigned status, std::string_view code, std::string_view message) {
  return PluginResponse{status, "application/json", json_error_body(code, message), {}};
}

// Backoff for a failed event delivery: 30 s, 1 min, 2 min, … at most 1 h.
int64_t retry_delay_ms(uint32_t attempt) {
  int64_t delay = 30'000;
  for (uint32_t i = 0; i < attempt && delay < 3'600'000; ++i) delay *= 2;
  return std::min<int64_t>(delay, 3'600'000);
}

}  // namespace

PluginInstance::PluginInstance(std::shared_ptr<const LoadedPlugin> plugin,
                               std::unique_ptr<machi_instance_ctx> ctx)
    : plugin_(std::move(plugin)), ctx_(std::move(ctx)) {}

Result<std::unique_ptr<PluginInstance>> PluginInstance::create(
    std::shared_ptr<const LoadedPlugin> plugin, InstanceOptions options) {
  const std::string where = "mini-app '" + options.mount_id + "' (plugin " + plugin->id + " " +
                            plugin->version + "): ";
  auto store = storage::PluginStore::open(options.database_file);
  if (!store) return Status::error(where + store.error());
  auto ctx = std::make_unique<machi_instance_ctx>();
  ctx->municipality_id = std::move(options.municipality_id);
  ctx->mount_id = std::move(options.mount_id);
  ctx->plugin_id = plugin->id;
  ctx->config_json = std::move(options.config_json);
  ctx->has_on_event = plugin->hooks.on_event != nullptr;
  ctx->deadline = options.deadline;
  ctx->store = std::move(store).value();
  if (options.publish) {
    ctx->publish = std::move(options.publish);
  } else if (options.live) {
    ctx->publish = [live = options.live, municipality = ctx->municipality_id,
                    mount = ctx->mount_id](std::string_view channel, std::string_view message) {
      return live->publish(LiveHub::channel_key(municipality, mount, channel), message);
    };
  }
  ctx->timezone = std::move(options.timezone);
  ctx->job_quota = options.job_quota;
  ctx->data_dir = std::move(options.data_dir);
  ctx->known_subject = std::move(options.known_subject);

  machi_instance_args args{};
  args.struct_size = sizeof(args);
  args.ctx = ctx.get();
  args.mount_id = view_of(ctx->mount_id);
  args.municipality_id = view_of(ctx->municipality_id);
  args.config_json = view_of(ctx->config_json);
  void* state = nullptr;
  clear_hook_error();
  machi_status status = plugin->hooks.on_instance_create(&args, &state);
  if (status != MACHI_OK) {
    std::string reason = hook_error().empty() ? "no reason given" : hook_error();
    return Status::error(where + "on_instance_create failed (status " + std::to_string(status) +
                         "): " + reason);
  }
  std::unique_ptr<PluginInstance> instance(new PluginInstance(std::move(plugin), std::move(ctx)));
  instance->instance_ = state;
  return instance;
}

PluginInstance::~PluginInstance() {
  ctx_->pending.expire_all(
      error_response(503, "mini_app_unavailable", "the mini-app was stopped; please retry"));
  plugin_->hooks.on_instance_destroy(instance_);
}

const std::string& PluginInstance::mount_id() const { return ctx_->mount_id; }
const std::filesystem::path& PluginInstance::database_file() const { return ctx_->store->file(); }
bool PluginInstance::healthy() const { return ctx_->health.healthy(); }
std::string PluginInstance::unhealthy_reason() const { return ctx_->health.reason(); }
size_t PluginInstance::pending_requests() const { return ctx_->pending.outstanding(); }

void PluginInstance::note_failure(const char* hook, machi_status status) {
  if (status == MACHI_ERR_INTERNAL) {
    std::string why = hook_error();
    ctx_->health.failure(std::string(hook) + " failed internally" + (why.empty() ? "" : ": " + why));
  }
  std::string status_text = std::to_string(status);
  log_line(LogLevel::kError, "plugin", "hook failed",
           {{"mount", ctx_->mount_id}, {"plugin", plugin_->id}, {"hook", hook},
            {"status", status_text}, {"reason", hook_error()}});
}

uint64_t PluginInstance::handle_request(const PluginRequest& request, Done done) {
  std::vector<machi_header> headers;
  headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers) {
    if (!is_hidden_request_header(name)) headers.push_back({view_of(name), view_of(value)});
  }
  machi_request_handle handle;
  handle.ctx = ctx_.get();
  handle.thread = std::this_thread::get_id();
  handle.done = std::move(done);
  if (request.resolve_card) handle.resolve_card = &request.resolve_card;

  machi_request abi{};
  abi.struct_size = sizeof(abi);
  abi.handle = &handle;
  abi.method = view_of(request.method);
  abi.path = view_of(request.path);
  abi.query = view_of(request.query);
  abi.body = view_of(request.body);
  abi.headers = headers.data();
  abi.header_count = headers.size();
  abi.claims = &request.claims_view();
  abi.request_id = view_of(request.request_id);

  clear_hook_error();
  machi_status status = plugin_->hooks.on_request(instance_, &abi);
  if (handle.deferred) {
    // The answer comes through complete(). A failure after defer still answers the client.
    if (status < 0) {
      note_failure("on_request", status);
      PluginResponse failure =
          error_response(500, "plugin_failed", "the mini-app failed to answer (request " +
                                                   request.request_id + ")");
      failure.hook_failed = status == MACHI_ERR_INTERNAL;
      ctx_->pending.complete(handle.token, std::move(failure));
    }
    return handle.token;
  }
  if (status == MACHI_OK && handle.answered) {
    ctx_->health.success();
    handle.done(std::move(handle.response));
    return 0;
  }
  if (status >= 0) {
    log_line(LogLevel::kError, "plugin", "on_request returned without a valid answer",
             {{"mount", ctx_->mount_id}, {"plugin", plugin_->id},
              {"status", std::to_string(status)},
              {"reason", handle.answered ? "" : last_host_error()}});
  } else {
    note_failure("on_request", status);
  }
  PluginResponse failure = error_response(500, "plugin_failed",
                                          "the mini-app failed to answer (request " + request.request_id + ")");
  failure.hook_failed = status == MACHI_ERR_INTERNAL;
  handle.done(std::move(failure));
  return 0;
}

void PluginInstance::abandon(uint64_t token) { ctx_->pending.abandon(token); }

size_t PluginInstance::expire_overdue(std::chrono::steady_clock::time_point now) {
  return ctx_->pending.expire_overdue(
      now, error_response(504, "deadline_exceeded", "the mini-app did not answer in time"));
}

Result<std::string> PluginInstance::checked_output(const char* hook, machi_status status,
                                                   std::string data, bool allow_empty) {
  if (status != MACHI_OK) {
    note_failure(hook, status);
    return Status::error(std::string(hook) + " failed (status " + std::to_string(status) +
                         "): " + (hook_error().empty() ? "no reason given" : hook_error()));
  }
  if (data.empty() && allow_empty) return data;
  boost::system::error_code ec;
  boost::json::parse(data, ec);
  if (ec) {
    note_failure(hook, MACHI_ERR_INVALID_ARGUMENT);
    return Status::error(std::string(hook) + " answered malformed JSON: " + ec.message());
  }
  return data;
}

Result<std::string> PluginInstance::info_card(const Claims& claims, std::string_view locale) {
  if (!plugin_->hooks.on_info_card) return std::string();
  machi_output card;
  clear_hook_error();
  machi_status status = plugin_->hooks.on_info_card(
      instance_, &claims, machi_str{locale.data(), locale.size()}, &card);
  Result<std::string> checked = checked_output("on_info_card", status, std::move(card.data), true);
  if (checked && !checked.value().empty() && !boost::json::parse(checked.value()).is_object()) {
    return Status::error("on_info_card must answer one JSON object");
  }
  return checked;
}

HealthReport PluginInstance::health() {
  HealthReport report;
  if (!plugin_->hooks.on_health) {
    if (!ctx_->health.healthy()) report = {false, ctx_->health.reason(), ""};
    return report;
  }
  machi_output detail;
  clear_hook_error();
  machi_status status = plugin_->hooks.on_health(instance_, &detail);
  if (status == MACHI_OK) {
    ctx_->health.recover();  // the plugin's own check is evidence that it works again
  } else {
    report.healthy = false;
    report.reason = "on_health answered status " + std::to_string(status) +
                    (hook_error().empty() ? "" : ": " + hook_error());
  }
  report.detail_json = std::move(detail.data);
  return report;
}

Result<std::string> PluginInstance::export_subject(std::string_view subject) {
  if (!plugin_->hooks.on_subject_export) return std::string("null");
  machi_output data;
  clear_hook_error();
  machi_status status = plugin_->hooks.on_subject_export(
      instance_, machi_str{subject.data(), subject.size()}, &data);
  return checked_output("on_subject_export", status, std::move(data.data), false);
}

Status PluginInstance::erase_subject(std::string_view subject) {
  if (!plugin_->hooks.on_subject_erase) return Status::ok();
  clear_hook_error();
  machi_status status =
      plugin_->hooks.on_subject_erase(instance_, machi_str{subject.data(), subject.size()});
  if (status == MACHI_OK) return Status::ok();
  note_failure("on_subject_erase", status);
  return Status::error("on_subject_erase failed (status " + std::to_string(status) + "): " +
                       hook_error());
}

size_t PluginInstance::deliver_due_events(int64_t now_unix_ms) {
  if (!plugin_->hooks.on_event) return 0;
  auto jobs = ctx_->store->due_jobs(now_unix_ms, 100);
  if (!jobs) {
    log_line(LogLevel::kError, "scheduler", jobs.error(), {{"mount", ctx_->mount_id}});
    return 0;
  }
  size_t delivered = 0;
  for (const storage::ScheduledJob& job : jobs.value()) {
    if (job.expires_ms != 0 && job.expires_ms <= now_unix_ms) {
      // Past its own expiry (the runtime was down, or the mini-app disabled): dropped, not late.
      log_line(LogLevel::kInfo, "scheduler", "job expired before delivery",
               {{"mount", ctx_->mount_id}, {"key", job.key}});
      Status dropped = ctx_->store->finish_job(job, true, 0);
      if (!dropped) log_line(LogLevel::kError, "scheduler", dropped.message());
      continue;
    }
    machi_event event{};
    event.struct_size = sizeof(event);
    event.attempt = job.attempt + 1;
    event.key = view_of(job.key);
    event.payload = view_of(job.payload);
    event.due_unix_ms = job.due_ms;
    clear_hook_error();
    machi_status status = plugin_->hooks.on_event(instance_, &event);
    bool ok = status == MACHI_OK;
    if (!ok) note_failure("on_event", status);
    Status finished = ctx_->store->finish_job(job, ok, now_unix_ms + retry_delay_ms(job.attempt));
    if (!finished) log_line(LogLevel::kError, "scheduler", finished.message());
    delivered += ok ? 1 : 0;
  }
  return delivered;
}

Result<std::vector<storage::OutboxItem>> PluginInstance::outbox(size_t limit) {
  return ctx_->store->outbox(limit);
}

Status PluginInstance::remove_outbox_through(int64_t seq) {
  return ctx_->store->remove_outbox_through(seq);
}

size_t PluginInstance::drain_outbox_batch(const Deliver& deliver, size_t limit) {
  auto items = outbox(limit);
  if (!items) {
    log_line(LogLevel::kError, "notify", items.error(), {{"mount", ctx_->mount_id}});
    return 0;
  }
  if (items.value().empty() || !deliver(items.value())) return 0;
  if (Status s = remove_outbox_through(items.value().back().seq); !s) {
    log_line(LogLevel::kError, "notify", s.message(), {{"mount", ctx_->mount_id}});
    return 0;
  }
  return items.value().size();
}

Result<std::vector<ConfigProblem>> validate_config(const LoadedPlugin& plugin,
                                                   std::string_view config_json) {
  if (!plugin.hooks.on_config_validate) return std::vector<ConfigProblem>{};
  machi_output out;
  clear_hook_error();
  machi_status status = plugin.hooks.on_config_validate(
      machi_str{config_json.data(), config_json.size()}, &out);
  if (status != MACHI_OK && status != MACHI_ERR_INVALID_ARGUMENT) {
    return Status::error("on_config_validate failed (status " + std::to_string(status) + "): " +
                         hook_error());
  }
  std::vector<ConfigProblem> problems;
  if (out.data.empty()) {
    if (status == MACHI_OK) return problems;
    problems.push_back({"", hook_error().empty() ? "config refused without a reason"
                                                 : hook_error()});
    return problems;
  }
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(out.data, ec);
  if (ec || !parsed.is_array()) {
    return Status::error("on_config_validate answered something other than a JSON array");
  }
  for (const boost::json::value& item : parsed.as_array()) {
    const boost::json::object* problem = item.if_object();
    const boost::json::value* path = problem ? problem->if_contains("path") : nullptr;
    const boost::json::value* message = problem ? problem->if_contains("message") : nullptr;
    if (!path || !message || !path->is_string() || !message->is_string()) {
      return Status::error("on_config_validate: each problem needs string path and message");
    }
    problems.push_back({std::string(path->as_string()), std::string(message->as_string())});
  }
  if (status != MACHI_OK && problems.empty()) {
    problems.push_back({"", "config refused without a reason"});
  }
  return problems;
}

}  // namespace machi
