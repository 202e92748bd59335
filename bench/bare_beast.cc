// The baseline for bench/run.sh: a bare one-thread Boost.Beast HTTP/1.1 keep-alive server that
// answers every request with the same bytes the runtime's hello path sends (status, headers,
// body), and does nothing else. What Machi adds on top is measured against this.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)) {}
  void read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return;
                       self->write();
                     });
  }

 private:
  void write() {
    response_ = {};
    response_.result(http::status::ok);
    response_.version(11);
    response_.set(http::field::server, "machi");
    response_.set(http::field::content_type, "application/json");
    response_.set("x-request-id", "0123456789ab-1");
    response_.body() = R"({"message":"hello"})";
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->read();
    });
  }
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) std::make_shared<Session>(std::move(socket))->read();
    accept(acceptor);
  });
}

int main(int argc, char** argv) {
  unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 18090;
  net::io_context ioc{1};
  tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), port});
  accept(acceptor);
  std::printf("bare beast on 127.0.0.1:%u\n", port);
  std::fflush(stdout);
  ioc.run();
}
