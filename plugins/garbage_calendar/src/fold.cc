#include "fold.h"

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>
#include <stdexcept>

namespace garbage {

std::string fold(std::string_view utf8) {
  UErrorCode status = U_ZERO_ERROR;
  static const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status) || !nfkc) throw std::runtime_error("ICU: no NFKC normaliser");
  thread_local std::unique_ptr<icu::Transliterator> to_hiragana = [] {
    UErrorCode s = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> t(
        icu::Transliterator::createInstance("Katakana-Hiragana", UTRANS_FORWARD, s));
    if (U_FAILURE(s) || !t) throw std::runtime_error("ICU: no Katakana-Hiragana transliterator");
    return t;
  }();
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  status = U_ZERO_ERROR;
  icu::UnicodeString normal = nfkc->normalize(text, status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU: normalisation failed");
  to_hiragana->transliterate(normal);
  normal.foldCase();
  std::string out;
  normal.toUTF8String(out);
  return out;
}

size_t code_points(std::string_view utf8) {
  size_t n = 0;
  for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

}  // namespace garbage
