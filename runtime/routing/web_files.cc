#include "runtime/routing/web_files.h"

#include <openssl/evp.h>

#include <fstream>
#include <iterator>

namespace machi {
namespace {

namespace fs = std::filesystem;

const char* type_of(const std::string& extension) {
  static const std::map<std::string, const char*, std::less<>> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"},
  };
  auto it = types.find(extension);
  return it == types.end() ? nullptr : it->second;
}

std::string etag_of(const std::string& bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string tag = "\"";
  for (unsigned int i = 0; i < 16 && i < length; ++i) {
    tag += kHex[digest[i] >> 4];
    tag += kHex[digest[i] & 15];
  }
  return tag + "\"";
}

bool hidden(const fs::path& relative) {
  for (const auto& part : relative) {
    if (part.string().starts_with(".")) return true;
  }
  return false;
}

}  // namespace

const char* WebFiles::content_security_policy() {
  return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
         "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
         "form-action 'self'; frame-ancestors 'none'";
}

Result<std::shared_ptr<const WebFiles>> WebFiles::load(const fs::path& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return Status::error("web root " + root.string() + " is not a directory");
  auto web = std::make_shared<WebFiles>();
  size_t total = 0;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path relative = it->path().lexically_relative(root);
    if (hidden(relative)) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || !it->is_regular_file()) continue;
    const std::string where = "web root: " + relative.generic_string() + ": ";
    const char* type = type_of(relative.extension().string());
    if (!type) return Status::error(where + "no known content type for its extension");
    if (web->files_.size() >= kMaxFiles) return Status::error(where + "more than " + std::to_string(kMaxFiles) + " files");
    uintmax_t size = it->file_size(ec);
    if (ec || size > kMaxFileBytes) return Status::error(where + "unreadable or over 4 MiB");
    std::ifstream in(it->path(), std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) return Status::error(where + "cannot be read");
    total += bytes.size();
    if (total > kMaxTotalBytes) return Status::error(where + "the web root is over 32 MiB");
    File file{std::move(bytes), type, ""};
    file.etag = etag_of(file.bytes);
    web->files_.emplace(relative.generic_string(), std::move(file));
  }
  if (ec) return Status::error("web root " + root.string() + ": " + ec.message());
  if (!web->files_.count("index.html")) return Status::error("web root " + root.string() + " has no index.html");
  return std::shared_ptr<const WebFiles>(std::move(web));
}

std::string WebFiles::file_name(std::string_view path) {
  if (path == "/") return "index.html";
  if (!path.starts_with("/") || path.find("..") != std::string_view::npos ||
      path.find("//") != std::string_view::npos || path.find('%') != std::string_view::npos) {
    return "";  // nothing here has such a name: no decoding, no climbing
  }
  return std::string(path.substr(1));
}

HttpResponse WebFiles::answer(const HttpRequest& request) const {
  HttpResponse r;
  r.headers = {{"content-security-policy", content_security_policy()},
               {"x-content-type-options", "nosniff"},
               {"referrer-policy", "no-referrer"}};
  if (request.method != "GET") {
    r.status = 405;
    r.body = json_error_body("method_not_allowed", "use GET");
    r.headers.emplace_back("allow", "GET");
    return r;
  }
  auto it = files_.find(file_name(request.path));
  if (it == files_.end()) {
    r.status = 404;
    r.body = json_error_body("not_found", "no such file");
    return r;
  }
  const File& file = it->second;
  // Revalidated on every use: a new runtime version ships new files at the same names.
  r.headers.emplace_back("cache-control", "no-cache");
  r.headers.emplace_back("etag", file.etag);
  std::string_view match = request.header("if-none-match");
  if (!match.empty() && (match == "*" || match.find(file.etag) != std::string_view::npos)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = file.content_type;
  r.body = file.bytes;
  return r;
}

}  // namespace machi
