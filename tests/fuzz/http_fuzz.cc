// Fuzzes the bytes of one client connection through the server's own steps (runtime/http/
// http_wire.h: parser under the server's limits, request conversion, read-error answers,
// response serialization) and the real Router with the demo municipality's manifest and its
// real plugins — the path HttpSession runs, without a socket. Pipelined requests are answered in
// turn while the connection stays keep-alive.
// Oracles beyond "no crash, no sanitizer report": every answer is answered exactly once, has a
// status in 200–599, never 500 from the runtime itself, serializes to bytes that Beast parses
// back as a response with no CR/LF smuggled into a header, and a JSON answer is valid JSON.
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <sstream>

#include "runtime/dispatch/worker_pool.h"
#include "runtime/http/http_wire.h"
#include "runtime/routing/municipalities.h"
#include "runtime/routing/router.h"

namespace {

using namespace machi;
namespace http = boost::beast::http;

struct World {
  std::filesystem::path dir;
  LiveHub live;
  std::unique_ptr<PluginLoader> loader;
  std::unique_ptr<Municipalities> municipalities;
  WorkerPool pool{2, 64, std::chrono::seconds(30)};
  std::unique_ptr<Router> router;
  HttpServerOptions limits;
};

World* world = nullptr;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "http_fuzz oracle: %s: %s\n", what, detail.c_str());
  std::abort();
}

HttpResponse route(HttpRequest request) {
  std::mutex m;
  std::condition_variable cv;
  std::optional<HttpResponse> answer;
  int replies = 0;
  world->router->handle(std::move(request), [&](HttpResponse r) {
    std::lock_guard lock(m);
    if (++replies == 1) answer = std::move(r);
    cv.notify_all();
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return answer.has_value(); });
  return std::move(*answer);
}

void check(HttpResponse response, bool keep_alive) {
  if (response.stream) return;  // an event stream: headers only, nothing more to check here
  if (response.status < 200 || response.status > 599) fail("status", std::to_string(response.status));
  bool json = response.content_type.rfind("application/json", 0) == 0;
  if (response.status == 500) fail("500 answer", response.body);
  if (json && !response.body.empty()) {
    boost::system::error_code ec;
    boost::json::parse(response.body, ec);
    if (ec) fail("JSON answer that is not JSON", response.body.substr(0, 200));
  }
  for (const auto& [name, value] : response.headers) {
    if (name.find_first_of("\r\n:") != std::string::npos || value.find_first_of("\r\n") != std::string::npos) {
      fail("header with CR/LF", name);
    }
  }
  wire::BeastResponse out;
  wire::to_beast(std::move(response), keep_alive, out);
  std::ostringstream bytes;
  bytes << out;
  boost::beast::flat_buffer buffer;
  auto text = bytes.str();
  buffer.commit(boost::asio::buffer_copy(buffer.prepare(text.size()), boost::asio::buffer(text)));
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(std::numeric_limits<uint64_t>::max());
  boost::beast::error_code ec;
  parser.put(buffer.data(), ec);
  if (ec && ec != http::error::need_more) fail("unparseable response", ec.message());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  world = new World;  // lives for the process: plugins and worker threads stay up between inputs
  char tmpl[] = "/tmp/machi-http-fuzz-XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  world->dir = tmpl;
  world->loader = std::make_unique<PluginLoader>(world->dir / "cache");
  world->municipalities = std::make_unique<Municipalities>(
      *world->loader,
      MunicipalitiesOptions{{MACHI_PLUGIN_DIR}, world->dir / "data", &world->live, {}});
  auto problems = world->municipalities->load(std::filesystem::path(MACHI_DEMO_DIR) / "demo.json");
  if (!problems.empty()) {
    for (const auto& p : problems) std::fprintf(stderr, "demo manifest: %s\n", p.c_str());
    std::abort();
  }
  // Deadlines: a task scheduled here never runs, so a hook that never answers hangs the input
  // and libFuzzer reports a timeout (a real bug for these plugins).
  world->router = std::make_unique<Router>(*world->municipalities, world->pool,
                                           [](std::chrono::milliseconds, std::function<void()>) {
                                             return CancelTask([] {});
                                           });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::beast::flat_buffer buffer;
  buffer.commit(boost::asio::buffer_copy(buffer.prepare(size), boost::asio::buffer(data, size)));
  for (int requests = 0; requests < 16; ++requests) {
    wire::RequestParser parser;
    wire::limit(parser, world->limits);
    auto ec = wire::feed(parser, buffer);
    if (ec == http::error::need_more) return 0;  // the server would wait for the rest
    if (ec) {
      if (auto answer = wire::read_error(ec, world->limits)) check(std::move(*answer), false);
      return 0;
    }
    wire::BeastRequest message = parser.release();
    bool keep_alive = message.keep_alive();
    auto converted = wire::to_request(message, "127.0.0.1");
    if (auto* refused = std::get_if<HttpResponse>(&converted)) {
      check(std::move(*refused), false);
      return 0;
    }
    check(route(std::get<HttpRequest>(std::move(converted))), keep_alive);
    if (!keep_alive) return 0;
  }
  return 0;
}
