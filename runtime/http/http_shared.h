// Internal to runtime/http: the state the listener and the sessions share.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "runtime/http/http_server.h"

namespace machi {

class HttpSession;

struct HttpServer::Shared {
  HttpServerOptions options;
  HttpHandler handler;
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor{ioc};
  boost::asio::steady_timer drain_timer{ioc};
  boost::asio::steady_timer sweep_timer{ioc};  // closes connections past their deadline
  boost::asio::steady_timer accept_pause{ioc};  // after a failed accept (EMFILE)
  std::vector<std::thread> threads;
  std::atomic<size_t> connections{0};
  std::atomic<bool> draining{false};
  uint16_t port = 0;

  std::mutex sessions_mutex;
  std::unordered_map<HttpSession*, std::weak_ptr<HttpSession>> sessions;
};

// Starts serving one accepted connection (http_session.cc).
void start_session(std::shared_ptr<HttpServer::Shared> shared,
                   boost::asio::ip::tcp::socket socket);
// Closes the connection if it is waiting for a request (drain); otherwise it closes after its
// current response.
void close_if_idle(const std::shared_ptr<HttpSession>& session);
// Closes the connection at once (only once the I/O threads have stopped).
void close_now(const std::shared_ptr<HttpSession>& session);
// Closes the connection if its current deadline (idle, read or write) has passed.
void close_if_overdue(const std::shared_ptr<HttpSession>& session,
                      std::chrono::steady_clock::time_point now);

}  // namespace machi
