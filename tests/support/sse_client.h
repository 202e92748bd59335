// A Server-Sent Events client for integration tests (loopback only): sends one GET, reads the
// response head, then hands out events one at a time as the chunked body arrives.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace machi::test {

struct SseEvent {
  std::string event;
  std::string data;  // data lines joined with "\n"
};

class SseClient {
 public:
  SseClient(uint16_t port, const std::string& target,
            const std::vector<std::pair<std::string, std::string>>& headers = {},
            const std::string& host = "localhost")
      : stream_(ioc_) {
    namespace http = boost::beast::http;
    stream_.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), port));
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, host);
    req.set(http::field::accept, "text/event-stream");
    for (const auto& [n, v] : headers) req.set(n, v);
    http::write(stream_, req);
    parser_.body_limit(boost::none);
    on_chunk_ = [this](std::uint64_t, boost::string_view body, boost::beast::error_code&) {
      text_.append(body.data(), body.size());
      return body.size();
    };
    parser_.on_chunk_body(on_chunk_);  // kept by reference: a member, alive as long as the parser
    stream_.expires_after(std::chrono::seconds(5));
    boost::beast::error_code ec;
    http::read_header(stream_, buffer_, parser_, ec);
    if (!ec) {
      status = parser_.get().result_int();
      content_type = std::string(parser_.get()[http::field::content_type]);
    }
    if (ec || !parser_.get().chunked()) closed_ = true;  // not a stream (an error answer)
  }

  // The next event (comments skipped), or nullopt if none arrives within `timeout` or the
  // server ended the stream.
  std::optional<SseEvent> next(std::chrono::milliseconds timeout = std::chrono::seconds(3)) {
    namespace http = boost::beast::http;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      if (auto e = parse_one()) return e;
      if (closed_) return std::nullopt;
      auto left = deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::milliseconds(0)) return std::nullopt;
      // Asynchronous, so the wait can end at the deadline (Beast's timeouts bind async reads only).
      boost::beast::error_code ec;
      bool done = false;
      http::async_read_some(stream_, buffer_, parser_, [&](boost::beast::error_code e, std::size_t) {
        ec = e;
        done = true;
      });
      ioc_.restart();
      ioc_.run_for(left);
      if (!done) {  // nothing arrived in time: cancel the read and let it finish
        stream_.socket().cancel();
        ioc_.restart();
        ioc_.run();
        return parse_one();
      }
      if (ec || parser_.is_done()) closed_ = true;
    }
  }
  bool closed() const { return closed_; }
  void disconnect() { stream_.close(); }

  unsigned status = 0;
  std::string content_type;

 private:
  std::optional<SseEvent> parse_one() {
    for (;;) {
      auto end = text_.find("\n\n");
      if (end == std::string::npos) return std::nullopt;
      std::string block = text_.substr(0, end);
      text_.erase(0, end + 2);
      SseEvent e;
      bool any = false;
      size_t pos = 0;
      while (pos <= block.size()) {
        auto nl = block.find('\n', pos);
        std::string line = block.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? block.size() + 1 : nl + 1;
        if (line.empty() || line[0] == ':') continue;
        if (line.rfind("event: ", 0) == 0) e.event = line.substr(7), any = true;
        if (line.rfind("data: ", 0) == 0) {
          e.data += (e.data.empty() ? "" : "\n") + line.substr(6);
          any = true;
        }
      }
      if (any) return e;
    }
  }

  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::response_parser<boost::beast::http::empty_body> parser_;
  std::function<std::size_t(std::uint64_t, boost::string_view, boost::beast::error_code&)> on_chunk_;
  std::string text_;
  bool closed_ = false;
};

}  // namespace machi::test
