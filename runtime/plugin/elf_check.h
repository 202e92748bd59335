// Checks that a file is a whole shared library for this machine before anything maps it: the
// ELF header (64-bit, this byte order and machine, ET_DYN), program headers inside the file,
// every PT_LOAD and PT_DYNAMIC segment's bytes inside the file, section headers inside the file,
// and the one exported symbol (MACHI_NEGOTIATE_SYMBOL, a defined global function) in .dynsym.
// A truncated copy (a deploy tool copying non-atomically, a full disk) fails here instead of
// making the dynamic loader touch pages past the end of the file (SIGBUS).
// Thread-safety: free function.
#pragma once

#include <string_view>

#include "runtime/status.h"

namespace machi {

// `bytes`: the whole file. The error says what is wrong, without the file name.
Status check_plugin_elf(std::string_view bytes);

}  // namespace machi
