// Small JPEG and PNG files built byte by byte for the photo tests: structurally whole images
// carrying the metadata a phone adds (Exif with orientation and a GPS block, XMP with a
// position, an IPTC block, a comment, data after the end marker), each metadata block holding a
// recognisable "SECRET" text so a test can prove it is gone.
#pragma once

#include <cstdint>
#include <string>

namespace machi::test {

inline std::string be16(uint32_t v) { return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)}; }
inline std::string segment(unsigned marker, const std::string& payload) {
  return std::string("\xff", 1) + static_cast<char>(marker) + be16(static_cast<uint32_t>(payload.size() + 2)) + payload;
}

// Exif (little-endian TIFF): IFD0 with Orientation and a GPS IFD pointer; the GPS IFD's
// GPSAreaInformation text (and the data area) name the home position.
inline std::string exif_payload(int orientation) {
  auto le16 = [](uint32_t v) { return std::string{static_cast<char>(v & 0xff), static_cast<char>(v >> 8)}; };
  auto le32 = [&](uint32_t v) { return le16(v & 0xffff) + le16(v >> 16); };
  std::string tiff = "II" + le16(42) + le32(8);
  // IFD0 at 8: 2 entries (2 + 24 + 4 = 30 bytes) → GPS IFD at 38.
  tiff += le16(2);
  tiff += le16(0x0112) + le16(3) + le32(1) + le16(static_cast<uint32_t>(orientation)) + le16(0);
  tiff += le16(0x8825) + le16(4) + le32(1) + le32(38);
  tiff += le32(0);
  // GPS IFD at 38: one entry, GPSAreaInformation (0x001c, UNDEFINED) at offset 56.
  std::string area = std::string("ASCII\0\0\0", 8) + "SECRET-GPS 33.2494N 130.2988E";
  tiff += le16(1) + le16(0x001c) + le16(7) + le32(static_cast<uint32_t>(area.size())) + le32(56) + le32(0);
  tiff += area;
  return std::string("Exif\0\0", 6) + tiff;
}

inline std::string jpeg(uint32_t width = 64, uint32_t height = 48, bool metadata = true, int orientation = 6) {
  std::string out("\xff\xd8", 2);
  out += segment(0xe0, std::string("JFIF\0\x01\x01\x01\0\x48\0\x48\0\0", 14));
  if (metadata) {
    out += segment(0xe1, exif_payload(orientation));
    out += segment(0xe1, std::string("http://ns.adobe.com/xap/1.0/\0", 29) +
                             "<x:xmpmeta><exif:GPSLatitude>SECRET-XMP 33,14.96N</exif:GPSLatitude></x:xmpmeta>");
    out += segment(0xed, "Photoshop 3.0\0SECRET-IPTC byline");
    out += segment(0xfe, "SECRET-COMMENT taken at home");
  }
  out += segment(0xdb, std::string(1, '\0') + std::string(64, '\x01'));
  out += segment(0xc0, std::string("\x08", 1) + be16(height) + be16(width) + std::string("\x01\x01\x11\x00", 4));
  out += segment(0xc4, std::string("\x00", 1) + std::string(16, '\0') );
  out += segment(0xda, std::string("\x01\x01\x00\x00\x3f\x00", 6));
  out += std::string("\x12\x34\xff\x00\x56\xff\xd0\x78\x9a", 9);  // entropy data: a stuffed 0xFF and a restart
  out += "\xff\xd9";
  if (metadata) out += "SECRET-TRAILER motion photo";
  return out;
}

inline std::string be32(uint32_t v) { return be16(v >> 16) + be16(v & 0xffff); }
inline std::string png_chunk(const std::string& type, const std::string& data) {
  return be32(static_cast<uint32_t>(data.size())) + type + data + std::string(4, '\0');  // CRC not checked here
}
inline std::string png(uint32_t width = 32, uint32_t height = 16, bool metadata = true) {
  std::string out("\x89PNG\r\n\x1a\n", 8);
  out += png_chunk("IHDR", be32(width) + be32(height) + std::string("\x08\x02\x00\x00\x00", 5));
  if (metadata) {
    out += png_chunk("tEXt", std::string("Comment\0SECRET-TEXT at home", 27));
    out += png_chunk("eXIf", exif_payload(1).substr(6));
    out += png_chunk("tIME", std::string("\x07\xea\x0b\x16\x0a\x00\x00", 7));
  }
  out += png_chunk("sRGB", std::string(1, '\0'));
  out += png_chunk("IDAT", std::string("\x78\x9c\x63\x00\x00\x00\x01\x00\x01", 9));
  out += png_chunk("IEND", "");
  return out;
}

}  // namespace machi::test
