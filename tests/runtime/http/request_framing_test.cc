// Request framing (RFC 9112 §6): the bytes of one connection through the server's own parsing
// steps (runtime/http/http_wire.h, which HttpSession runs), for every request-smuggling vector
// in the HTTP fuzz corpus (tests/fuzz/corpus/http/smuggle-*) — and a differential check against
// Node's own parser (llhttp through node:http on loopback, tests/js/http_boundaries.mjs): for
// every corpus input, wherever Node sees a different request boundary than Machi, Machi must
// have refused. The real server's answers (400 and close) are in tests/integration/abuse_test.cc.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/http/http_wire.h"
#include "runtime/identity/base64url.h"
#include "tests/support/run_command.h"

using namespace machi;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

struct Seen {
  std::string method, target, body;
  bool operator==(const Seen&) const = default;
};

// What Machi makes of `bytes`: the requests it would hand to the router, then how it stopped:
// "refused: <message>" (a 400/413/431 and close), "wait" (an incomplete request: it waits for
// more) or "closed" (a request without keep-alive ended the connection, or nothing was left).
struct Reading {
  std::vector<Seen> requests;
  std::string end;
};

Reading machi_reading(const std::string& bytes) {
  HttpServerOptions limits;
  boost::beast::flat_buffer buffer;
  buffer.commit(boost::asio::buffer_copy(buffer.prepare(bytes.size()), boost::asio::buffer(bytes)));
  Reading out;
  while (true) {
    if (buffer.size() == 0) {
      out.end = "closed";
      return out;
    }
    wire::RequestParser parser;
    wire::limit(parser, limits);
    auto ec = wire::feed(parser, buffer);
    if (ec == http::error::need_more) {
      out.end = "wait";
      return out;
    }
    if (ec) {
      auto answer = wire::read_error(ec, limits);
      REQUIRE(answer.has_value());
      out.end = "refused: " + answer->body;
      return out;
    }
    wire::BeastRequest message = parser.release();
    bool keep_alive = message.keep_alive();
    Seen seen{std::string(message.method_string()), std::string(message.target()), message.body()};
    auto converted = wire::to_request(message, "127.0.0.1");
    if (auto* refused = std::get_if<HttpResponse>(&converted)) {
      out.end = "refused: " + refused->body;
      return out;
    }
    out.requests.push_back(std::move(seen));
    if (!keep_alive) {
      out.end = "closed";
      return out;
    }
  }
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string vector_bytes(const std::string& name) {
  auto path = std::filesystem::path(MACHI_HTTP_CORPUS) / name;
  REQUIRE_MESSAGE(std::filesystem::exists(path), path.string());
  return read_file(path);
}

bool refused(const Reading& r) { return r.end.starts_with("refused: "); }

}  // namespace

