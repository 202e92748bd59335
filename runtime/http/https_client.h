// An HTTPS POST for the push sender: TLS 1.2+ with certificate and host-name verification
// against the system's trust store (or `ca_file`), a deadline over the whole exchange, one
// connection per request. Used only for push services already on the manifest's allowlist.
// Thread-safety: free function; each call has its own I/O context.
#pragma once

#include <chrono>
#include <string>

#include "runtime/notify/push_sender.h"

namespace machi {

struct HttpsClientOptions {
  std::string ca_file;  // PEM bundle to trust instead of the system's (private push services, tests)
  std::chrono::milliseconds timeout{10'000};
  size_t max_response = 64 * 1024;
};

notify::PushReply https_post(const notify::PushRequest& request, const HttpsClientOptions& options);

}  // namespace machi
