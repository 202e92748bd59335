// Photos residents attach to reports: checked to be a whole JPEG or PNG (by their structure, not
// by what the client claims), bounded in pixel size, and rewritten without metadata before
// anything is stored: JPEG keeps only what decoding needs (JFIF, quantisation and Huffman
// tables, frame and scans, ICC colour profile, Adobe colour transform) — Exif (GPS position,
// camera, time), XMP, IPTC, comments, thumbnails and anything after the end marker are dropped;
// a non-default Exif orientation is kept as a new Exif block holding that one tag, so the photo
// still shows upright. PNG keeps only critical and colour chunks (no tEXt/zTXt/iTXt/eXIf/tIME).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace disaster {

struct CleanImage {
  std::string type;  // "image/jpeg" or "image/png"
  uint32_t width = 0, height = 0;
  int orientation = 1;               // Exif orientation kept (JPEG), 1 = as stored
  std::vector<std::string> removed;  // what was dropped: "Exif", "XMP", "comment", "tEXt", …
  std::string bytes;
};

inline constexpr uint32_t kMaxImageSide = 10000;
inline constexpr uint64_t kMaxImagePixels = 40'000'000;

// nullopt with `error` saying what is wrong (not an image, truncated, too many pixels…).
std::optional<CleanImage> clean_image(std::string_view bytes, std::string& error);

}  // namespace disaster
