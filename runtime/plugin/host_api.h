// The host function table every plugin receives at negotiation (machi_host_api, ABI 1.0), and
// the per-thread error text hooks report through set_error.
// Thread-safety: the table is immutable; error text is thread-local.
#pragma once

#include <string>

#include "machi/plugin_api.h"
#include "runtime/plugin/plugin_types.h"

namespace machi {

const machi_host_api* host_api();

// set_error text of the hook call running on this thread; cleared before each hook call.
void clear_hook_error();
const std::string& hook_error();
// Why the last failed host callback on this thread failed (what last_error gives plugins).
const std::string& last_host_error();

// Checks a plugin's response: status range, header names and values (no CR/LF), size. Drops
// Set-Cookie. MACHI_OK, or MACHI_ERR_INVALID_ARGUMENT / MACHI_ERR_TOO_LARGE with `error`.
machi_status copy_response(const machi_response* in, PluginResponse& out, std::string& error);

}  // namespace machi
