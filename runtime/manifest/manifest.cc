#include "runtime/manifest/manifest.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace machi {
namespace {

namespace json = boost::json;

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

class Checker {
 public:
  explicit Checker(std::vector<ManifestProblem>& problems) : problems_(problems) {}
  void add(std::string pointer, std::string message) {
    problems_.push_back({std::move(pointer), std::move(message)});
  }
  std::string string(const json::object& o, std::string_view key, const std::string& at,
                     bool required) {
    const json::value* v = o.if_contains(key);
    std::string pointer = at + "/" + std::string(key);
    if (!v) {
      if (required) add(pointer, "is required");
      return "";
    }
    if (!v->is_string()) {
      add(pointer, "must be a string");
      return "";
    }
    return std::string(v->as_string());
  }

 private:
  std::vector<ManifestProblem>& problems_;
};

void read_mini_app(const json::value& item, const std::string& at, Checker& check,
                   Manifest& manifest) {
  const json::object* app = item.if_object();
  if (!app) return check.add(at, "must be an object");
  MiniAppEntry entry;
  entry.id = check.string(*app, "id", at, true);
  if (!entry.id.empty() && !valid_id(entry.id)) {
    check.add(at + "/id", "must be 1–64 characters of [a-z0-9_-]");
  }
  entry.plugin = check.string(*app, "plugin", at, true);
  if (const json::value* v = app->if_contains("enabled")) {
    if (v->is_bool()) entry.enabled = v->as_bool();
    else check.add(at + "/enabled", "must be true or false");
  }
  if (const json::value* v = app->if_contains("order")) {
    if (v->is_int64() && v->as_int64() >= 0 && v->as_int64() <= 10000) {
      entry.order = static_cast<int>(v->as_int64());
    } else {
      check.add(at + "/order", "must be an integer from 0 to 10000");
    }
  }
  if (const json::value* v = app->if_contains("config")) {
    if (v->is_object()) entry.config_json = json::serialize(*v);
    else check.add(at + "/config", "must be an object");
  }
  manifest.mini_apps.push_back(std::move(entry));
}

}  // namespace

Result<Manifest> load_manifest(const std::filesystem::path& file,
                               std::vector<ManifestProblem>& problems) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error("manifest " + file.string() + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  json::value root = json::parse(text.str(), ec);
  if (ec) return Status::error("manifest " + file.string() + ": not JSON: " + ec.message());
  const json::object* top = root.if_object();
  if (!top) return Status::error("manifest " + file.string() + ": must be a JSON object");

  Checker check(problems);
  Manifest manifest;
  manifest.file = file;
  manifest.municipality_id = check.string(*top, "municipality", "", true);
  if (!manifest.municipality_id.empty() && !valid_id(manifest.municipality_id)) {
    check.add("/municipality", "must be 1–64 characters of [a-z0-9_-]");
  }
  manifest.name = check.string(*top, "name", "", true);
  manifest.public_url = check.string(*top, "public_url", "", true);
  const json::value* apps = top->if_contains("mini_apps");
  if (!apps || !apps->is_array()) {
    check.add("/mini_apps", "is required and must be an array");
  } else {
    size_t index = 0;
    for (const json::value& item : apps->as_array()) {
      read_mini_app(item, "/mini_apps/" + std::to_string(index++), check, manifest);
    }
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < manifest.mini_apps.size(); ++i) {
    if (!seen.insert(manifest.mini_apps[i].id).second) {
      check.add("/mini_apps/" + std::to_string(i) + "/id",
                "duplicate mini-app id '" + manifest.mini_apps[i].id + "'");
    }
  }
  if (!problems.empty()) {
    std::string message = "manifest " + file.string() + ": " + std::to_string(problems.size()) +
                          " problem(s)";
    for (const auto& p : problems) message += "\n  " + p.pointer + ": " + p.message;
    return Status::error(message);
  }
  std::stable_sort(manifest.mini_apps.begin(), manifest.mini_apps.end(),
                   [](const MiniAppEntry& a, const MiniAppEntry& b) { return a.order < b.order; });
  return manifest;
}

Result<std::filesystem::path> resolve_plugin(const Manifest& manifest, const MiniAppEntry& app,
                                             const std::vector<std::filesystem::path>& dirs) {
  std::filesystem::path name(app.plugin);
  std::error_code ec;
  if (name.is_absolute()) return name;
  std::vector<std::filesystem::path> candidates;
  for (const auto& dir : dirs) candidates.push_back(dir / name);
  candidates.push_back(manifest.file.parent_path() / name);
  for (const auto& candidate : candidates) {
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate;
  }
  std::string searched;
  for (const auto& c : candidates) searched += (searched.empty() ? "" : ", ") + c.string();
  return Status::error("manifest " + manifest.file.string() + ": mini-app '" + app.id +
                       "': plugin '" + app.plugin + "' not found (searched " + searched + ")");
}

}  // namespace machi
