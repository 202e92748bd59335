// Live streams over Server-Sent Events:
//   POST /api/v1/me/stream-tickets   a one-time ticket (60 s) for opening a stream where the
//                                    client cannot send credentials (EventSource sends no
//                                    Authorization header; cross-site it sends no cookie)
//   GET  /api/v1/me/stream[?ticket=T][&channels=mount/channel,…]
//                                    the resident's inbox events, plus the mini-apps' live
//                                    channels asked for (authenticated by the session cookie,
//                                    a bearer token, or the ticket)
//   GET  /apps/{id}/live/{channel}   one mini-app channel, anonymous (public displays)
// Each stream starts with an event "ready". Per-client queues are bounded (EventStream): a slow
// reader is dropped and never slows the publishers.
// Thread-safety: every method is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "runtime/http/http_message.h"
#include "runtime/live/live_hub.h"

namespace machi {
struct MunicipalitySnapshot;
}

namespace machi::notify {

class StreamApi {
 public:
  static constexpr size_t kMaxChannels = 16;
  static constexpr std::chrono::seconds kTicketLifetime{60};

  explicit StreamApi(LiveHub* live) : live_(live) {}

  HttpResponse issue_ticket(const MunicipalitySnapshot& m, const std::string& public_id);
  // The resident behind a ticket, which is spent; nullopt if unknown, used or expired.
  std::optional<std::string> redeem_ticket(const MunicipalitySnapshot& m, std::string_view ticket);

  HttpResponse resident_stream(const MunicipalitySnapshot& m, const std::string& public_id,
                               const HttpRequest& request);
  HttpResponse channel_stream(const MunicipalitySnapshot& m, std::string_view mount,
                              std::string_view channel);

 private:
  struct Ticket {
    std::string municipality;
    std::string public_id;
    std::chrono::steady_clock::time_point expires;
  };
  LiveHub* live_;
  std::mutex mutex_;
  std::unordered_map<std::string, Ticket> tickets_;  // keyed by SHA-256 of the ticket
};

}  // namespace machi::notify
