#include "runtime/http/http_server.h"

#include <sys/resource.h>

#include <algorithm>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include "runtime/http/http_shared.h"
#include "runtime/log/log.h"

namespace machi {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

void do_accept(std::shared_ptr<HttpServer::Shared> shared);

// Over the connection limit: a short 503 written without blocking, then closed.
void refuse(tcp::socket& socket) {
  static const std::string kBusy =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
      "Connection: close\r\nContent-Length: 82\r\n\r\n"
      R"({"error":{"code":"too_many_connections","message":"the server is at its limit"}})";
  boost::system::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(net::buffer(kBusy), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

void on_accept(std::shared_ptr<HttpServer::Shared> shared, boost::system::error_code ec,
               tcp::socket socket) {
  if (ec == net::error::operation_aborted || !shared->acceptor.is_open()) return;
  if (ec) {
    // EMFILE and friends (the connection limit, fitted to the descriptor limit at start, should
    // prevent them): log, and pause accepting briefly instead of spinning on the error.
    log_line(LogLevel::kWarn, "http", "accept failed", {{"error", ec.message()}});
    shared->accept_pause.expires_after(std::chrono::milliseconds(100));
    shared->accept_pause.async_wait([shared](boost::system::error_code) { do_accept(shared); });
    return;
  } else if (shared->connections.load() >= shared->options.max_connections) {
    refuse(socket);
  } else {
    start_session(shared, std::move(socket));
  }
  do_accept(std::move(shared));
}

void do_accept(std::shared_ptr<HttpServer::Shared> shared) {
  auto& acceptor = shared->acceptor;
  // A strand per connection only when several threads run the io_context; with one thread the
  // plain executor is already serial and cheaper.
  net::any_io_executor executor = shared->options.io_threads > 1
                                      ? net::any_io_executor(net::make_strand(shared->ioc))
                                      : net::any_io_executor(shared->ioc.get_executor());
  acceptor.async_accept(executor,
                        [shared = std::move(shared)](boost::system::error_code ec,
                                                     tcp::socket socket) mutable {
                          on_accept(std::move(shared), ec, std::move(socket));
                        });
}

// Stops the I/O threads once every connection has closed, or at the deadline (whatever is still
// running then is cut off).
void drain_poll(std::shared_ptr<HttpServer::Shared> shared,
                std::chrono::steady_clock::time_point deadline) {
  if (shared->connections.load() == 0 || std::chrono::steady_clock::now() >= deadline) {
    shared->sweep_timer.cancel();
    shared->ioc.stop();
    return;
  }
  shared->drain_timer.expires_after(std::chrono::milliseconds(20));
  shared->drain_timer.async_wait([shared, deadline](boost::system::error_code ec) {
    if (!ec) drain_poll(shared, deadline);
  });
}

// Timeouts are per-connection deadlines (set with one store per phase, no timer operations on
// the request path); this sweep closes the overdue ones. Granularity: the sweep interval.
void sweep(std::shared_ptr<HttpServer::Shared> shared) {
  auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<HttpSession>> sessions;
  {
    std::lock_guard lock(shared->sessions_mutex);
    sessions.reserve(shared->sessions.size());
    for (auto& [raw, weak] : shared->sessions) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& s : sessions) close_if_overdue(s, now);
  auto interval = std::clamp(std::min(shared->options.read_timeout, shared->options.idle_timeout) / 8,
                             std::chrono::milliseconds(10), std::chrono::milliseconds(250));
  shared->sweep_timer.expires_after(interval);
  shared->sweep_timer.async_wait([shared](boost::system::error_code ec) {
    if (!ec) sweep(shared);
  });
}

}  // namespace

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : shared_(std::make_shared<Shared>()) {
  shared_->options = std::move(options);
  shared_->handler = std::move(handler);
}

HttpServer::~HttpServer() {
  stop();
  wait();
}

// Fits the connection limit under the process's file-descriptor limit (raising the soft limit
// towards the hard one first), keeping `kReservedDescriptors` for databases, plugins, logs and
// outgoing connections: thousands of idle clients then meet the limit's 503, never EMFILE.
size_t HttpServer::fit_connection_limit(size_t wanted) {
  constexpr rlim_t kReservedDescriptors = 256;
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return wanted;
  rlim_t needed = static_cast<rlim_t>(wanted) + kReservedDescriptors;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max == RLIM_INFINITY ? needed : std::min(needed, limit.rlim_max);
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= needed) return wanted;
  size_t fitted = limit.rlim_cur > 2 * kReservedDescriptors
                      ? static_cast<size_t>(limit.rlim_cur - kReservedDescriptors)
                      : static_cast<size_t>(limit.rlim_cur / 2);
  log_line(LogLevel::kWarn, "http", "connection limit lowered to fit the file-descriptor limit",
           {{"wanted", std::to_string(wanted)}, {"max_connections", std::to_string(fitted)},
            {"nofile", std::to_string(limit.rlim_cur)}});
  return fitted;
}

Status HttpServer::start() {
  shared_->options.max_connections = fit_connection_limit(shared_->options.max_connections);
  boost::system::error_code ec;
  auto address = net::ip::make_address(shared_->options.address, ec);
  if (ec) return Status::error("listen address '" + shared_->options.address + "': " + ec.message());
  tcp::endpoint endpoint(address, shared_->options.port);
  auto& acceptor = shared_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::error("cannot listen on " + shared_->options.address + ":" +
                         std::to_string(shared_->options.port) + ": " + ec.message());
  }
  shared_->port = acceptor.local_endpoint().port();
  do_accept(shared_);
  sweep(shared_);
  size_t threads = std::max<size_t>(1, shared_->options.io_threads);
  for (size_t i = 0; i < threads; ++i) {
    shared_->threads.emplace_back([shared = shared_] { shared->ioc.run(); });
  }
  return Status::ok();
}

