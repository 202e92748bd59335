// One HTTP/1.1 connection: wait for a request (idle timeout), read it whole (read timeout,
// header and body limits), hand it to the handler, write the answer, repeat while keep-alive.
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

#include <optional>

#include "runtime/http/http_shared.h"

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
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = remote.address().to_string();
  }
  ~HttpSession() {
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
      if (self->idle_) self->close();
    });
  }

 private:
  // Waits for the first bytes of the next request under the idle timeout.
  void wait_for_request() {
    if (shared_->draining.load()) return close();
    if (buffer_.size() > 0) return read_request();  // pipelined bytes already here
    idle_ = true;
    stream_.expires_after(shared_->options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->read_request();
                            });
  }

  // Reads one whole request under the read timeout.
  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(shared_->options.header_limit));
    parser_->body_limit(shared_->options.body_limit);
    stream_.expires_after(shared_->options.read_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset) {
      return close();
    }
    if (ec == http::error::header_limit) {
      return send(json_error(431, "headers_too_large",
                             "request headers exceed " +
                                 std::to_string(shared_->options.header_limit) + " bytes"),
                  false);
    }
    if (ec == http::error::body_limit) {
      return send(json_error(413, "body_too_large",
                             "request body exceeds " +
                                 std::to_string(shared_->options.body_limit) + " bytes"),
                  false);
    }
    if (ec) return send(json_error(400, "bad_request", "malformed request: " + ec.message()), false);

    http::request<http::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    HttpRequest request;
    if (!convert(message, request)) return;
    stream_.expires_never();  // the router answers within the mini-app's deadline
    shared_->handler(std::move(request), [self = shared_from_this()](HttpResponse response) {
      net::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
        self->send(std::move(response), self->keep_alive_);
      });
    });
  }

  bool convert(http::request<http::string_body>& message, HttpRequest& out) {
    auto target = boost::urls::parse_origin_form(message.target());
    if (!target) {
      send(json_error(400, "bad_request", "the request target must be a path"), false);
      return false;
    }
    auto host = message[http::field::host];
    if (host.empty()) {
      send(json_error(400, "bad_request", "the Host header is required"), false);
      return false;
    }
    out.method = std::string(message.method_string());
    out.path = std::string(target->encoded_path());
    out.query = std::string(target->encoded_query());
    out.host = normalize_host(host);
    out.remote_address = remote_;
    out.headers.reserve(16);
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    out.body = std::move(message.body());
    return true;
  }

  static std::string normalize_host(std::string_view host) {
    std::string h;
    if (!host.empty() && host.front() == '[') {  // [::1]:8080
      auto end = host.find(']');
      h = std::string(host.substr(1, end == std::string_view::npos ? host.size() : end - 1));
    } else {
      h = std::string(host.substr(0, host.find(':')));
    }
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return h;
  }

  void send(HttpResponse response, bool keep_alive) {
    if (shared_->draining.load()) keep_alive = false;
    auto message = std::make_shared<http::response<http::string_body>>();
    message->result(response.status);
    message->version(11);
    message->set(http::field::server, "machi");
    message->set(http::field::content_type, response.content_type);
    for (auto& [name, value] : response.headers) message->set(name, value);
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive);
    message->prepare_payload();
    stream_.expires_after(shared_->options.read_timeout);  // a client that never reads
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->wait_for_request();
                      });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  std::shared_ptr<HttpServer::Shared> shared_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  bool keep_alive_ = true;
  bool idle_ = false;
};

void start_session(std::shared_ptr<HttpServer::Shared> shared, tcp::socket socket) {
  std::make_shared<HttpSession>(std::move(shared), std::move(socket))->start();
}

void close_if_idle(const std::shared_ptr<HttpSession>& session) { session->close_if_idle(); }

}  // namespace machi
