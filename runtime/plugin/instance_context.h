// The concrete types behind the ABI's opaque instance, request and output handles. Internal to
// runtime/plugin: the host API and PluginInstance share them.
// Thread-safety: an InstanceContext is shared by every thread calling into the instance; its
// members are either immutable after creation or thread-safe themselves.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "machi/plugin_api.h"
#include "runtime/live/live_hub.h"
#include "runtime/plugin/health_tracker.h"
#include "runtime/plugin/pending_table.h"
#include "runtime/plugin/plugin_types.h"
#include "runtime/storage/plugin_store.h"

struct machi_instance_ctx {
  std::string municipality_id;
  std::string mount_id;
  std::string plugin_id;
  std::string config_json;
  bool has_on_event = false;
  std::chrono::milliseconds deadline{5000};
  std::unique_ptr<machi::storage::PluginStore> store;
  machi::PendingTable pending;
  // Where publish goes (the live hub, or the runtime through a plugin host); may be empty:
  // publish reaches nobody.
  std::function<uint32_t(std::string_view channel, std::string_view message)> publish;
  std::string timezone;
  int64_t job_quota = 0;
  std::filesystem::path data_dir;  // canonical; empty: read_data_file is unavailable
  std::function<bool(std::string_view subject)> known_subject;
  machi::HealthTracker health;
};

// One on_request call. Lives on the calling thread's stack until on_request returns.
struct machi_request_handle {
  machi_instance_ctx* ctx = nullptr;
  std::thread::id thread;
  bool answered = false;
  bool deferred = false;
  uint64_t token = 0;
  machi::PluginResponse response;
  std::function<void(machi::PluginResponse)> done;  // moved into the pending table on defer
  const machi::CardResolver* resolve_card = nullptr;
  std::string resolved_subject;  // card_resolve's answer, valid until on_request returns
};

// A hook's JSON answer (info card, health, export, config problems).
struct machi_output {
  static constexpr size_t kLimit = 1024 * 1024;
  std::string data;
  std::thread::id thread = std::this_thread::get_id();
};
