// JSON helpers over Boost.JSON: parsing with a clear error, and ConfigReader, which reads a
// mount's config and collects every problem with its JSON pointer instead of stopping at the
// first (so `machi check` can list them all).
#pragma once

#include "machi/sdk/utf8.h"

#include <boost/json.hpp>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace machi::sdk {

struct ConfigProblem {
  std::string path;  // JSON pointer, "" for the whole config
  std::string message;
};

// Parses `text`; nullopt and `error` set (with the byte offset) when it is not JSON.
inline std::optional<boost::json::value> parse_json(std::string_view text, std::string& error) {
  boost::system::error_code ec;
  boost::json::stream_parser parser;
  size_t used = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) {
    error = "invalid JSON at byte " + std::to_string(used) + ": " + ec.message();
    return std::nullopt;
  }
  return parser.release();
}

// A data file's JSON: the value, or nullopt with the parse error added to `problems` (pointer "").
inline std::optional<boost::json::value> parse_json_document(std::string_view text, std::vector<ConfigProblem>& problems) {
  std::string error;
  auto doc = parse_json(text, error);
  if (!doc) problems.push_back({"", error});
  return doc;
}

// Problems as lines "file:/pointer: message" (how data-file problems are shown to staff).
inline std::vector<std::string> problem_lines(const std::string& file, const std::vector<ConfigProblem>& problems) {
  std::vector<std::string> out;
  for (const auto& p : problems) out.push_back(file + ":" + p.path + ": " + p.message);
  return out;
}

// An id a config gives to something (a branch, a counter): 1–32 of [a-z0-9_-], safe in paths,
// job keys and live channel names.
inline bool is_config_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

// Reads one JSON object, remembering the pointer of each key for problems.
class ConfigReader {
 public:
  ConfigReader(const boost::json::value& value, std::vector<ConfigProblem>& problems,
               std::string pointer = "")
      : problems_(problems), pointer_(std::move(pointer)) {
    object_ = value.if_object();
    if (!object_) problems_.push_back({pointer_, "must be a JSON object"});
  }

  bool has(std::string_view key) const { return object_ && object_->contains(key); }

  // The value as written, for shapes the typed readers do not cover; absent → nullptr (and a
  // problem when required).
  const boost::json::value* raw(std::string_view key, bool required = false) { return find(key, required); }

  std::string string(std::string_view key, std::string fallback, bool required = false) {
    const boost::json::value* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_string()) return problem(key, "must be a string"), fallback;
    return std::string(v->as_string());
  }

  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max,
                  bool required = false) {
    const boost::json::value* v = find(key, required);
    if (!v) return fallback;
    auto n = v->is_int64() ? std::optional<int64_t>(v->as_int64())
           : v->is_uint64() && v->as_uint64() <= INT64_MAX
               ? std::optional<int64_t>(static_cast<int64_t>(v->as_uint64()))
               : std::nullopt;
    if (!n) return problem(key, "must be an integer"), fallback;
    if (*n < min || *n > max) {
      problem(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return fallback;
    }
    return *n;
  }

  // A number (integer or not) within [min, max].
  double number(std::string_view key, double fallback, double min, double max, bool required = false) {
    const boost::json::value* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_number()) return problem(key, "must be a number"), fallback;
    double n = v->to_number<double>();
    if (!(n >= min && n <= max)) {
      problem(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
      return fallback;
    }
    return n;
  }

  bool boolean(std::string_view key, bool fallback, bool required = false) {
    const boost::json::value* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_bool()) return problem(key, "must be true or false"), fallback;
    return v->as_bool();
  }

  // A nested object; absent → nullopt (and a problem when required).
  std::optional<ConfigReader> object(std::string_view key, bool required = false) {
    const boost::json::value* v = find(key, required);
    if (!v) return std::nullopt;
    return ConfigReader(*v, problems_, child(key));
  }

  // A nested array; absent → empty (and a problem when required).
  const boost::json::array* array(std::string_view key, bool required = false) {
    const boost::json::value* v = find(key, required);
    if (!v) return nullptr;
    if (!v->is_array()) return problem(key, "must be an array"), nullptr;
    return &v->as_array();
  }

  // An array of non-empty strings; absent → empty (and a problem when required). Each bad
  // element is reported at its own pointer; `min_items` is checked too.
  std::vector<std::string> strings(std::string_view key, bool required = false,
                                   size_t min_items = 0) {
    std::vector<std::string> out;
    const boost::json::array* items = array(key, required);
    if (!items) return out;
    if (items->size() < min_items) {
      problem(key, "must list at least " + std::to_string(min_items) + " entr" +
                       (min_items == 1 ? "y" : "ies"));
    }
    for (size_t i = 0; i < items->size(); ++i) {
      const boost::json::value& item = (*items)[i];
      if (!item.is_string() || item.as_string().empty()) {
        problems_.push_back({child(key) + "/" + std::to_string(i), "must be a non-empty string"});
        continue;
      }
      out.emplace_back(item.as_string());
    }
    return out;
  }

  std::string child(std::string_view key) const {
    std::string escaped;  // RFC 6901: ~ → ~0, / → ~1
    for (char c : key) {
      if (c == '~') escaped += "~0";
      else if (c == '/') escaped += "~1";
      else escaped += c;
    }
    return pointer_ + "/" + escaped;
  }
  void problem(std::string_view key, std::string message) {
    problems_.push_back({child(key), std::move(message)});
  }

 private:
  const boost::json::value* find(std::string_view key, bool required) {
    const boost::json::value* v = object_ ? object_->if_contains(key) : nullptr;
    if (!v && required && object_) problem(key, "is required");
    return v;
  }

  std::vector<ConfigProblem>& problems_;
  std::string pointer_;
  const boost::json::object* object_ = nullptr;
};

