// WebFiles: the resident web app's static files (runtime/web), read once at start-up and served
// from memory at the site root: "/" is index.html, "/app.js" the file app.js, "/i18n/en.json" a
// file below. Only GET; an ETag (SHA-256 of the bytes) answers If-None-Match with 304.
// Every answer carries the shell's Content-Security-Policy (scripts and styles from this origin
// only, frames only from this origin's mini-app screens, never framed itself) and nosniff.
// Thread-safety: immutable after load().
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/http/http_message.h"
#include "runtime/status.h"

namespace machi {

class WebFiles {
 public:
  static constexpr size_t kMaxFiles = 512;
  static constexpr size_t kMaxFileBytes = 4u * 1024 * 1024;
  static constexpr size_t kMaxTotalBytes = 32u * 1024 * 1024;

  // Reads every regular file below `root` (symbolic links and hidden names are skipped). Fails,
  // naming the file, on a file or total over the limits or an unknown extension.
  static Result<std::shared_ptr<const WebFiles>> load(const std::filesystem::path& root);

  // Whether `path` (the request path) names a file here.
  bool has(std::string_view path) const { return files_.count(file_name(path)) > 0; }
  // The answer for a request whose path has(): 200, 304, or 405 for methods other than GET.
  HttpResponse answer(const HttpRequest& request) const;
  size_t size() const { return files_.size(); }

  static const char* content_security_policy();

 private:
  struct File {
    std::string bytes;
    std::string content_type;
    std::string etag;  // quoted
  };
  static std::string file_name(std::string_view path);  // "/" → "index.html", "/a/b" → "a/b"
  std::map<std::string, File, std::less<>> files_;
};

}  // namespace machi