uint16_t HttpServer::port() const { return shared_->port; }
size_t HttpServer::open_connections() const { return shared_->connections.load(); }
size_t HttpServer::max_connections() const { return shared_->options.max_connections; }

void HttpServer::stop() {
  if (shared_->draining.exchange(true)) return;
  net::post(shared_->ioc, [shared = shared_] {
    boost::system::error_code ec;
    shared->acceptor.close(ec);
    shared->accept_pause.cancel();
    std::vector<std::shared_ptr<HttpSession>> sessions;
    {
      std::lock_guard lock(shared->sessions_mutex);
      for (auto& [raw, weak] : shared->sessions) {
        if (auto s = weak.lock()) sessions.push_back(std::move(s));
      }
    }
    for (auto& s : sessions) close_if_idle(s);
    drain_poll(shared, std::chrono::steady_clock::now() + shared->options.drain_timeout);
  });
}

void HttpServer::wait() {
  for (auto& t : shared_->threads) {
    if (t.joinable()) t.join();
  }
  shared_->threads.clear();
  // Connections still open at the drain deadline, and the operations they had pending: closed
  // here, their aborted completions run on this thread so that each drops its session. Left
  // pending, sessions and the server state they share would keep each other alive for good.
  std::vector<std::shared_ptr<HttpSession>> sessions;
  {
    std::lock_guard lock(shared_->sessions_mutex);
    for (auto& [raw, weak] : shared_->sessions) {
      if (auto s = weak.lock()) sessions.push_back(std::move(s));
    }
  }
  for (auto& s : sessions) close_now(s);
  sessions.clear();
  shared_->sweep_timer.cancel();
  shared_->drain_timer.cancel();
  shared_->accept_pause.cancel();
  shared_->ioc.restart();
  while (shared_->ioc.poll() > 0) {
  }
}

void HttpServer::post(std::function<void()> task) { net::post(shared_->ioc, std::move(task)); }

ScheduleAfter HttpServer::scheduler() {
  std::weak_ptr<Shared> weak = shared_;
  return [weak](std::chrono::milliseconds delay, std::function<void()> task) -> CancelTask {
    auto shared = weak.lock();
    if (!shared) return [] {};
    auto timer = std::make_shared<net::steady_timer>(shared->ioc, delay);
    timer->async_wait([timer, task = std::move(task)](boost::system::error_code ec) {
      if (!ec) task();
    });
    // steady_timer is not thread-safe: cancel on the I/O side.
    std::weak_ptr<net::steady_timer> weak_timer = timer;
    return [weak, weak_timer] {
      if (auto s = weak.lock()) {
        net::post(s->ioc, [weak_timer] {
          if (auto t = weak_timer.lock()) t->cancel();
        });
      }
    };
  };
}

}  // namespace machi
