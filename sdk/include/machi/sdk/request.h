// Request, Response and Claims: C++ views over the ABI's request, and a response builder that
// the SDK hands to the host (which copies it). A Request and its views are valid only during
// handle(); call Response::defer() to answer later from any thread through a Pending.
#pragma once

#include <machi/plugin_api.h>

#include <boost/json.hpp>
#include <boost/url/parse_query.hpp>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "machi/sdk/host.h"
#include "machi/sdk/json.h"
#include "machi/sdk/utf8.h"

namespace machi::sdk {

// The resident's claims granted to this mini-app. Values may be absent.
class Claims {
 public:
  explicit Claims(const machi_claims* raw) : raw_(raw) {}
  std::optional<std::string_view> get(std::string_view name) const {
    machi_str value{};
    if (!raw_ || host().claim_get(raw_, to_view(name), &value) != MACHI_OK) return std::nullopt;
    return from_view(value);
  }
  std::optional<std::string_view> subject() const { return get(MACHI_CLAIM_SUBJECT); }
  bool verified() const { return get(MACHI_CLAIM_ASSURANCE) == "verified"; }
  bool has_role(std::string_view role) const {
    auto roles = get(MACHI_CLAIM_ROLES);
    if (!roles) return false;
    std::string error;
    auto parsed = parse_json(*roles, error);
    if (!parsed || !parsed->is_array()) return false;
    for (const auto& r : parsed->as_array()) {
      if (r.is_string() && r.as_string() == role) return true;
    }
    return false;
  }
  const machi_claims* raw() const { return raw_; }

 private:
  const machi_claims* raw_;
};

// A number in a path segment ("/holds/42"): anything else, or below `min`, answers 404 `code`
// ("'abc' is not a hold id") through HttpError.
inline int64_t path_number(std::string_view segment, const char* code, const std::string& what, int64_t min = 1) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(segment.data(), segment.data() + segment.size(), v);
  if (ec != std::errc() || end != segment.data() + segment.size() || v < min) {
    throw HttpError(404, code, "'" + std::string(segment) + "' is not " + what);
  }
  return v;
}

class Request {
 public:
  explicit Request(const machi_request* raw) : raw_(raw), claims_(raw->claims) {}
  std::string_view method() const { return from_view(raw_->method); }
  std::string_view path() const { return from_view(raw_->path); }
  std::string_view query() const { return from_view(raw_->query); }
  std::string_view body() const { return from_view(raw_->body); }
  std::string_view request_id() const { return from_view(raw_->request_id); }
  const Claims& claims() const { return claims_; }

  // Header by lower-case name.
  std::optional<std::string_view> header(std::string_view name) const {
    for (size_t i = 0; i < raw_->header_count; ++i) {
      if (from_view(raw_->headers[i].name) == name) return from_view(raw_->headers[i].value);
    }
    return std::nullopt;
  }

  // Decoded query parameter (first occurrence), as well-formed UTF-8 (ill-formed bytes become
  // U+FFFD, so a value echoed into an answer keeps the answer valid JSON).
  std::optional<std::string> query_param(std::string_view name) const {
    auto params = boost::urls::parse_query(query());
    if (!params) return std::nullopt;
    for (auto param : *params) {
      std::string key = param.key.decode();
      if (key == name) return param.has_value ? valid_utf8(param.value.decode()) : std::string();
    }
    return std::nullopt;
  }

  // The body as JSON; a malformed body answers 400 through HttpError.
  boost::json::value json() const {
    std::string error;
    auto value = parse_json(body(), error);
    if (!value) throw HttpError(400, "invalid_json", "request body: " + error);
    return std::move(*value);
  }

  // The body as a JSON object; empty, malformed or another JSON type answers 400 invalid_body /
  // invalid_json through HttpError.
  boost::json::object json_object() const {
    if (body().empty()) throw HttpError(400, "invalid_body", "a JSON object body is required");
    boost::json::value value = json();
    if (!value.is_object()) throw HttpError(400, "invalid_body", "the body must be a JSON object");
    return std::move(value.as_object());
  }

