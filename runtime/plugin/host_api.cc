#include "runtime/plugin/host_api.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string_view>

#include "runtime/http/http_message.h"
#include "runtime/log/log.h"
#include "runtime/notify/notification.h"
#include "runtime/plugin/instance_context.h"
#include "runtime/scheduler/local_time.h"
#include "runtime/storage/plugin_statement.h"

namespace machi {
namespace {

constexpr size_t kMaxMessage = 4096;
constexpr size_t kMaxLiveMessage = 64 * 1024;
constexpr size_t kMaxResponseBody = 16 * 1024 * 1024;

thread_local std::string t_hook_error;
thread_local std::string t_last_error;

std::string_view view(machi_str s) { return s.ptr ? std::string_view(s.ptr, s.len) : ""; }

// Records why a host callback failed, for last_error, and returns the status.
machi_status fail(machi_status status, std::string message) {
  t_last_error = std::move(message);
  return status;
}
machi_status done(machi_status status, std::string& error) {
  if (status < 0) t_last_error = std::move(error);
  return status;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}
bool valid_header_value(std::string_view v) {
  for (char c : v) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

#define MACHI_REQUIRE(cond, message) \
  if (!(cond)) return fail(MACHI_ERR_INVALID_ARGUMENT, message)

machi_status host_log(machi_instance_ctx* ctx, int32_t level, machi_str message) {
  MACHI_REQUIRE(ctx, "log: ctx is NULL");
  std::string_view text = view(message).substr(0, kMaxMessage);
  LogLevel lvl = level <= MACHI_LOG_DEBUG ? LogLevel::kDebug
               : level == MACHI_LOG_INFO  ? LogLevel::kInfo
               : level == MACHI_LOG_WARN  ? LogLevel::kWarn
                                          : LogLevel::kError;
  log_line(lvl, "plugin", text,
           {{"municipality", ctx->municipality_id}, {"mount", ctx->mount_id},
            {"plugin", ctx->plugin_id}});
  return MACHI_OK;
}

machi_status host_set_error(machi_instance_ctx*, machi_str message) {
  t_hook_error.assign(view(message).substr(0, kMaxMessage));
  return MACHI_OK;
}

machi_status host_last_error(machi_str* out) {
  MACHI_REQUIRE(out, "last_error: out_message is NULL");
  *out = machi_str{t_last_error.data(), t_last_error.size()};
  return MACHI_OK;
}

machi_status host_config_get(machi_instance_ctx* ctx, machi_str* out) {
  MACHI_REQUIRE(ctx && out, "config_get: NULL argument");
  *out = machi_str{ctx->config_json.data(), ctx->config_json.size()};
  return MACHI_OK;
}

machi_status host_claim_get(const machi_claims* claims, machi_str name, machi_str* out) {
  MACHI_REQUIRE(claims && out, "claim_get: NULL argument");
  auto it = claims->values.find(view(name));
  if (it == claims->values.end()) {
    return fail(MACHI_ERR_NOT_FOUND, "claim '" + std::string(view(name)) + "' is absent");
  }
  *out = machi_str{it->second.data(), it->second.size()};
  return MACHI_OK;
}

machi_status host_respond(machi_request_handle* request, const machi_response* response) {
  MACHI_REQUIRE(request && response, "respond: NULL argument");
  if (request->thread != std::this_thread::get_id()) {
    return fail(MACHI_ERR_WRONG_THREAD, "respond: only on the thread running on_request; "
                                        "use defer and complete to answer from another thread");
  }
  if (request->answered || request->deferred) {
    return fail(MACHI_ERR_INVALID_STATE, "respond: the request was already answered or deferred");
  }
  std::string error;
  machi_status status = copy_response(response, request->response, error);
  if (status != MACHI_OK) return fail(status, "respond: " + error);
  request->answered = true;
  return MACHI_OK;
}

machi_status host_defer(machi_request_handle* request, uint64_t* out_token) {
  MACHI_REQUIRE(request && out_token, "defer: NULL argument");
  if (request->thread != std::this_thread::get_id()) {
    return fail(MACHI_ERR_WRONG_THREAD, "defer: only on the thread running on_request");
  }
  if (request->answered || request->deferred) {
    return fail(MACHI_ERR_INVALID_STATE, "defer: the request was already answered or deferred");
  }
  request->deferred = true;
  auto deadline = PendingTable::Clock::now() + request->ctx->deadline;
  request->token = request->ctx->pending.add(std::move(request->done), deadline);
  *out_token = request->token;
  return MACHI_OK;
}

machi_status host_complete(machi_instance_ctx* ctx, uint64_t token, const machi_response* r) {
  MACHI_REQUIRE(ctx && r, "complete: NULL argument");
  PluginResponse copy;
  std::string error;
  if (machi_status status = copy_response(r, copy, error); status != MACHI_OK) {
    // A malformed late answer still has to answer the client: 500, and the plugin learns why.
    PluginResponse failure{500, "application/json",
                           json_error_body("plugin_failed", "the mini-app gave a malformed answer"), {}};
    ctx->pending.complete(token, std::move(failure));
    return fail(status, "complete: " + error);
  }
  machi_status status = ctx->pending.complete(token, std::move(copy));
  if (status == MACHI_ERR_EXPIRED) {
    return fail(status, "complete: the request expired, its client left, or it was completed");
  }
  return status;
}

machi_status host_output_append(machi_output* output, machi_str bytes) {
  MACHI_REQUIRE(output, "output_append: output is NULL");
  if (output->thread != std::this_thread::get_id()) {
    return fail(MACHI_ERR_WRONG_THREAD, "output_append: only on the thread running the hook");
  }
  if (output->data.size() + bytes.len > machi_output::kLimit) {
    return fail(MACHI_ERR_TOO_LARGE, "output_append: answer over 1 MiB");
  }
  output->data.append(view(bytes));
  return MACHI_OK;
}

// --- storage -------------------------------------------------------------------------------

#define MACHI_STMT_CALL(fn, ...)          \
  std::string error;                      \
  return done(storage::fn(__VA_ARGS__, error), error)

machi_status host_bind_null(machi_stmt* s, int32_t i) { MACHI_STMT_CALL(stmt_bind_null, s, i); }
machi_status host_bind_int64(machi_stmt* s, int32_t i, int64_t v) {
  MACHI_STMT_CALL(stmt_bind_int64, s, i, v);
}
machi_status host_bind_double(machi_stmt* s, int32_t i, double v) {
  MACHI_STMT_CALL(stmt_bind_double, s, i, v);
}
machi_status host_bind_text(machi_stmt* s, int32_t i, machi_str v) {
  MACHI_STMT_CALL(stmt_bind_text, s, i, v);
}
machi_status host_bind_blob(machi_stmt* s, int32_t i, machi_str v) {
  MACHI_STMT_CALL(stmt_bind_blob, s, i, v);
}
machi_status host_step(machi_stmt* s) { MACHI_STMT_CALL(stmt_step, s); }
machi_status host_column_count(machi_stmt* s, int32_t* out) {
  MACHI_REQUIRE(out, "sql_column_count: out is NULL");
  MACHI_STMT_CALL(stmt_column_count, s, out);
}
machi_status host_column_type(machi_stmt* s, int32_t c, int32_t* out) {
  MACHI_REQUIRE(out, "sql_column_type: out is NULL");
  MACHI_STMT_CALL(stmt_column_type, s, c, out);
}
machi_status host_column_name(machi_stmt* s, int32_t c, machi_str* out) {
  MACHI_REQUIRE(out, "sql_column_name: out is NULL");
  MACHI_STMT_CALL(stmt_column_name, s, c, out);
}
machi_status host_column_int64(machi_stmt* s, int32_t c, int64_t* out) {
  MACHI_REQUIRE(out, "sql_column_int64: out is NULL");
  MACHI_STMT_CALL(stmt_column_int64, s, c, out);
}
machi_status host_column_double(machi_stmt* s, int32_t c, double* out) {
  MACHI_REQUIRE(out, "sql_column_double: out is NULL");
  MACHI_STMT_CALL(stmt_column_double, s, c, out);
}
machi_status host_column_text(machi_stmt* s, int32_t c, machi_str* out) {
  MACHI_REQUIRE(out, "sql_column_text: out is NULL");
  MACHI_STMT_CALL(stmt_column_text, s, c, out);
}
machi_status host_column_blob(machi_stmt* s, int32_t c, machi_str* out) {
  MACHI_REQUIRE(out, "sql_column_blob: out is NULL");
  MACHI_STMT_CALL(stmt_column_blob, s, c, out);
}
machi_status host_reset(machi_stmt* s) { MACHI_STMT_CALL(stmt_reset, s); }
machi_status host_finalize(machi_stmt* s) { MACHI_STMT_CALL(finalize_statement, s); }

// Runs `call(store, error)` on the instance's store, recording its error text for last_error.
template <typename Call>
machi_status store_call(const char* name, machi_instance_ctx* ctx, Call call) {
  if (!ctx) return fail(MACHI_ERR_INVALID_ARGUMENT, std::string(name) + ": ctx is NULL");
  std::string error;
  return done(call(*ctx->store, error), error);
}

machi_status host_sql_exec(machi_instance_ctx* ctx, machi_str sql) {
  return store_call("sql_exec", ctx, [&](auto& s, auto& e) { return s.exec(view(sql), e); });
}
machi_status host_sql_prepare(machi_instance_ctx* ctx, machi_str sql, machi_stmt** out) {
  return store_call("sql_prepare", ctx,
                    [&](auto& s, auto& e) { return s.prepare(view(sql), out, e); });
}

machi_status host_changes(machi_instance_ctx* ctx, int64_t* out) {
  MACHI_REQUIRE(out, "sql_changes: out is NULL");
  return store_call("sql_changes", ctx, [&](auto& s, auto& e) { return s.changes(out, e); });
}
machi_status host_last_insert_rowid(machi_instance_ctx* ctx, int64_t* out) {
  MACHI_REQUIRE(out, "sql_last_insert_rowid: out is NULL");
  return store_call("sql_last_insert_rowid", ctx,
                    [&](auto& s, auto& e) { return s.last_insert_rowid(out, e); });
}
machi_status host_begin(machi_instance_ctx* ctx) {
  return store_call("sql_begin", ctx, [](auto& s, auto& e) { return s.begin(e); });
}
machi_status host_commit(machi_instance_ctx* ctx) {
  return store_call("sql_commit", ctx, [](auto& s, auto& e) { return s.commit(e); });
}
machi_status host_rollback(machi_instance_ctx* ctx) {
  return store_call("sql_rollback", ctx, [](auto& s, auto& e) { return s.rollback(e); });
}

// --- events and live channels --------------------------------------------------------------
machi_status host_schedule(machi_instance_ctx* ctx, machi_str key, int64_t due_unix_ms,
                           machi_str payload) {
  MACHI_REQUIRE(ctx, "schedule: ctx is NULL");
  if (!ctx->has_on_event) {
    return fail(MACHI_ERR_INVALID_STATE, "schedule: the plugin has no on_event hook to deliver to");
  }
  return store_call("schedule", ctx, [&](auto& s, auto& e) {
    return s.schedule(view(key), due_unix_ms, 0, view(payload), ctx->job_quota, e);
  });
}
machi_status host_schedule_until(machi_instance_ctx* ctx, machi_str key, int64_t due_unix_ms,
                                 int64_t expires_unix_ms, machi_str payload) {
  MACHI_REQUIRE(ctx, "schedule_until: ctx is NULL");
  if (!ctx->has_on_event) {
    return fail(MACHI_ERR_INVALID_STATE,
                "schedule_until: the plugin has no on_event hook to deliver to");
  }
  if (expires_unix_ms < 0) return fail(MACHI_ERR_INVALID_ARGUMENT, "schedule_until: negative expiry");
  return store_call("schedule_until", ctx, [&](auto& s, auto& e) {
    return s.schedule(view(key), due_unix_ms, expires_unix_ms, view(payload), ctx->job_quota, e);
  });
}

machi_status host_notify(machi_instance_ctx* ctx, machi_str subject, machi_str notification) {
  MACHI_REQUIRE(ctx, "notify: ctx is NULL");
  if (notification.len > notify::kMaxJsonBytes) {
    return fail(MACHI_ERR_TOO_LARGE, "notify: notification JSON over 8 KiB");
  }
  auto checked = notify::parse_notification(view(notification), unix_now_ms());
  if (!checked) return fail(MACHI_ERR_INVALID_ARGUMENT, "notify: " + checked.error());
  if (!ctx->known_subject || !ctx->known_subject(view(subject))) {
    return fail(MACHI_ERR_NOT_FOUND, "notify: no resident has that subject in this mini-app");
  }
  return store_call("notify", ctx, [&](auto& s, auto& e) {
    return s.enqueue_notification(view(subject), view(notification), e);
  });
}

machi_status host_local_time_to_unix(machi_instance_ctx* ctx, machi_str text, int64_t* out) {
  MACHI_REQUIRE(ctx && out, "local_time_to_unix: NULL argument");
  auto instant = local_to_unix_ms(ctx->timezone, view(text));
  if (!instant) return fail(MACHI_ERR_INVALID_ARGUMENT, "local_time_to_unix: " + instant.error());
  *out = instant.value();
  return MACHI_OK;
}
// A data-file name: segments of [A-Za-z0-9._-] joined by "/", none empty or starting with ".".
bool data_file_name_ok(std::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view segment = name.substr(start, end - start);
    if (segment.empty() || segment[0] == '.') return false;
    for (char c : segment) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    start = end + 1;
  }
  return true;
}

machi_status host_read_data_file(machi_instance_ctx* ctx, machi_str name, machi_str* out) {
  MACHI_REQUIRE(ctx && out, "read_data_file: NULL argument");
  static constexpr uintmax_t kMaxBytes = 64u << 20;
  thread_local std::string t_file;
  if (ctx->data_dir.empty()) {
    return fail(MACHI_ERR_UNIMPLEMENTED, "read_data_file: the manifest gives this mini-app no data_dir");
  }
  if (!data_file_name_ok(view(name))) {
    return fail(MACHI_ERR_DENIED, "read_data_file: '" + std::string(view(name)).substr(0, 100) +
                                      "' is not a plain relative file name");
  }
  std::error_code ec;
  auto path = std::filesystem::canonical(ctx->data_dir / std::string(view(name)), ec);
  if (ec || !std::filesystem::is_regular_file(path, ec)) {
    return fail(MACHI_ERR_NOT_FOUND, "read_data_file: no file '" + std::string(view(name)) + "'");
  }
  auto [root_end, path_it] = std::mismatch(ctx->data_dir.begin(), ctx->data_dir.end(), path.begin(), path.end());
  if (root_end != ctx->data_dir.end()) {
    return fail(MACHI_ERR_DENIED, "read_data_file: '" + std::string(view(name)) + "' leads outside the data directory");
  }
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(MACHI_ERR_NOT_FOUND, "read_data_file: " + ec.message());
  if (size > kMaxBytes) return fail(MACHI_ERR_TOO_LARGE, "read_data_file: over 64 MiB");
  std::ifstream in(path, std::ios::binary);
  t_file.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return fail(MACHI_ERR_INTERNAL, "read_data_file: read failed");
  *out = machi_str{t_file.data(), t_file.size()};
  return MACHI_OK;
}

machi_status host_cancel(machi_instance_ctx* ctx, machi_str key) {
  return store_call("cancel", ctx, [&](auto& s, auto& e) { return s.cancel(view(key), e); });
}

machi_status host_publish(machi_instance_ctx* ctx, machi_str channel, machi_str message,
                          uint32_t* out_delivered) {
  MACHI_REQUIRE(ctx, "publish: ctx is NULL");
  if (!LiveHub::valid_channel(view(channel))) {
    return fail(MACHI_ERR_INVALID_ARGUMENT, "publish: channel must be 1–64 of [a-z0-9_.-]");
  }
  if (message.len > kMaxLiveMessage) {
    return fail(MACHI_ERR_TOO_LARGE, "publish: message over 64 KiB");
  }
  uint32_t delivered = 0;
  if (ctx->publish) delivered = ctx->publish(view(channel), view(message));
  if (out_delivered) *out_delivered = delivered;
  return MACHI_OK;
}

machi_status host_card_resolve(machi_request_handle* request, machi_str card, machi_str* out) {
  MACHI_REQUIRE(request && out, "card_resolve: NULL argument");
  if (request->thread != std::this_thread::get_id()) {
    return fail(MACHI_ERR_WRONG_THREAD, "card_resolve: only on the thread running on_request");
  }
  if (!request->resolve_card) {
    return fail(MACHI_ERR_DENIED, "card_resolve: only for requests from staff");
  }
  std::string answer;
  if (!(*request->resolve_card)(view(card), answer)) {
    return fail(MACHI_ERR_DENIED, "card_resolve: " + answer);
  }
  request->resolved_subject = std::move(answer);
  *out = machi_str{request->resolved_subject.data(), request->resolved_subject.size()};
  return MACHI_OK;
}

const machi_host_api kHostApi = {
    sizeof(machi_host_api),
    MACHI_ABI_MINOR,
    host_log,
    host_set_error,
    host_last_error,
    host_config_get,
    host_claim_get,
    host_respond,
    host_defer,
    host_complete,
    host_output_append,
    host_sql_exec,
    host_sql_prepare,
    host_bind_null,
    host_bind_int64,
    host_bind_double,
    host_bind_text,
    host_bind_blob,
    host_step,
    host_column_count,
    host_column_type,
    host_column_name,
    host_column_int64,
    host_column_double,
    host_column_text,
    host_column_blob,
    host_reset,
    host_finalize,
    host_changes,
    host_last_insert_rowid,
    host_begin,
    host_commit,
    host_rollback,
    host_schedule,
    host_cancel,
    host_publish,
    host_card_resolve,
    host_notify,
    host_schedule_until,
    host_local_time_to_unix,
    host_read_data_file,
};

}  // namespace

const machi_host_api* host_api() { return &kHostApi; }

void clear_hook_error() { t_hook_error.clear(); }
const std::string& hook_error() { return t_hook_error; }
const std::string& last_host_error() { return t_last_error; }

machi_status copy_response(const machi_response* in, PluginResponse& out, std::string& error) {
  if (in->struct_size < offsetof(machi_response, header_count) + sizeof(size_t)) {
    error = "response struct_size too small";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  if (in->status < 100 || in->status > 599) {
    error = "status " + std::to_string(in->status) + " is outside 100–599";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  if (in->body.len > kMaxResponseBody) {
    error = "body over 16 MiB";
    return MACHI_ERR_TOO_LARGE;
  }
  if (in->header_count > 0 && !in->headers) {
    error = "header_count > 0 but headers is NULL";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  if (!valid_header_value(view(in->content_type))) {
    error = "content type holds CR, LF or NUL";
    return MACHI_ERR_INVALID_ARGUMENT;
  }
  PluginResponse copy;
  copy.status = in->status;
  copy.content_type = view(in->content_type);
  copy.body = view(in->body);
  for (size_t i = 0; i < in->header_count; ++i) {
    std::string name(view(in->headers[i].name));
    std::string_view value = view(in->headers[i].value);
    bool name_ok = !name.empty();
    for (char& c : name) {
      name_ok = name_ok && is_token_char(c);
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    if (!name_ok || !valid_header_value(value)) {
      error = "header " + std::to_string(i) + " has an invalid name or a CR/LF/NUL in its value";
      return MACHI_ERR_INVALID_ARGUMENT;
    }
    if (name == "set-cookie") continue;  // plugins never set the resident's cookies
    copy.headers.emplace_back(std::move(name), std::string(value));
  }
  out = std::move(copy);
  return MACHI_OK;
}

}  // namespace machi
