#include "runtime/http/http_message.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse_query.hpp>
#include <machi/sdk/utf8.h>

namespace machi {

std::string json_error_body(std::string_view code, std::string_view message) {
  // Messages may quote what a client sent: repaired to well-formed UTF-8 so the body stays JSON.
  boost::json::object error{{"code", code}, {"message", sdk::valid_utf8(message)}};
  return boost::json::serialize(boost::json::object{{"error", std::move(error)}});
}

HttpResponse json_error(unsigned status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = json_error_body(code, message);
  return r;
}

HttpResponse json_response(unsigned status, const boost::json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = boost::json::serialize(v);
  r.headers = {{"cache-control", "no-store"}};
  return r;
}

std::optional<std::string> query_param(std::string_view query, std::string_view name) {
  auto params = boost::urls::parse_query(query);
  if (!params) return std::nullopt;
  for (auto param : *params) {
    if (param.key == name) {
      return param.has_value ? sdk::valid_utf8(param.value.decode()) : std::string();
    }
  }
  return std::nullopt;
}

}  // namespace machi
