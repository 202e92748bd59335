#include "runtime/http/https_client.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>

namespace machi {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

net::awaitable<void> exchange(const notify::PushRequest& request, const HttpsClientOptions& options,
                              ssl::context& tls, notify::PushReply& reply) {
  auto url = boost::urls::parse_absolute_uri(request.url);
  if (!url || url->scheme() != "https") {
    reply.error = "not an https URL";
    co_return;
  }
  std::string host(url->encoded_host());
  std::string port = url->has_port() ? std::string(url->port()) : "443";
  std::string target(url->encoded_resource());
  if (target.empty()) target = "/";
  auto executor = co_await net::this_coro::executor;
  tcp::resolver resolver(executor);
  beast::ssl_stream<beast::tcp_stream> stream(executor, tls);
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  if (ec && !SSL_set_tlsext_host_name(stream.native_handle(), host.c_str())) {  // SNI for names
    reply.error = "cannot set the TLS server name";
    co_return;
  }
  stream.set_verify_callback(ssl::host_name_verification(host));
  beast::get_lowest_layer(stream).expires_after(options.timeout);
  auto endpoints = co_await resolver.async_resolve(host, port, net::use_awaitable);
  co_await beast::get_lowest_layer(stream).async_connect(endpoints, net::use_awaitable);
  co_await stream.async_handshake(ssl::stream_base::client, net::use_awaitable);
  http::request<http::string_body> out{http::verb::post, target, 11};
  out.set(http::field::host, url->encoded_host_and_port());
  out.set(http::field::user_agent, "machi");
  for (const auto& [name, value] : request.headers) out.set(name, value);
  out.body() = request.body;
  out.prepare_payload();
  co_await http::async_write(stream, out, net::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(options.max_response);
  co_await http::async_read(stream, buffer, parser, net::use_awaitable);
  reply.status = parser.get().result_int();
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(net::redirect_error(net::use_awaitable, ec));  // best effort
}

}  // namespace

notify::PushReply https_post(const notify::PushRequest& request, const HttpsClientOptions& options) {
  notify::PushReply reply;
  try {
    ssl::context tls(ssl::context::tls_client);
    tls.set_options(ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (options.ca_file.empty()) tls.set_default_verify_paths();
    else tls.load_verify_file(options.ca_file);
    tls.set_verify_mode(ssl::verify_peer);
    net::io_context ioc;
    net::co_spawn(ioc, exchange(request, options, tls, reply), [&](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        if (reply.status == 0) reply.error = x.what();
      }
    });
    ioc.run();
  } catch (const std::exception& x) {
    reply.error = x.what();
  }
  return reply;
}

}  // namespace machi
