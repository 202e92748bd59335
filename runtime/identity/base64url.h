// Base64url without padding (RFC 7515 §2) over OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock.
// Thread-safety: free functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace machi::identity {

std::string base64url_encode(std::string_view bytes);
// nullopt for any character outside the base64url alphabet, padding, or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace machi::identity
