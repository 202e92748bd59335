// `machi plugin-host`: the process an out-of-process mini-app runs in. It receives one Init
// frame on `fd` (a socket the runtime passed), loads the plugin with the same loader and
// mounts it with the same PluginInstance as the runtime would in-process, then serves frames
// (host_wire.h) until the runtime closes the socket: requests and hook calls run on its own
// worker threads; host functions that need the runtime (publish, card_resolve, notify's
// recipient check) are asked of it over the same socket. Storage, scheduling and the outbox
// work on the mini-app's own database file directly, as in-process.
#pragma once

#include <sys/types.h>

namespace machi {

// Runs the host until the runtime goes away; the process exit code. `parent`: the runtime's pid
// (the host exits if it is no longer its parent, and is killed when the parent dies).
int run_plugin_host(int fd, pid_t parent);

}  // namespace machi
