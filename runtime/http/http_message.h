// Plain HTTP request/response values exchanged between the Beast server and the router, so that
// routing code (and its tests) never includes Beast or Asio.
// Thread-safety: plain values.
#pragma once

#include <boost/json/fwd.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace machi {

struct HttpRequest {
  std::string method;      // "GET"
  std::string path;        // percent-encoded, from the request target, starts with "/"
  std::string query;       // percent-encoded, without "?"
  std::string host;        // Host header, lower case, without port
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;
  std::string remote_address;

  std::string_view header(std::string_view lower_name) const {
    for (const auto& [n, v] : headers) {
      if (n == lower_name) return v;
    }
    return {};
  }
};

class EventStream;

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // Set: a Server-Sent Events answer. The session writes the headers (status 200,
  // text/event-stream, chunked), then whatever the stream queues, until either side ends it.
  std::shared_ptr<EventStream> stream;
};

// Called exactly once per request, from any thread.
using HttpReply = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest, HttpReply)>;
// Runs `task` after `delay` on a server thread (deadlines without Asio in the router). Returns a
// function that cancels it (from any thread); a cancelled task is destroyed without running.
using CancelTask = std::function<void()>;
using ScheduleAfter =
    std::function<CancelTask(std::chrono::milliseconds delay, std::function<void()> task)>;

// {"error":{"code":…,"message":…}} — the runtime's one error body, for its own answers and for
// the answers it gives on a plugin's behalf.
std::string json_error_body(std::string_view code, std::string_view message);
// That body with that status.
HttpResponse json_error(unsigned status, std::string_view code, std::string_view message);

// `v` serialized, with that status and Cache-Control: no-store (answers about one resident or
// operator must never be cached).
HttpResponse json_response(unsigned status, const boost::json::value& v);

// The decoded value of the first `name` parameter in a raw query string ("a=1&b=x%20y"), as
// well-formed UTF-8 (ill-formed bytes become U+FFFD).
std::optional<std::string> query_param(std::string_view query, std::string_view name);

}  // namespace machi