TEST_CASE("every smuggling vector whose framing has two readings is refused before any request is taken") {
  // Each: the corpus file, and the words the 400 must give.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"smuggle-xchunked-cl", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-xchunked", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-chunked-identity", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-identity", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-identity-cl", "Transfer-Encoding"},
      {"smuggle-gzip-chunked", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-te-repeated", "Transfer-Encoding"},
      {"smuggle-te-split", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-te-chunked-then-identity", "Transfer-Encoding"},
      {"smuggle-te-chunked-chunked", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-te-empty-element", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-te-leading-comma", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-te-quoted", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-te-trailing-tab", "Transfer-Encoding must be exactly chunked"},
      {"smuggle-cl-tab", "Content-Length must be one field of digits only"},
      {"smuggle-chunk-ext-space-after-semicolon", "whitespace in a chunk extension"},
      {"smuggle-chunk-ext-last-bws", "whitespace in a chunk extension"},
      {"smuggle-te-vtab", "malformed request"},
      {"smuggle-te-space-before-colon", "malformed request"},
      {"smuggle-te-obs-fold", "obs-fold"},
      {"smuggle-te-obs-fold-empty", "obs-fold"},
      {"smuggle-obs-fold-other", "obs-fold"},
      {"smuggle-te-http10", "Transfer-Encoding in an HTTP/1.0 request"},
      {"smuggle-te-cl-chunked-last", "malformed request"},
      {"smuggle-cl-te", "malformed request"},
      {"smuggle-chunk-ext-bws", "whitespace in a chunk extension"},
      {"smuggle-chunk-ext-empty", "malformed request"},
      {"smuggle-chunk-size-hex-prefix", "malformed request"},
      {"smuggle-chunk-size-negative", "malformed request"},
      {"smuggle-chunk-size-space-after", "malformed request"},
      {"smuggle-chunk-size-space-before", "malformed request"},
      {"smuggle-chunk-size-not-hex", "malformed request"},
      {"smuggle-chunk-size-overflow", "malformed request"},
      {"smuggle-chunk-data-too-long", "malformed request"},
      {"smuggle-chunk-lf-only", "malformed request"},
      {"smuggle-cl-plus", "malformed request"},
      {"smuggle-cl-minus", "malformed request"},
      {"smuggle-cl-inner-space", "malformed request"},
      {"smuggle-cl-list-same", "Content-Length must be one field of digits only"},
      {"smuggle-cl-duplicate-same", "Content-Length must be one field of digits only"},
      {"smuggle-cl-duplicate-differ", "malformed request"},
      {"smuggle-cl-hex", "malformed request"},
      {"smuggle-cl-empty", "malformed request"},
      {"smuggle-cl-space-before-colon", "malformed request"},
      {"smuggle-bare-cr-header", "malformed request"},
      {"smuggle-lf-only-header", "malformed request"},
  };
  for (const auto& vector : vectors) {
    const std::string& name = vector.first;
    CAPTURE(name);
    Reading r = machi_reading(vector_bytes(name));
    CHECK(r.requests.empty());
    CHECK_MESSAGE(r.end.find(vector.second) != std::string::npos, r.end);
    CHECK(r.end.find("\"code\":\"bad_request\"") != std::string::npos);
  }
}

TEST_CASE("well-framed variants are read as RFC 9112 reads them: the next request starts where the body ends") {
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"smuggle-te-spaces", "abc"},        {"smuggle-te-upper", "abc"}, {"smuggle-te-leading-tab", "abc"},
      {"smuggle-te-mixed-case", "abc"},    {"smuggle-chunk-ext", "abc"},
      {"smuggle-chunk-ext-quoted", "abc"}, {"smuggle-chunk-trailer", "abc"},
      {"smuggle-cl-leading-space", "abcd"}, {"smuggle-cl-leading-zeros", "abcd"},
      {"smuggle-get-with-body", "abcd"},
  };
  for (const auto& vector : vectors) {
    const std::string& name = vector.first;
    CAPTURE(name);
    Reading r = machi_reading(vector_bytes(name));
    REQUIRE_MESSAGE(r.requests.size() == 2, r.end);
    CHECK(r.requests[0].target == "/healthz");
    CHECK(r.requests[0].body == vector.second);
    CHECK(r.requests[1] == Seen{"GET", "/smuggled", ""});
    CHECK(r.end == "closed");
  }
}

