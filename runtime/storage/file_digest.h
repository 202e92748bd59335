// SHA-256 of a file's content, as lower-case hex (plugin content addresses, backup listings).
// Thread-safety: free function.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace machi::storage {

// The digest, and the file's size in `bytes` when given. The error names the file.
Result<std::string> sha256_file(const std::filesystem::path& file, uint64_t* bytes = nullptr);
// The digest of bytes in memory (plugin copies, stored token and session hashes).
std::string sha256_hex(std::string_view bytes);

}  // namespace machi::storage
