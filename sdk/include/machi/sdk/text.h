// Search over Japanese text (ICU): fold() makes width, kana and case variants one text, and
// search_words()/like_contains() turn a resident's query into SQL LIKE patterns over folded text
// (substring match: Japanese has no spaces between words). Link Machi::sdk_text (ICU uc, i18n).
// Thread-safety: thread-safe (one transliterator per thread).
#pragma once

#include <unicode/normalizer2.h>
#include <unicode/translit.h>
#include <unicode/unistr.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace machi::sdk {

namespace detail {
inline const icu::Normalizer2& nfkc_normalizer() {
  UErrorCode status = U_ZERO_ERROR;
  static const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(status);
  if (U_FAILURE(status) || !nfkc) throw std::runtime_error("ICU: no NFKC normaliser");
  return *nfkc;
}
}  // namespace detail

// Unicode NFKC: full-width ASCII ("火２", "：", the ideographic space) → ASCII, half-width
// katakana → full-width, compatibility characters ("㎏") → their plain forms. Kana and case stay.
inline std::string nfkc(std::string_view utf8) {
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString normal = detail::nfkc_normalizer().normalize(text, status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU: normalisation failed");
  std::string out;
  normal.toUTF8String(out);
  return out;
}

// NFKC (full-width ASCII → ASCII, half-width katakana → full-width), katakana → hiragana, case
// folding: "ﾍﾟｯﾄﾎﾞﾄﾙ", "ペットボトル" and "ぺっとぼとる" fold to the same text.
inline std::string fold(std::string_view utf8) {
  thread_local std::unique_ptr<icu::Transliterator> to_hiragana = [] {
    UErrorCode s = U_ZERO_ERROR;
    std::unique_ptr<icu::Transliterator> t(
        icu::Transliterator::createInstance("Katakana-Hiragana", UTRANS_FORWARD, s));
    if (U_FAILURE(s) || !t) throw std::runtime_error("ICU: no Katakana-Hiragana transliterator");
    return t;
  }();
  icu::UnicodeString text = icu::UnicodeString::fromUTF8(
      icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString normal = detail::nfkc_normalizer().normalize(text, status);
  if (U_FAILURE(status)) throw std::runtime_error("ICU: normalisation failed");
  to_hiragana->transliterate(normal);
  normal.foldCase();
  std::string out;
  normal.toUTF8String(out);
  return out;
}

// The folded, space-separated words of a query (NFKC turns the ideographic space into " ").
inline std::vector<std::string> search_words(std::string_view query) {
  std::vector<std::string> words;
  std::string folded = fold(query);
  for (size_t start = 0; start < folded.size();) {
    size_t end = folded.find(' ', start);
    if (end == std::string::npos) end = folded.size();
    if (end > start) words.push_back(folded.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

// A LIKE pattern matching text that contains `word`, for `… LIKE ?n ESCAPE '\'`.
inline std::string like_contains(std::string_view word) {
  std::string p = "%";
  for (char c : word) {
    if (c == '%' || c == '_' || c == '\\') p += '\\';
    p += c;
  }
  return p + "%";
}

}  // namespace machi::sdk