TEST_CASE("a header that is still arriving is not judged early; once whole, its framing is") {
  // The bytes of a refused request, one at a time: no answer before the blank line, then the 400.
  std::string bytes = vector_bytes("smuggle-xchunked-cl");
  HttpServerOptions limits;
  wire::RequestParser parser;
  wire::limit(parser, limits);
  boost::beast::flat_buffer buffer;
  size_t header_end = bytes.find("\r\n\r\n") + 4;
  boost::beast::error_code ec;
  for (size_t i = 0; i < header_end; ++i) {
    buffer.commit(boost::asio::buffer_copy(buffer.prepare(1), boost::asio::buffer(&bytes[i], 1)));
    ec = wire::feed(parser, buffer);
    if (i + 1 < header_end) REQUIRE(ec == http::error::need_more);
  }
  CHECK(ec);
  CHECK(ec != http::error::need_more);
  CHECK(wire::read_error(ec, limits)->status == 400);
  // A good chunked request split anywhere reads the same as in one piece.
  std::string good = vector_bytes("chunked");
  for (size_t split = 1; split < good.size(); split += 7) {
    wire::RequestParser p;
    wire::limit(p, limits);
    boost::beast::flat_buffer b;
    b.commit(boost::asio::buffer_copy(b.prepare(split), boost::asio::buffer(good.data(), split)));
    auto first = wire::feed(p, b);
    if (first) REQUIRE(first == http::error::need_more);
    b.commit(boost::asio::buffer_copy(b.prepare(good.size() - split),
                                      boost::asio::buffer(good.data() + split, good.size() - split)));
    REQUIRE_FALSE(wire::feed(p, b));
    CHECK(p.get().body() == "{\"a\":1}");
  }
}

TEST_CASE("differential: wherever Node's llhttp sees other request boundaries than Machi, Machi refused") {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(MACHI_HTTP_CORPUS)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 60);
  std::string command = std::string(MACHI_NODE) + " " + MACHI_JS_DIR + "/http_boundaries.mjs";
  for (const auto& f : files) command += " '" + f.string() + "'";
  auto ran = machi::test::run_command(command);  // not a structured binding: clang 14 cannot capture one
  REQUIRE_MESSAGE(ran.first == 0, ran.second);
  std::istringstream lines(ran.second);
  std::string line;
  size_t compared = 0, agreed = 0, machi_refused_first = 0;
  while (std::getline(lines, line)) {
    json::object node = json::parse(line).as_object();
    std::string file(node.at("file").as_string());
    CAPTURE(file);
    REQUIRE(compared < files.size());
    REQUIRE(file == files[compared].string());
    ++compared;
    std::vector<Seen> node_complete;
    bool node_partial = false;
    for (const auto& r : node.at("requests").as_array()) {
      if (!r.at("complete").as_bool()) {
        node_partial = true;
        break;
      }
      std::string plain;
      {
        // node sends standard base64: translate to base64url without padding for our decoder.
        std::string b64(r.at("body").as_string());
        for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '_' : c;
        while (!b64.empty() && b64.back() == '=') b64.pop_back();
        auto decoded = identity::base64url_decode(b64);
        REQUIRE(decoded.has_value());
        plain = *decoded;
      }
      node_complete.push_back(Seen{std::string(r.at("method").as_string()),
                                   std::string(r.at("url").as_string()), plain});
    }
    Reading machi = machi_reading(read_file(file));
    CAPTURE(machi.end);
    // Every request Machi takes, Node took too, with the same bounds.
    for (size_t i = 0; i < machi.requests.size(); ++i) {
      CAPTURE(i);
      const std::string& taken = machi.requests[i].target;
      CAPTURE(taken);
      REQUIRE_MESSAGE(i < node_complete.size(), "Machi took a request Node did not");
      CHECK(machi.requests[i] == node_complete[i]);
    }
    // Where Machi stops without refusing (waiting for more, or closed), Node has no further
    // complete request it would serve from these bytes (Node keeps reading after
    // `Connection: close` and HTTP/1.0, which Machi does not).
    if (machi.end == "wait") CHECK(node_complete.size() == machi.requests.size());
    if (machi.requests.size() == node_complete.size() && !node_partial &&
        (node.at("error").is_null()) == !refused(machi)) {
      ++agreed;
    } else if (refused(machi)) {
      ++machi_refused_first;
    }
  }
  CHECK(compared == files.size());
  MESSAGE(compared << " inputs: " << agreed << " read alike by both (the same requests, and both or"
                   << " neither refusing the rest); " << machi_refused_first
                   << " refused by Machi where Node read further");
  CHECK(agreed >= 20);  // the comparison compares: most ordinary inputs are read alike
}
