#include "photo.h"

#include <array>
#include <set>

namespace disaster {

namespace {

uint32_t be16(std::string_view b, size_t at) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(b[at])) << 8) | static_cast<unsigned char>(b[at + 1]);
}
uint32_t be32(std::string_view b, size_t at) { return (be16(b, at) << 16) | be16(b, at + 2); }

bool check_pixels(uint32_t width, uint32_t height, std::string& error) {
  if (width == 0 || height == 0) return error = "the image has no pixels", false;
  if (width > kMaxImageSide || height > kMaxImageSide ||
      static_cast<uint64_t>(width) * height > kMaxImagePixels) {
    error = "the image is " + std::to_string(width) + "×" + std::to_string(height) + " pixels; at most " +
            std::to_string(kMaxImageSide) + " per side and " + std::to_string(kMaxImagePixels / 1'000'000) +
            " million pixels";
    return false;
  }
  return true;
}

// The Exif orientation (tag 0x0112 in IFD0), 1 when absent or unreadable.
int exif_orientation(std::string_view exif) {  // exif: the TIFF structure after "Exif\0\0"
  if (exif.size() < 8) return 1;
  bool little = exif.substr(0, 2) == "II";
  if (!little && exif.substr(0, 2) != "MM") return 1;
  auto u16 = [&](size_t at) -> uint32_t {
    uint32_t a = static_cast<unsigned char>(exif[at]), b = static_cast<unsigned char>(exif[at + 1]);
    return little ? a | (b << 8) : (a << 8) | b;
  };
  auto u32 = [&](size_t at) -> uint32_t { return little ? u16(at) | (u16(at + 2) << 16) : (u16(at) << 16) | u16(at + 2); };
  size_t ifd = u32(4);
  if (ifd + 2 > exif.size()) return 1;
  size_t count = u16(ifd);
  for (size_t i = 0; i < count && ifd + 2 + (i + 1) * 12 <= exif.size(); ++i) {
    size_t e = ifd + 2 + i * 12;
    if (u16(e) == 0x0112 && u16(e + 2) == 3) {
      int v = static_cast<int>(u16(e + 8));
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

// An APP1 Exif segment holding only the orientation (big-endian TIFF, one IFD0 entry).
std::string orientation_segment(int orientation) {
  std::string p("Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01", 24);
  p += static_cast<char>(0);
  p += static_cast<char>(orientation);
  p += std::string(2, '\0');  // value padding
  p += std::string(4, '\0');  // no next IFD
  std::string seg("\xff\xe1", 2);
  size_t len = p.size() + 2;
  seg += static_cast<char>(len >> 8);
  seg += static_cast<char>(len & 0xff);
  return seg + p;
}

bool is_sof(unsigned m) {
  return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
}

std::optional<CleanImage> clean_jpeg(std::string_view b, std::string& error) {
  CleanImage img;
  img.type = "image/jpeg";
  std::string out("\xff\xd8", 2);
  size_t app0_end = out.size();  // where a kept orientation goes: after JFIF, else after SOI
  bool frame = false, scan = false, end = false;
  size_t i = 2;
  std::set<std::string> removed;
  while (i < b.size() && !end) {
    if (static_cast<unsigned char>(b[i]) != 0xff) {
      error = "malformed JPEG: expected a marker at byte " + std::to_string(i);
      return std::nullopt;
    }
    while (i < b.size() && static_cast<unsigned char>(b[i]) == 0xff) ++i;  // fill bytes
    if (i >= b.size()) break;
    unsigned m = static_cast<unsigned char>(b[i]);
    ++i;
    if (m == 0xd9) {
      out += "\xff\xd9";
      end = true;
      break;
    }
    if ((m >= 0xd0 && m <= 0xd7) || m == 0x01) {
      out += '\xff';
      out += static_cast<char>(m);
      continue;
    }
    if (m == 0xd8 || m == 0x00) {
      error = "malformed JPEG: unexpected marker at byte " + std::to_string(i - 1);
      return std::nullopt;
    }
    if (i + 2 > b.size()) break;
    uint32_t len = be16(b, i);
    if (len < 2 || i + len > b.size()) {
      error = "malformed JPEG: a segment at byte " + std::to_string(i - 2) + " runs past the end of the file";
      return std::nullopt;
    }
    std::string_view payload = b.substr(i + 2, len - 2);
    std::string_view segment = b.substr(i - 2, len + 2);
    i += len;
    bool keep = true;
    if (m == 0xe1) {
      keep = false;
      if (payload.starts_with(std::string_view("Exif\0\0", 6))) {
        img.orientation = exif_orientation(payload.substr(6));
        // Our own orientation-only segment (an image cleaned before) loses nothing when rewritten.
        if (segment != orientation_segment(img.orientation)) removed.insert("Exif");
      } else if (payload.starts_with("http://ns.adobe.com/xap/1.0/") || payload.starts_with("http://ns.adobe.com/xmp")) {
        removed.insert("XMP");
      } else {
        removed.insert("APP1");
      }
    } else if (m == 0xe2) {
      keep = payload.starts_with(std::string_view("ICC_PROFILE\0", 12));
      if (!keep) removed.insert("APP2");
    } else if (m == 0xee) {
      keep = payload.starts_with("Adobe");
      if (!keep) removed.insert("APP14");
    } else if (m == 0xed) {
      keep = false, removed.insert("IPTC");
    } else if (m == 0xfe) {
      keep = false, removed.insert("comment");
    } else if (m >= 0xe3 && m <= 0xef) {
      keep = false, removed.insert("APP" + std::to_string(m - 0xe0));
    } else if (is_sof(m)) {
      if (payload.size() < 6) {
        error = "malformed JPEG: short frame header";
        return std::nullopt;
      }
      img.height = be16(payload, 1);
      img.width = be16(payload, 3);
      if (!check_pixels(img.width, img.height, error)) return std::nullopt;
      frame = true;
    }
    if (keep) out += segment;
    if (m == 0xe0 && keep) app0_end = out.size();
    if (m == 0xda) {  // entropy-coded data up to the next marker that is not a restart
      if (!frame) {
        error = "malformed JPEG: a scan before the frame header";
        return std::nullopt;
      }
      scan = true;
      size_t start = i;
      while (i < b.size()) {
        if (static_cast<unsigned char>(b[i]) == 0xff && i + 1 < b.size()) {
          unsigned next = static_cast<unsigned char>(b[i + 1]);
          if (next == 0x00 || (next >= 0xd0 && next <= 0xd7)) {
            i += 2;
            continue;
          }
          break;
        }
        ++i;
      }
      out.append(b.substr(start, i - start));
    }
  }
  if (!frame || !scan || !end) {
    error = !frame ? "malformed JPEG: no frame header" : !scan ? "malformed JPEG: no image data" : "truncated JPEG: no end marker";
    return std::nullopt;
  }
  if (img.orientation != 1) out.insert(app0_end, orientation_segment(img.orientation));
  img.removed.assign(removed.begin(), removed.end());
  img.bytes = std::move(out);
  return img;
}

std::optional<CleanImage> clean_png(std::string_view b, std::string& error) {
  static const std::set<std::string, std::less<>> kKeep{"IHDR", "PLTE", "IDAT", "IEND", "tRNS", "cHRM", "gAMA", "iCCP",
                                                       "sBIT", "sRGB", "bKGD", "pHYs", "hIST", "cICP"};
  CleanImage img;
  img.type = "image/png";
  std::string out(b.substr(0, 8));
  std::set<std::string> removed;
  size_t i = 8;
  bool header = false, data = false, end = false;
  while (i + 12 <= b.size() && !end) {
    uint32_t len = be32(b, i);
    std::string type(b.substr(i + 4, 4));
    if (len > b.size() - i - 12) {
      error = "malformed PNG: the " + type + " chunk at byte " + std::to_string(i) + " runs past the end of the file";
      return std::nullopt;
    }
    for (char c : type) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
        error = "malformed PNG: bad chunk type at byte " + std::to_string(i + 4);
        return std::nullopt;
      }
    }
    if (!header && type != "IHDR") {
      error = "malformed PNG: the first chunk is not IHDR";
      return std::nullopt;
    }
    if (type == "IHDR") {
      if (len != 13 || header) {
        error = "malformed PNG: bad IHDR chunk";
        return std::nullopt;
      }
      img.width = be32(b, i + 8);
      img.height = be32(b, i + 12);
      if (!check_pixels(img.width, img.height, error)) return std::nullopt;
      header = true;
    }
    data = data || type == "IDAT";
    end = type == "IEND";
    if (kKeep.contains(type)) out.append(b.substr(i, len + 12));
    else removed.insert(type);
    i += len + 12;
  }
  if (!end || !data) {
    error = !data ? "malformed PNG: no image data" : "truncated PNG: no IEND chunk";
    return std::nullopt;
  }
  img.removed.assign(removed.begin(), removed.end());
  img.bytes = std::move(out);
  return img;
}

}  // namespace

std::optional<CleanImage> clean_image(std::string_view bytes, std::string& error) {
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xff\xd8\xff") return clean_jpeg(bytes, error);
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) return clean_png(bytes, error);
  error = "not a JPEG or PNG image";
  return std::nullopt;
}

}  // namespace disaster
