// Opens a plugin build in a throwaway child process (`machi plugin-probe FILE`) before the
// serving process maps it: the child dlopens the file (running the plugin's static
// constructors) and negotiates the ABI, then exits. A build that crashes the dynamic loader, a
// constructor that crashes or hangs, or a refused handshake costs only the child.
// Thread-safety: free functions.
#pragma once

#include <chrono>
#include <filesystem>

#include "runtime/status.h"

namespace machi {

inline constexpr std::chrono::milliseconds kProbeTimeout{15'000};

// Runs `executable plugin-probe file` and waits up to `timeout` (then kills it). OK when the
// child opened and negotiated the plugin; otherwise the child's own message, or how it died.
Status probe_plugin_in_child(const std::filesystem::path& executable, const std::filesystem::path& file,
                             std::chrono::milliseconds timeout = kProbeTimeout);

// The child's side (the `plugin-probe` command): opens `file` in this process with the real
// loader, prints "ok ID VERSION" or the refusal on stdout; the exit code (0: opened).
int run_plugin_probe(const std::filesystem::path& file);

}  // namespace machi