// JSON text like boost::json::serialize, but with non-integer numbers in plain decimal notation
// ("33.254", not "3.3254E1"): the shortest text that reads back as the same double (130.0 keeps
// its ".0", so it stays a double for typed readers), which map clients and people reading
// coordinates expect. Non-finite numbers become null; strings and keys that are not well-formed
// UTF-8 are repaired (U+FFFD), so the text is always valid JSON.
inline void write_json(const boost::json::value& v, std::string& out) {
  switch (v.kind()) {
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.get_object()) {
        if (!first) out += ',';
        first = false;
        out += boost::json::serialize(boost::json::string_view(valid_utf8(key)));
        out += ':';
        write_json(item, out);
      }
      out += '}';
      return;
    }
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        write_json(item, out);
      }
      out += ']';
      return;
    }
    case boost::json::kind::double_: {
      double d = v.get_double();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buf[400];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
      std::string_view text(buf, static_cast<size_t>(end - buf));
      if (ec != std::errc() || text.find_first_of("eE") != std::string_view::npos) {
        auto fixed = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
        text = ec == std::errc() && fixed.ec == std::errc() ? std::string_view(buf, static_cast<size_t>(fixed.ptr - buf))
                                                             : std::string_view("null");
      }
      out += text;
      if (text.find('.') == std::string_view::npos && text != "null") out += ".0";  // reads back as a double
      return;
    }
    case boost::json::kind::string: {
      const auto& s = v.get_string();
      out += is_valid_utf8(s) ? boost::json::serialize(s) : boost::json::serialize(boost::json::string_view(valid_utf8(s)));
      return;
    }
    default:
      out += boost::json::serialize(v);
  }
}
inline std::string to_json_text(const boost::json::value& v) {
  std::string out;
  write_json(v, out);
  return out;
}

// Text a municipality writes in several locales: {"ja": …, "en": …, "ja-easy": …} with "ja"
// required (the fallback), or a plain string (Japanese only).
struct LocalizedText {
  boost::json::object by_locale;
  // The text for `locale`, else its language ("ja-easy" → "ja"), else Japanese.
  std::string in(std::string_view locale) const {
    for (std::string_view want : {locale, locale.substr(0, locale.find('-')), std::string_view("ja")}) {
      if (const boost::json::value* v = by_locale.if_contains(want)) return std::string(v->as_string());
    }
    return {};
  }
};

// Reads a LocalizedText at `key`; absent or malformed → nullopt (and a problem when malformed, or
// absent and required).
inline std::optional<LocalizedText> read_localized(ConfigReader& r, std::string_view key, bool required) {
  const boost::json::value* v = r.raw(key, required);
  if (!v) return std::nullopt;
  LocalizedText t;
  if (v->is_string() && !v->as_string().empty()) {
    t.by_locale["ja"] = v->as_string();
    return t;
  }
  const boost::json::object* o = v->if_object();
  bool ok = o && o->contains("ja");
  for (const auto& [locale, s] : o ? *o : boost::json::object()) ok = ok && s.is_string() && !s.as_string().empty();
  if (!ok) {
    r.problem(key, "must be a non-empty string or {\"ja\": …, \"en\": …} with non-empty strings and \"ja\" given");
    return std::nullopt;
  }
  t.by_locale = *o;
  return t;
}

// FNV-1a 64: change detection for data files and stable short ids (not a security hash).
inline uint64_t fnv1a64(std::string_view bytes) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return h;
}

}  // namespace machi::sdk