  // Staff flows (ABI 1.1): the resident behind a scanned citizen card, as this mini-app's
  // pairwise subject. The card is spent and the resident sees the disclosure. Throws HttpError
  // 403 when refused (not staff, bad or used card) and 501 on a 1.0 host.
  std::string resolve_card(std::string_view card) const {
    if (host().abi_minor < 1) {
      throw HttpError(501, "unsupported", "this runtime cannot resolve citizen cards (ABI 1.0)");
    }
    machi_str subject{};
    machi_status status = host().card_resolve(raw_->handle, to_view(card), &subject);
    if (status != MACHI_OK) {
      machi_str why{};
      host().last_error(&why);
      throw HttpError(403, "card_refused", std::string(from_view(why)));
    }
    return std::string(from_view(subject));
  }

  // Staff routes: throws 403 staff_only (naming the roles) unless the caller holds one of `roles`.
  void require_any_role(const std::vector<std::string>& roles) const {
    std::string names;
    for (const auto& role : roles) {
      if (claims_.has_role(role)) return;
      names += (names.empty() ? "" : ", ") + role;
    }
    throw HttpError(403, "staff_only", "needs one of the staff roles: " + names);
  }

  const machi_request* raw() const { return raw_; }

 private:
  const machi_request* raw_;
  Claims claims_;
};

// What a plugin answers. Owned by the plugin until the host copies it.
struct ResponseData {
  unsigned status = 200;
  std::string content_type;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  // Calls `send` with the ABI view of this response (valid during the call).
  template <typename Send>
  machi_status with_view(Send send) const {
    std::vector<machi_header> views;
    views.reserve(headers.size());
    for (const auto& [n, v] : headers) views.push_back({to_view(n), to_view(v)});
    machi_response r{};
    r.struct_size = sizeof(r);
    r.status = status;
    r.content_type = to_view(content_type);
    r.body = to_view(body);
    r.headers = views.data();
    r.header_count = views.size();
    return send(r);
  }
};

// A deferred answer: keep it, complete it once from any thread. Completing after the deadline
// (or after the client left) returns MACHI_ERR_EXPIRED and is otherwise harmless.
class Pending {
 public:
  Pending(machi_instance_ctx* ctx, uint64_t token) : ctx_(ctx), token_(token) {}
  machi_status complete(const ResponseData& response) const {
    return response.with_view([&](const machi_response& r) {
      return host().complete(ctx_, token_, &r);
    });
  }
  uint64_t token() const { return token_; }

 private:
  machi_instance_ctx* ctx_;
  uint64_t token_;
};

class Response {
 public:
  Response(machi_instance_ctx* ctx, machi_request_handle* handle) : ctx_(ctx), handle_(handle) {}

  Response& status(unsigned code) { data_.status = code; return *this; }
  Response& header(std::string name, std::string value) {
    data_.headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  Response& json(const boost::json::value& value, unsigned code = 200) {
    data_.status = code;
    data_.content_type = "application/json";
    data_.body = to_json_text(value);
    return *this;
  }
  Response& text(std::string body, std::string content_type = "text/plain; charset=utf-8") {
    data_.content_type = std::move(content_type);
    data_.body = std::move(body);
    return *this;
  }
  Response& error(unsigned code, std::string_view error_code, std::string_view message) {
    boost::json::object e{{"code", error_code}, {"message", message}};
    return json(boost::json::object{{"error", std::move(e)}}, code);
  }

  // Answer later. After defer(), this Response is no longer sent when handle() returns.
  Pending defer() {
    uint64_t token = 0;
    check(host().defer(handle_, &token), "defer");
    deferred_ = true;
    return Pending(ctx_, token);
  }
  bool deferred() const { return deferred_; }
  const ResponseData& data() const { return data_; }

  // Used by the SDK after handle() returns.
  machi_status send() const {
    return data_.with_view([&](const machi_response& r) { return host().respond(handle_, &r); });
  }

 private:
  machi_instance_ctx* ctx_;
  machi_request_handle* handle_;
  ResponseData data_;
  bool deferred_ = false;
};

}  // namespace machi::sdk
