#include "runtime/manifest/manifest_watcher.h"

#include <uv.h>

#include <algorithm>
#include <set>
#include <string_view>
#include <thread>

#include "runtime/log/log.h"

namespace machi {

struct ManifestWatcher::Loop {
  uv_loop_t loop{};
  uv_async_t stop{};
  uv_timer_t debounce{};
  struct Ticker {
    uv_timer_t timer{};
    std::chrono::milliseconds interval{0};
    std::function<void()> on_tick;
  };
  std::vector<std::unique_ptr<Ticker>> tickers;
  std::vector<std::unique_ptr<uv_fs_event_t>> events;
  std::vector<std::filesystem::path> directories;
  std::chrono::milliseconds debounce_delay{200};
  OnChange on_change;
  std::thread thread;
  bool started = false;
};

namespace {

bool interesting(const char* filename) {
  if (!filename) return true;  // the platform did not say which: check everything
  std::string_view name(filename);
  return name.ends_with(".json") || name.ends_with(".so");
}

void on_ticked(uv_timer_t* timer) {
  static_cast<ManifestWatcher::Loop::Ticker*>(timer->data)->on_tick();
}

void on_debounced(uv_timer_t* timer) {
  auto* state = static_cast<ManifestWatcher::Loop*>(timer->data);
  state->on_change();
}

void on_fs_event(uv_fs_event_t* handle, const char* filename, int, int status) {
  auto* state = static_cast<ManifestWatcher::Loop*>(handle->data);
  if (status < 0) {
    log_line(LogLevel::kWarn, "watcher", "file watch error", {{"error", uv_strerror(status)}});
    return;
  }
  if (!interesting(filename)) return;
  // Restart the timer: a burst of events (write, rename, chmod) becomes one reload.
  uv_timer_start(&state->debounce, on_debounced,
                 static_cast<uint64_t>(state->debounce_delay.count()), 0);
}

void on_stop(uv_async_t* async) {
  auto* state = static_cast<ManifestWatcher::Loop*>(async->data);
  for (auto& event : state->events) {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(event.get()))) continue;  // a failed watch
    uv_fs_event_stop(event.get());
    uv_close(reinterpret_cast<uv_handle_t*>(event.get()), nullptr);
  }
  uv_timer_stop(&state->debounce);
  uv_close(reinterpret_cast<uv_handle_t*>(&state->debounce), nullptr);
  for (auto& ticker : state->tickers) {
    uv_timer_stop(&ticker->timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&ticker->timer), nullptr);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&state->stop), nullptr);
}

}  // namespace

ManifestWatcher::ManifestWatcher(std::vector<std::filesystem::path> directories,
                                 std::chrono::milliseconds debounce, OnChange on_change)
    : loop_(std::make_unique<Loop>()) {
  std::set<std::filesystem::path> unique;
  for (auto& d : directories) unique.insert(std::filesystem::absolute(d).lexically_normal());
  loop_->directories.assign(unique.begin(), unique.end());
  loop_->debounce_delay = debounce;
  loop_->on_change = std::move(on_change);
}

Status ManifestWatcher::start() {
  Loop& s = *loop_;
  uv_loop_init(&s.loop);
  uv_async_init(&s.loop, &s.stop, on_stop);
  s.stop.data = &s;
  uv_timer_init(&s.loop, &s.debounce);
  s.debounce.data = &s;
  for (auto& ticker : s.tickers) {
    uv_timer_init(&s.loop, &ticker->timer);
    ticker->timer.data = ticker.get();
    auto ms = static_cast<uint64_t>(ticker->interval.count());
    uv_timer_start(&ticker->timer, on_ticked, ms, ms);
  }
  // A directory that cannot be watched loses live reload, but the loop and its timers (the
  // scheduler, key rotation) run regardless.
  std::string failed;
  for (const auto& dir : s.directories) {
    auto event = std::make_unique<uv_fs_event_t>();
    uv_fs_event_init(&s.loop, event.get());
    event->data = &s;
    int rc = uv_fs_event_start(event.get(), on_fs_event, dir.c_str(), 0);
    if (rc < 0) {
      failed += (failed.empty() ? "" : "; ") + dir.string() + ": " + uv_strerror(rc);
      uv_close(reinterpret_cast<uv_handle_t*>(event.get()), nullptr);
    }
    s.events.push_back(std::move(event));  // closed ones too: handles must outlive uv_run
  }
  s.started = true;
  s.thread = std::thread([&s] { uv_run(&s.loop, UV_RUN_DEFAULT); });
  if (!failed.empty()) return Status::error("cannot watch " + failed);
  return Status::ok();
}

void ManifestWatcher::every(std::chrono::milliseconds interval, std::function<void()> on_tick) {
  auto ticker = std::make_unique<Loop::Ticker>();
  ticker->interval = std::max(interval, std::chrono::milliseconds(1));
  ticker->on_tick = std::move(on_tick);
  loop_->tickers.push_back(std::move(ticker));
}

ManifestWatcher::~ManifestWatcher() {
  if (!loop_->started) return;
  uv_async_send(&loop_->stop);
  loop_->thread.join();
  uv_loop_close(&loop_->loop);
}

}  // namespace machi
