// HttpServer: HTTP/1.1 keep-alive on Boost.Beast (listener → session, after Beast's advanced
// server). Header limit → 431, body limit → 413, a malformed request → 400, each with the JSON
// error body; an idle connection is closed after idle_timeout and a request that does not arrive
// whole within read_timeout is cut off (slowloris). Connections beyond max_connections get 503
// and are closed; the limit is fitted under the file-descriptor limit at start. stop() drains: no new connections, every in-flight request is answered with
// `Connection: close`, idle connections are closed, and the threads exit (at the latest after
// drain_timeout). Thread-safety: start/stop/wait from one controlling thread; the handler is
// called on I/O threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "runtime/http/http_message.h"
#include "runtime/status.h"

namespace machi {

struct HttpServerOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (tests)
  size_t io_threads = 1;
  size_t header_limit = 16 * 1024;
  size_t body_limit = 1024 * 1024;
  std::chrono::milliseconds read_timeout{15'000};
  std::chrono::milliseconds idle_timeout{60'000};
  size_t max_connections = 10'000;
  std::chrono::milliseconds drain_timeout{10'000};
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // stops and joins if still running

  Status start();  // binds, listens and starts the I/O threads
  uint16_t port() const;
  void stop();     // graceful drain; returns at once
  void wait();     // joins the I/O threads
  size_t open_connections() const;
  size_t max_connections() const;  // as fitted at start() (see fit_connection_limit)
  // `wanted`, or less when the process's descriptor limit (raised towards its hard limit) cannot
  // hold that many connections plus a reserve for files, plugins and outgoing connections.
  static size_t fit_connection_limit(size_t wanted);
  ScheduleAfter scheduler();
  // Runs `task` on an I/O thread (how other threads hand work to the server side).
  void post(std::function<void()> task);

  struct Shared;  // state shared with sessions (http_server.cc)

 private:
  std::shared_ptr<Shared> shared_;
};

}  // namespace machi
