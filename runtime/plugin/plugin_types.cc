#include "runtime/plugin/plugin_types.h"

namespace machi {

bool is_hidden_request_header(std::string_view name) {
  for (std::string_view hidden : kHiddenRequestHeaders) {
    if (name == hidden) return true;
  }
  return name.starts_with("x-forwarded-");
}

}  // namespace machi
