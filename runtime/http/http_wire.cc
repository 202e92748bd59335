#include "runtime/http/http_wire.h"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>

namespace machi::wire {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

void limit(RequestParser& parser, const HttpServerOptions& options) {
  parser.header_limit(static_cast<uint32_t>(options.header_limit));
  parser.body_limit(options.body_limit);
  parser.eager(true);
}

beast::error_code feed(RequestParser& parser, beast::flat_buffer& buffer) {
  beast::error_code ec;
  while (buffer.size() > 0 && !parser.is_done()) {
    size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec || used == 0) break;
  }
  if (!ec && !parser.is_done()) ec = http::error::need_more;
  return ec;
}

std::optional<HttpResponse> read_error(beast::error_code ec, const HttpServerOptions& options) {
  if (ec == http::error::end_of_stream || ec == net::error::operation_aborted ||
      ec == net::error::connection_reset || ec == net::error::bad_descriptor) {
    return std::nullopt;
  }
  if (ec == http::error::header_limit) {
    return json_error(431, "headers_too_large",
                      "request headers exceed " + std::to_string(options.header_limit) + " bytes");
  }
  if (ec == http::error::body_limit) {
    return json_error(413, "body_too_large",
                      "request body exceeds " + std::to_string(options.body_limit) + " bytes");
  }
  return json_error(400, "bad_request", "malformed request: " + ec.message());
}

namespace {

// The Host header's host, lower case, without port or IPv6 brackets; empty if malformed.
std::string normalize_host(std::string_view host) {
  auto authority = boost::urls::parse_authority(host);
  if (!authority || authority->has_userinfo()) return {};
  std::string h = authority->host_type() == boost::urls::host_type::ipv6
                      ? authority->host_ipv6_address().to_string()
                      : std::string(authority->encoded_host());
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

}  // namespace

std::variant<HttpRequest, HttpResponse> to_request(BeastRequest& message, const std::string& remote) {
  auto target = boost::urls::parse_origin_form(message.target());
  if (!target) return json_error(400, "bad_request", "the request target must be a path");
  auto host = message[http::field::host];
  if (host.empty()) return json_error(400, "bad_request", "the Host header is required");
  HttpRequest out;
  out.method = std::string(message.method_string());
  out.path = std::string(target->encoded_path());
  out.query = std::string(target->encoded_query());
  out.host = normalize_host(host);
  if (out.host.empty()) return json_error(400, "bad_request", "the Host header is malformed");
  out.remote_address = remote;
  out.headers.reserve(16);
  for (const auto& field : message) {
    std::string name(field.name_string());
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);  // ASCII: no locale lookups
    }
    out.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  out.body = std::move(message.body());
  return out;
}

void to_beast(HttpResponse response, bool keep_alive, BeastResponse& out) {
  out = {};
  out.result(response.status);
  out.version(11);
  out.set(http::field::server, "machi");
  if (!response.content_type.empty()) out.set(http::field::content_type, response.content_type);
  for (auto& [name, value] : response.headers) {
    // Several policies are all enforced: a second one may only restrict further.
    if (name == "content-security-policy") out.insert(name, value);
    else out.set(name, value);
  }
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
}

}  // namespace machi::wire
