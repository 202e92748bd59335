// Decrypts a Web Push body the way a browser would, with an independent implementation (npm
// http_ece, through tests/js/decrypt_push.mjs), for a subscription with the RFC 8291 Appendix A
// user-agent keys (kUaPublic / kUaPrivate / kUaAuth).
#pragma once

#include <boost/json/serialize.hpp>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include "runtime/identity/base64url.h"
#include "tests/support/scratch_dir.h"

namespace machi::test {

inline const std::string kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
inline const std::string kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
inline const std::string kUaAuth = "BTBZMqHH6r4Tts7J_aSIgg";

inline std::string decrypt_with_http_ece(const std::string& body) {
  ScratchDir dir;
  auto input = dir / "in.json";
  std::ofstream(input) << boost::json::serialize(boost::json::object{
      {"body", identity::base64url_encode(body)}, {"ua_private", kUaPrivate},
      {"ua_public", kUaPublic}, {"auth", kUaAuth}});
  std::string command =
      std::string(MACHI_NODE) + " " MACHI_JS_DIR "/decrypt_push.mjs < " + input.string() + " 2>&1";
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return "error: popen";
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  pclose(pipe);
  return out;
}

}  // namespace machi::test
