#include "runtime/http/http_wire.h"

#include <boost/asio/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/url/parse.hpp>

namespace machi::wire {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;

namespace {

enum class Framing {
  kTransferCoding = 1,
  kBothLengths,
  kTransferEncodingInHttp10,
  kContentLength,
  kObsFold,
  kChunkExtension,
};

class FramingCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "machi.framing"; }
  std::string message(int code) const override {
    switch (static_cast<Framing>(code)) {
      case Framing::kTransferCoding:
        return "Transfer-Encoding must be exactly chunked (no other or repeated coding)";
      case Framing::kBothLengths: return "Transfer-Encoding and Content-Length together";
      case Framing::kTransferEncodingInHttp10: return "Transfer-Encoding in an HTTP/1.0 request";
      case Framing::kContentLength: return "Content-Length must be one field of digits only";
      case Framing::kObsFold: return "a header line continued by folding (obs-fold)";
      case Framing::kChunkExtension: return "whitespace in a chunk extension";
    }
    return "bad framing";
  }
};

const FramingCategory framing_category;

beast::error_code framing_error(Framing f) { return {static_cast<int>(f), framing_category}; }

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

// Chunk extensions (`5;name=value`): RFC 9112 allows whitespace around `;` and `=`, Beast
// takes it, Node's llhttp refuses it — two readings of one chunk line, so it is refused here
// (outside a quoted string).
bool chunk_extension_has_space(std::string_view ext) {
  bool quoted = false;
  for (size_t i = 0; i < ext.size(); ++i) {
    char c = ext[i];
    if (quoted) {
      if (c == '\\') ++i;
      else if (c == '"') quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ' ' || c == '\t') {
      return true;
    }
  }
  return false;
}

void limit(RequestParser& parser, const HttpServerOptions& options) {
  parser.header_limit(static_cast<uint32_t>(options.header_limit));
  parser.body_limit(options.body_limit);
  parser.eager(true);
  // Beast keeps a reference: one stateless callable for every parser of the process.
  static auto check_chunk = [](std::uint64_t, boost::beast::string_view extensions, beast::error_code& ec) {
    if (chunk_extension_has_space(extensions)) ec = framing_error(Framing::kChunkExtension);
  };
  parser.on_chunk_header(check_chunk);
}

beast::error_code check_framing(const BeastRequest::header_type& parsed, std::string_view header) {
  // The raw lines, not Beast's trimmed values: what surrounds a value matters to other parsers
  // (Node's llhttp refuses `chunked<TAB>`). Beast has already checked the block's syntax: CRLF
  // line ends, a token before each colon, no control characters.
  // A line that starts with SP or HTAB continues the previous one (obs-fold): judged first, as
  // it changes what every other line says.
  for (size_t at = header.find('\n'); at != std::string_view::npos && at + 1 < header.size();
       at = header.find('\n', at + 1)) {
    if (header[at + 1] == ' ' || header[at + 1] == '\t') return framing_error(Framing::kObsFold);
  }
  int codings = 0, lengths = 0;
  size_t at = header.find('\n');
  while (at != std::string_view::npos && at + 1 < header.size()) {
    size_t start = at + 1;
    size_t end = header.find('\n', start);
    if (end == std::string_view::npos) break;
    std::string_view line = header.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    at = end;
    if (line.empty()) break;  // the blank line: end of the fields
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (iequals_ascii(name, "transfer-encoding")) {
      // Every element of every Transfer-Encoding field, in order: one `chunked` is all we read.
      while (true) {
        size_t comma = value.find(',');
        std::string_view coding = value.substr(0, comma);
        while (!coding.empty() && coding.front() == ' ') coding.remove_prefix(1);
        while (!coding.empty() && coding.back() == ' ') coding.remove_suffix(1);
        ++codings;
        if (!iequals_ascii(coding, "chunked")) return framing_error(Framing::kTransferCoding);
        if (comma == std::string_view::npos) break;
        value.remove_prefix(comma + 1);
      }
    } else if (iequals_ascii(name, "content-length")) {
      ++lengths;
      if (value.empty() || value.find_first_not_of("0123456789") != std::string_view::npos) {
        return framing_error(Framing::kContentLength);
      }
    }
  }
  if (codings > 1) return framing_error(Framing::kTransferCoding);
  if (codings > 0 && lengths > 0) return framing_error(Framing::kBothLengths);
  if (codings > 0 && parsed.version() < 11) return framing_error(Framing::kTransferEncodingInHttp10);
  if (lengths > 1) return framing_error(Framing::kContentLength);
  return {};
}

beast::error_code feed(RequestParser& parser, beast::flat_buffer& buffer) {
  beast::error_code ec;
  if (!parser.is_header_done()) {
    // The header alone first: Beast takes nothing of a header until all of it is there, then
    // exactly the header (eager off), so the bytes it used are the raw header block. Its
    // framing is checked before a byte of the body is read.
    if (buffer.size() == 0) return http::error::need_more;
    parser.eager(false);
    size_t used = parser.put(buffer.data(), ec);
    if (!ec && parser.is_header_done()) {
      std::string_view header(static_cast<const char*>(buffer.data().data()), used);
      ec = check_framing(parser.get().base(), header);
    }
    buffer.consume(used);
    if (ec) return ec;
    if (!parser.is_header_done()) return http::error::need_more;
    parser.eager(true);
  }
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
    // Several policies are all enforced: a second one may only restrict further. Each cookie
    // is its own Set-Cookie line (RFC 6265 §3: never folded into one).
    if (name == "content-security-policy" || name == "set-cookie") out.insert(name, value);
    else out.set(name, value);
  }
  out.body() = std::move(response.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
}

}  // namespace machi::wire
