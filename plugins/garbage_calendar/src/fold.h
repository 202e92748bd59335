// Search folding for Japanese text (ICU): NFKC (full-width ASCII → ASCII, half-width katakana →
// full-width), katakana → hiragana, case folding. "ﾍﾟｯﾄﾎﾞﾄﾙ", "ペットボトル" and "ぺっとぼとる"
// fold to the same text, so the sorting guide matches any of them.
// Thread-safety: thread-safe (one transliterator per thread).
#pragma once

#include <string>
#include <string_view>

namespace garbage {

std::string fold(std::string_view utf8);

// Number of Unicode code points (for the trigram minimum).
size_t code_points(std::string_view utf8);

}  // namespace garbage
