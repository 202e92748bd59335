// A small synchronous HTTP/1.1 client on Beast for integration tests (loopback only), plus a raw
// byte exchange for malformed and abusive requests.
#pragma once

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace machi::test {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Reply {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names; the last of repeated ones
  std::vector<std::string> set_cookies;        // every Set-Cookie value, in order
  std::string body;
  bool keep_alive = true;
  // The Set-Cookie value for cookie `name` ("name=value; attributes"), or "".
  std::string set_cookie(std::string_view name) const {
    for (const std::string& c : set_cookies) {
      if (c.size() > name.size() && c.compare(0, name.size(), name) == 0 && c[name.size()] == '=') return c;
    }
    return {};
  }
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : stream_(ioc_) {
    stream_.connect(tcp::endpoint(net::ip::address_v4::loopback(), port));
  }

  Reply request(const std::string& method, const std::string& target,
                const std::string& host = "localhost",
                const std::vector<std::pair<std::string, std::string>>& headers = {},
                const std::string& body = "") {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    for (const auto& [n, v] : headers) req.set(n, v);
    req.body() = body;
    req.prepare_payload();
    stream_.expires_after(std::chrono::seconds(10));
    http::write(stream_, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(stream_, buffer, res);
    Reply reply;
    reply.status = res.result_int();
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (name == "set-cookie") reply.set_cookies.emplace_back(field.value());
      reply.headers[name] = std::string(field.value());
    }
    reply.body = std::move(res.body());
    reply.keep_alive = res.keep_alive();
    return reply;
  }
  Reply get(const std::string& target, const std::string& host = "localhost") {
    return request("GET", target, host);
  }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  net::io_context ioc_;
  beast::tcp_stream stream_;
};

// Sends `bytes` and returns everything the server writes until it closes (or `wait` passes).
inline std::string raw_exchange(uint16_t port, const std::string& bytes,
                                std::chrono::milliseconds wait = std::chrono::seconds(5)) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(tcp::endpoint(net::ip::address_v4::loopback(), port));
  stream.expires_after(wait);
  beast::error_code ec;
  net::write(stream, net::buffer(bytes), ec);
  std::string out;
  char buffer[4096];
  for (;;) {
    size_t n = stream.read_some(net::buffer(buffer), ec);
    out.append(buffer, n);
    if (ec) break;
  }
  return out;
}

// A JSON request to host "localhost", with a bearer token unless `bearer` is empty.
inline Reply call(HttpClient& c, const std::string& method, const std::string& path,
                  const std::string& bearer, const std::string& body = "") {
  std::vector<std::pair<std::string, std::string>> headers = {{"Content-Type", "application/json"}};
  if (!bearer.empty()) headers.emplace_back("Authorization", "Bearer " + bearer);
  return c.request(method, path, "localhost", headers, body);
}

}  // namespace machi::test
