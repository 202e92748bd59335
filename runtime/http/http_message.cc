#include "runtime/http/http_message.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace machi {

std::string json_error_body(std::string_view code, std::string_view message) {
  boost::json::object error{{"code", code}, {"message", message}};
  return boost::json::serialize(boost::json::object{{"error", std::move(error)}});
}

HttpResponse json_error(unsigned status, std::string_view code, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.body = json_error_body(code, message);
  return r;
}

}  // namespace machi
