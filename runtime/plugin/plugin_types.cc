#include "runtime/plugin/plugin_types.h"

namespace machi {

bool is_hidden_request_header(std::string_view name) {
  return name == "authorization" || name == "cookie" || name == "proxy-authorization" ||
         name == "forwarded" || name == "via" || name == "x-real-ip" ||
         name.starts_with("x-forwarded-");
}

}  // namespace machi
