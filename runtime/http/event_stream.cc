#include "runtime/http/event_stream.h"

namespace machi {

EventStream::~EventStream() { close(); }

bool EventStream::send(std::string_view event, std::string_view data) {
  std::string text;
  text.reserve(event.size() + data.size() + 16);
  text.append("event: ").append(event).append("\ndata: ");
  for (char c : data) {  // a line break inside the data starts another data line (SSE joins them)
    if (c == '\r') continue;
    if (c == '\n') text.append("\ndata: ");
    else text.push_back(c);
  }
  text.append("\n\n");
  return push(std::move(text));
}

bool EventStream::ping() { return push(": ping\n\n"); }

bool EventStream::push(std::string text) {
  std::function<void()> wake;
  std::vector<std::function<void()>> cleanup;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return false;
    if (queue_.size() + text.size() > max_queued_) {
      dropped_ = true;
      end_locked(cleanup);
    } else {
      queue_ += text;
    }
    wake = wake_;
  }
  for (auto& f : cleanup) f();
  if (wake) wake();
  return !dropped();
}

void EventStream::close() {
  std::function<void()> wake;
  std::vector<std::function<void()>> cleanup;
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
    end_locked(cleanup);
    wake = wake_;
  }
  for (auto& f : cleanup) f();
  if (wake) wake();
}

void EventStream::end_locked(std::vector<std::function<void()>>& run) {
  ended_ = true;
  run.swap(on_end_);
}

bool EventStream::ended() const {
  std::lock_guard lock(mutex_);
  return ended_;
}

bool EventStream::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void EventStream::on_end(std::function<void()> cleanup) {
  {
    std::lock_guard lock(mutex_);
    if (!ended_) {
      on_end_.push_back(std::move(cleanup));
      return;
    }
  }
  cleanup();  // already over: clean up at once
}

void EventStream::set_waker(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  wake_ = std::move(wake);
}

std::string EventStream::take() {
  std::lock_guard lock(mutex_);
  std::string out;
  out.swap(queue_);
  return out;
}

}  // namespace machi
