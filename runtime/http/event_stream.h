// EventStream: one client's Server-Sent Events stream (text/event-stream), between producers
// (live channels, the inbox) on any thread and the HTTP session that writes it. The queue is
// bounded in bytes: a client that reads too slowly to keep up is dropped (its stream ends and
// the connection closes) rather than slowing the producers or growing without limit. Producers
// never block and never write to a socket.
// Thread-safety: every method is thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace machi {

class EventStream {
 public:
  static constexpr size_t kDefaultMaxQueued = 256 * 1024;
  explicit EventStream(size_t max_queued_bytes = kDefaultMaxQueued) : max_queued_(max_queued_bytes) {}
  ~EventStream();

  // Queues one event ("event: …\ndata: …\n\n"; line breaks in `data` become further data lines,
  // which the client's EventSource joins back with "\n"; `event` must be one line). False once
  // the stream has ended; a push that would overflow the queue ends it (the reader was too slow).
  bool send(std::string_view event, std::string_view data);
  // Queues a comment line (heartbeat): keeps proxies from timing the stream out.
  bool ping();
  // Ends the stream from the producer side.
  void close();
  bool ended() const;
  bool dropped() const;  // ended because the client read too slowly

  // Producer cleanup (unsubscribe), run once when the stream ends for any reason.
  void on_end(std::function<void()> cleanup);

  // --- the writer (HTTP session) ---
  // Called after each push and at the end, on the producer's thread: post to your own thread.
  void set_waker(std::function<void()> wake);
  // Everything queued so far (then empty).
  std::string take();
  // The writer is done (client gone or write failed): ends the stream.
  void finish() { close(); }

 private:
  bool push(std::string text);
  void end_locked(std::vector<std::function<void()>>& run);

  const size_t max_queued_;
  mutable std::mutex mutex_;
  std::string queue_;
  bool ended_ = false;
  bool dropped_ = false;
  std::function<void()> wake_;
  std::vector<std::function<void()>> on_end_;
};

}  // namespace machi
