// One HTTP/1.1 connection: wait for a request (idle timeout), read it whole (read timeout,
// header and body limits), hand it to the handler, write the answer (read timeout again, for a
// client that never reads), repeat while keep-alive. Each phase sets a deadline; the server's
// sweep closes connections past theirs.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <limits>
#include <optional>
#include <variant>

#include "runtime/http/event_stream.h"
#include "runtime/http/http_shared.h"
#include "runtime/http/http_wire.h"

namespace machi {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket)
      : shared_(std::move(shared)), stream_(std::move(socket)) {
    shared_->connections++;
    boost::system::error_code ec;
    auto remote = stream_.remote_endpoint(ec);
    if (!ec) remote_ = remote.address().to_string();
  }
  ~HttpSession() {
    if (events_) events_->finish();  // unsubscribe whatever fed this stream
    {
      std::lock_guard lock(shared_->sessions_mutex);
      shared_->sessions.erase(this);
    }
    --shared_->connections;
  }

  void start() {
    {
      std::lock_guard lock(shared_->sessions_mutex);
      shared_->sessions.emplace(this, weak_from_this());
    }
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->wait_for_request(); });
  }

  void close_if_idle() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->events_) return self->end_stream();  // a stream has no request to finish
      if (self->idle_) self->close();
    });
  }

  void close_now() {
    if (events_) return end_stream();
    close();
  }

  void close_if_overdue(std::chrono::steady_clock::time_point now) {
    if (now.time_since_epoch().count() < deadline_.load(std::memory_order_relaxed)) return;
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->close(); });
  }

 private:
  // Waits for the first bytes of the next request under the idle timeout.
  void wait_for_request() {
    if (shared_->draining.load()) return close();
    if (buffer_.size() > 0) return read_request();  // pipelined bytes already here
    idle_ = true;
    expires_after(shared_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  // Reads one whole request under the read timeout. What is already buffered is parsed at once;
  // only a request that is not complete yet costs another read. wire::feed checks the header's
  // framing before it takes any of the body (not Beast's async_read, which would read on).
  void read_request() {
    parser_.emplace();
    wire::limit(*parser_, shared_->options);
    expires_after(shared_->options.read_timeout);
    continue_request();
  }

  void continue_request() {
    beast::error_code ec = wire::feed(*parser_, buffer_);
    if (ec != http::error::need_more) return on_read(ec);
    stream_.async_read_some(buffer_.prepare(kReadSize),
                            [self = shared_from_this()](beast::error_code e, size_t n) {
                              if (e == net::error::eof) {
                                // The client ended mid-request: a partial message (400).
                                return self->on_read(self->parser_->got_some() ? http::error::partial_message
                                                                               : http::error::end_of_stream);
                              }
                              if (e) return self->on_read(e);
                              self->buffer_.commit(n);
                              self->continue_request();
                            });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (auto answer = wire::read_error(ec, shared_->options)) {
        refused_ = true;
        return send(std::move(*answer), false);
      }
      return close();
    }
    wire::BeastRequest message = parser_->release();
    keep_alive_ = message.keep_alive();
    auto converted = wire::to_request(message, remote_);
    if (auto* refused = std::get_if<HttpResponse>(&converted)) return send(std::move(*refused), false);
    expires_never();  // the router answers within the mini-app's deadline
    // dispatch: an answer given on this connection's own I/O thread (the inline fast path) is
    // written at once; one from a worker thread is queued to that I/O thread.
    shared_->handler(std::get<HttpRequest>(std::move(converted)),
                     [self = shared_from_this()](HttpResponse response) {
      net::dispatch(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->send(std::move(response), self->keep_alive_);
      });
    });
  }

  void send(HttpResponse response, bool keep_alive) {
    if (response.stream) return start_stream(std::move(response));
    if (shared_->draining.load()) keep_alive = false;
    wire::to_beast(std::move(response), keep_alive, response_);  // one response at a time
    expires_after(shared_->options.read_timeout);  // a client that never reads
    http::async_write(stream_, response_,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (!ec && self->refused_) return self->linger();
                        if (ec || !keep_alive) return self->close();
                        self->wait_for_request();
                      });
  }

  // After refusing a request whose bytes may still be arriving: stop sending, then read and drop
  // what comes for a short while before closing, so that closing with unread data (a TCP reset)
  // does not destroy the 400 before the client has read it (RFC 9112 §9.6).
  void linger() {
    beast::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    expires_after(std::min(shared_->options.read_timeout, std::chrono::milliseconds(2000)));
    drain();
  }

  void drain() {
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(kReadSize), [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->close();  // end of stream, or the sweep closed it
      self->drain();
    });
  }

  // --- Server-Sent Events -----------------------------------------------------------------------
  // Headers first, then one chunk per batch of queued events. Each write must finish within the
  // read timeout (a client that stops reading is cut off); between writes the connection has no
  // deadline, a heartbeat comment every 15 s keeps proxies from closing it, and a read on the
  // socket notices the client leaving.
  void start_stream(HttpResponse response) {
    events_ = std::move(response.stream);
    stream_header_ = {};
    stream_header_.result(http::status::ok);
    stream_header_.version(11);
    stream_header_.set(http::field::server, "machi");
    stream_header_.set(http::field::content_type, "text/event-stream; charset=utf-8");
    stream_header_.set(http::field::cache_control, "no-store");
    stream_header_.set("x-accel-buffering", "no");  // nginx: do not buffer the stream
    for (auto& [name, value] : response.headers) stream_header_.set(name, value);
    stream_header_.keep_alive(false);  // the connection ends with the stream
    stream_header_.chunked(true);
    serializer_.emplace(stream_header_);
    expires_after(shared_->options.read_timeout);
    http::async_write_header(stream_, *serializer_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->end_stream();
      self->expires_never();
      std::weak_ptr<HttpSession> weak = self;
      self->events_->set_waker([weak, executor = self->stream_.get_executor()] {
        net::post(executor, [weak] {
          if (auto s = weak.lock()) s->pump();
        });
      });
      self->watch_client();
      self->heartbeat();
      self->pump();
    });
  }

  void pump() {
    if (writing_ || !events_) return;
    std::string data = events_->take();
    if (data.empty()) {
      if (events_->ended()) end_stream();
      return;
    }
    if (events_->dropped()) return end_stream();  // too slow: what is left is not worth sending
    writing_ = true;
    chunk_ = std::move(data);
    expires_after(shared_->options.read_timeout);
    net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       self->expires_never();
                       if (ec) return self->end_stream();
                       self->pump();
                     });
  }

  void watch_client() {
    stream_.async_read_some(buffer_.prepare(1024), [self = shared_from_this()](beast::error_code ec, size_t n) {
      if (ec) return self->end_stream();  // the client left
      self->buffer_.consume(n);           // a stream takes no requests: ignore what it sends
      self->watch_client();
    });
  }

  void heartbeat() {
    heartbeat_.expires_after(std::chrono::seconds(15));
    heartbeat_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->events_ || self->events_->ended()) return;
      self->events_->ping();
      self->heartbeat();
    });
  }

  void end_stream() {
    if (!events_) return;
    auto events = std::move(events_);
    events->finish();  // runs the producers' cleanup (unsubscribe)
    heartbeat_.cancel();
    close();
  }

  void close() {
    beast::error_code ec;
    stream_.shutdown(tcp::socket::shutdown_send, ec);
    stream_.close(ec);
  }

  void expires_after(std::chrono::milliseconds d) {
    deadline_.store((std::chrono::steady_clock::now() + d).time_since_epoch().count(),
                    std::memory_order_relaxed);
  }
  void expires_never() {
    deadline_.store(std::numeric_limits<int64_t>::max(), std::memory_order_relaxed);
  }

  std::shared_ptr<HttpServer::Shared> shared_;
  tcp::socket stream_;
  std::atomic<int64_t> deadline_{std::numeric_limits<int64_t>::max()};  // steady_clock ticks
  beast::flat_buffer buffer_;
  std::optional<wire::RequestParser> parser_;
  wire::BeastResponse response_;
  std::shared_ptr<EventStream> events_;  // set while this connection streams events
  http::response<http::empty_body> stream_header_;
  std::optional<http::response_serializer<http::empty_body>> serializer_;
  std::string chunk_;
  bool writing_ = false;
  net::steady_timer heartbeat_{stream_.get_executor()};
  std::string remote_;
  bool keep_alive_ = true;
  bool idle_ = false;
  bool refused_ = false;  // a request was refused: the connection ends after the answer
  static constexpr size_t kReadSize = 16 * 1024;
};

void start_session(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket) {
  std::make_shared<HttpSession>(std::move(shared), std::move(socket))->start();
}

void close_if_idle(const std::shared_ptr<HttpSession>& session) { session->close_if_idle(); }

void close_now(const std::shared_ptr<HttpSession>& session) { session->close_now(); }

void close_if_overdue(const std::shared_ptr<HttpSession>& session,
                      std::chrono::steady_clock::time_point now) {
  session->close_if_overdue(now);
}

}  // namespace machi
