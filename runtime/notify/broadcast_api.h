// HTTP side of broadcasts (see broadcasts.h): paths under /api/v1/staff/broadcasts, for staff
// with the "operator" role (checked by the caller).
// Thread-safety: free function, runs on a worker thread.
#pragma once

#include <string>
#include <string_view>

#include "runtime/http/http_message.h"
#include "runtime/live/live_hub.h"

namespace machi {
struct MunicipalitySnapshot;
}

namespace machi::notify {

inline constexpr const char* kBroadcastRole = "operator";

HttpResponse handle_broadcasts(const MunicipalitySnapshot& m, const std::string& staff_login,
                               const HttpRequest& request, std::string_view rest, LiveHub* live);

}  // namespace machi::notify
