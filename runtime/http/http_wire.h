// Internal to runtime/http (and the HTTP fuzz harness): the byte-level steps of one HTTP/1.1
// exchange, apart from any socket — feeding buffered bytes to Beast's parser under the server's
// limits, turning a parsed message into an HttpRequest (or the 400 answer), the answer for a
// read error, and an HttpResponse as a Beast message. HttpSession and tests/fuzz/http_fuzz.cc
// both go through these, so the fuzzer exercises exactly what the server runs.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <optional>
#include <string>
#include <variant>

#include "runtime/http/http_message.h"
#include "runtime/http/http_server.h"

namespace machi::wire {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastResponse = boost::beast::http::response<boost::beast::http::string_body>;
using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A parser with the server's header and body limits.
void limit(RequestParser& parser, const HttpServerOptions& options);

// Feeds what `buffer` holds to `parser`, consuming what it used. Returns need_more (an incomplete
// request: read more), success (a whole request) or the parse error. The header is checked for
// a framing that only one reading can give (check_framing) before any byte of the body is taken:
// a request that fails it is an error and the connection must close after the 400.
boost::beast::error_code feed(RequestParser& parser, boost::beast::flat_buffer& buffer);

// RFC 9112 §6 framing rules beyond Beast's own, which a request smuggler relies on parsers
// reading differently (docs/architecture.md "Request framing"):
// - Transfer-Encoding, in one or several fields, must be exactly `chunked` (any case; spaces
//   around it, a tab only before it); every other coding or list (`xchunked`, `chunked, identity`,
//   `identity`, `gzip, chunked`, `chunked, chunked`, an empty element) is refused;
// - never with Content-Length, never in an HTTP/1.0 request;
// - Content-Length: one field, 1*DIGIT (no list, sign, inner space or trailing tab);
// - no obs-fold (a header line starting with space or tab) anywhere in the header: RFC 9112
//   §5.2 lets a server refuse it, and folding is how a second reading of a field is hidden.
// `header` is the raw header block up to and including the blank line (for obs-fold).
boost::beast::error_code check_framing(const BeastRequest::header_type& parsed, std::string_view header);

// The answer to a failed read: 431, 413 or 400 with the JSON error body; nullopt when the
// connection simply ended (end of stream, reset, aborted) and nothing is to be sent.
std::optional<HttpResponse> read_error(boost::beast::error_code ec, const HttpServerOptions& options);

// The request the router sees, or the 400 answer for a target that is not a path or a missing or
// malformed Host header.
std::variant<HttpRequest, HttpResponse> to_request(BeastRequest& message, const std::string& remote);

// `response` as the Beast message written on the wire (Server, Content-Type, its headers,
// Connection, Content-Length).
void to_beast(HttpResponse response, bool keep_alive, BeastResponse& out);

}  // namespace machi::wire
