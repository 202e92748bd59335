#include "runtime/manifest/manifest.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <date/tz.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "machi/plugin_api.h"

namespace machi {
namespace {

namespace json = boost::json;

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

bool valid_hostname(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  return std::all_of(h.begin(), h.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

bool valid_push_service(std::string_view origin) {
  auto url = boost::urls::parse_absolute_uri(origin);
  if (!url || url->scheme() != "https" || url->has_userinfo() || !url->encoded_path().empty() ||
      url->has_query() || url->has_fragment() || url->encoded_host().empty()) {
    return false;
  }
  return true;
}

// Reads typed members of one JSON object, recording problems under `at`.
class Reader {
 public:
  Reader(const json::object& object, std::string at, std::vector<ManifestProblem>& problems)
      : object_(object), at_(std::move(at)), problems_(problems) {}

  void problem(std::string_view key, std::string message) {
    problems_.push_back({key.empty() ? at_ : at_ + "/" + std::string(key), std::move(message)});
  }
  const json::value* find(std::string_view key, bool required) {
    const json::value* v = object_.if_contains(key);
    if (!v && required) problem(key, "is required");
    return v;
  }
  std::string string(std::string_view key, bool required, std::string fallback = "") {
    const json::value* v = find(key, required);
    if (!v) return fallback;
    if (!v->is_string()) return problem(key, "must be a string"), fallback;
    return std::string(v->as_string());
  }
  int64_t integer(std::string_view key, int64_t fallback, int64_t min, int64_t max) {
    const json::value* v = find(key, false);
    if (!v) return fallback;
    if (!v->is_int64() || v->as_int64() < min || v->as_int64() > max) {
      problem(key, "must be an integer from " + std::to_string(min) + " to " +
                       std::to_string(max));
      return fallback;
    }
    return v->as_int64();
  }
  bool boolean(std::string_view key, bool fallback) {
    const json::value* v = find(key, false);
    if (!v) return fallback;
    if (!v->is_bool()) return problem(key, "must be true or false"), fallback;
    return v->as_bool();
  }
  // An array of strings; each checked by `valid` (message on failure).
  std::vector<std::string> strings(std::string_view key, bool required,
                                   bool (*valid)(std::string_view), const char* message) {
    std::vector<std::string> out;
    const json::value* v = find(key, required);
    if (!v) return out;
    if (!v->is_array()) return problem(key, "must be an array of strings"), out;
    size_t i = 0;
    for (const json::value& item : v->as_array()) {
      std::string pointer = std::string(key) + "/" + std::to_string(i++);
      if (!item.is_string() || !valid(item.as_string())) {
        problem(pointer, message);
        continue;
      }
      out.emplace_back(item.as_string());
    }
    return out;
  }

 private:
  const json::object& object_;
  std::string at_;
  std::vector<ManifestProblem>& problems_;
};

bool valid_locale(std::string_view l) {
  return !l.empty() && l.size() <= 35 && std::all_of(l.begin(), l.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}
bool valid_ip_address(std::string_view a) {
  return boost::urls::parse_ipv4_address(a).has_value() ||
         boost::urls::parse_ipv6_address(a).has_value();
}
bool valid_audience(std::string_view a) { return a == "residents" || a == "visitors"; }
bool valid_grant(std::string_view g) {
  const auto& claims = grantable_claims();
  return std::find(claims.begin(), claims.end(), g) != claims.end();
}

void check_public_url(Reader& r, const std::string& url) {
  if (url.empty()) return;
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || (parsed->scheme() != "https" && parsed->scheme() != "http") ||
      parsed->encoded_host().empty() || parsed->has_query() || parsed->has_fragment()) {
    r.problem("public_url", "must be an absolute http(s) URL without query or fragment");
  }
}

void check_timezone(Reader& r, const std::string& zone) {
  if (zone.empty()) return;
  try {
    date::locate_zone(zone);
  } catch (const std::exception&) {
    r.problem("timezone", "unknown IANA time zone '" + zone + "'");
  }
}

void read_verifiers(Reader& top, const json::object& root, std::vector<ManifestProblem>& problems,
                    Manifest& manifest) {
  const json::value* list = root.if_contains("verifiers");
  if (!list) return;
  if (!list->is_array()) return top.problem("verifiers", "must be an array");
  size_t index = 0;
  for (const json::value& item : list->as_array()) {
    std::string at = "/verifiers/" + std::to_string(index++);
    if (!item.is_object()) {
      problems.push_back({at, "must be an object"});
      continue;
    }
    Reader r(item.as_object(), at, problems);
    TrustedVerifier v;
    v.issuer = r.string("issuer", true);
    const json::value* jwks = r.find("keys", true);
    if (jwks && (!jwks->is_array() || jwks->as_array().empty())) {
      r.problem("keys", "must be a non-empty array of EC P-256 public JWKs");
      jwks = nullptr;
    }
    size_t k = 0;
    for (const json::value& key : jwks ? jwks->as_array() : json::array{}) {
      std::string key_at = at + "/keys/" + std::to_string(k++);
      const json::object* jwk = key.if_object();
      auto member = [&](const char* name) {
        const json::value* m = jwk ? jwk->if_contains(name) : nullptr;
        return m && m->is_string() ? std::string(m->as_string()) : std::string();
      };
      if (member("kty") != "EC" || member("crv") != "P-256" || member("kid").empty() ||
          member("x").empty() || member("y").empty() || jwk->contains("d")) {
        problems.push_back({key_at, "must be a public EC P-256 JWK with kid, x and y (no d)"});
        continue;
      }
      v.keys.push_back({member("kid"), member("x"), member("y")});
    }
    manifest.verifiers.push_back(std::move(v));
  }
}

void read_mini_app(const json::value& item, size_t index, std::vector<ManifestProblem>& problems,
                   Manifest& manifest) {
  std::string at = "/mini_apps/" + std::to_string(index);
  if (!item.is_object()) return problems.push_back({at, "must be an object"});
  Reader r(item.as_object(), at, problems);
  MiniAppEntry e;
  e.index = index;
  e.id = r.string("id", true);
  if (!e.id.empty() && !valid_id(e.id)) r.problem("id", "must be 1–64 characters of [a-z0-9_-]");
  e.name = r.string("name", true);
  e.description = r.string("description", false);
  e.plugin = r.string("plugin", true);
  e.enabled = r.boolean("enabled", true);
  e.order = static_cast<int>(r.integer("order", 0, 0, 10000));
  if (r.find("audience", false)) {
    auto audience = r.strings("audience", false, valid_audience,
                              "must be \"residents\" or \"visitors\"");
    e.for_residents = std::count(audience.begin(), audience.end(), "residents") > 0;
    e.for_visitors = std::count(audience.begin(), audience.end(), "visitors") > 0;
    if (!e.for_residents && !e.for_visitors) r.problem("audience", "must name at least one audience");
  }
  e.deadline = std::chrono::milliseconds(r.integer("deadline_ms", 5000, 10, 120000));
  e.concurrency = static_cast<int>(r.integer("concurrency", 64, 1, 100000));
  e.job_quota = r.integer("job_quota", 500000, 0, 10000000);
  if (r.find("priority", false)) {
    e.priority = r.string("priority", false);
    if (e.priority != "low" && e.priority != "normal" && e.priority != "high" && e.priority != "critical") {
      r.problem("priority", "must be \"low\", \"normal\", \"high\" or \"critical\"");
    }
  }
  if (const json::value* breaker = r.find("breaker", false)) {
    if (!breaker->is_object()) {
      r.problem("breaker", "must be an object such as {\"failures\": 5, \"open_ms\": 10000}");
    } else {
      Reader b(breaker->as_object(), at + "/breaker", problems);
      e.breaker_failures = static_cast<int>(b.integer("failures", 5, 0, 10000));
      e.breaker_open = std::chrono::milliseconds(b.integer("open_ms", 10000, 100, 3600000));
    }
  }
  if (r.find("isolation", false)) {
    e.isolation = r.string("isolation", false);
    if (e.isolation != "in_process" && e.isolation != "process") {
      r.problem("isolation", "must be \"in_process\" or \"process\"");
    }
  }
  if (const json::value* process = r.find("process", false)) {
    if (!process->is_object()) {
      r.problem("process", "must be an object such as {\"workers\": 4, \"crash_limit\": 5}");
    } else if (e.isolation != "process") {
      r.problem("process", "applies only with \"isolation\": \"process\"");
    } else {
      Reader p(process->as_object(), at + "/process", problems);
      e.process_workers = static_cast<int>(p.integer("workers", 4, 1, 64));
      e.crash_limit = static_cast<int>(p.integer("crash_limit", 5, 1, 1000));
      e.crash_window = std::chrono::milliseconds(p.integer("crash_window_ms", 60000, 1000, 86400000));
    }
  }
  e.grants = r.strings("grants", false, valid_grant, "is not a grantable claim (see docs/manifest.md)");
  if (std::string dir = r.string("data_dir", false); !dir.empty()) {
    std::filesystem::path path(dir);
    if (path.is_relative()) path = manifest.file.parent_path() / path;
    std::error_code ec;
    if (!std::filesystem::is_directory(path, ec)) {
      r.problem("data_dir", "'" + path.string() + "' is not a directory");
    } else {
      e.data_dir = std::filesystem::canonical(path, ec);
    }
  }
  if (const json::value* config = r.find("config", false)) {
    if (config->is_object()) e.config_json = json::serialize(*config);
    else r.problem("config", "must be an object");
  }
  manifest.mini_apps.push_back(std::move(e));
}

std::string problem_text(const std::filesystem::path& file,
                         const std::vector<ManifestProblem>& problems) {
  std::string message = "manifest " + file.string() + ": " + std::to_string(problems.size()) +
                        " problem(s)";
  for (const auto& p : problems) message += "\n  " + p.pointer + ": " + p.message;
  return message;
}

}  // namespace

const std::vector<std::string>& grantable_claims() {
  static const std::vector<std::string> claims = {
      MACHI_CLAIM_NAME,     MACHI_CLAIM_LEGAL_NAME, MACHI_CLAIM_BIRTHDATE,
      MACHI_CLAIM_ADDRESS,  MACHI_CLAIM_DISTRICT,   MACHI_CLAIM_HOUSEHOLD};
  return claims;
}

Result<Manifest> load_manifest(const std::filesystem::path& file,
                               std::vector<ManifestProblem>& problems) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::error("manifest " + file.string() + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_manifest(text.str(), file, problems);
}

Result<Manifest> parse_manifest(std::string_view text, const std::filesystem::path& file,
                                std::vector<ManifestProblem>& problems) {
  if (text.size() > kManifestMaxBytes) {
    return Status::error("manifest " + file.string() + ": larger than 4 MiB");
  }
  boost::system::error_code ec;
  json::value root = json::parse(text, ec);
  if (ec) return Status::error("manifest " + file.string() + ": not JSON: " + ec.message());
  if (!root.is_object()) {
    return Status::error("manifest " + file.string() + ": must be a JSON object");
  }
  Reader r(root.as_object(), "", problems);
  Manifest m;
  m.file = file;
  m.municipality_id = r.string("municipality", true);
  if (!m.municipality_id.empty() && !valid_id(m.municipality_id)) {
    r.problem("municipality", "must be 1–64 characters of [a-z0-9_-]");
  }
  m.name = r.string("name", true);
  m.public_url = r.string("public_url", true);
  check_public_url(r, m.public_url);
  m.hostnames = r.strings("hostnames", true, [](std::string_view h) { return valid_hostname(h); },
                          "must be a lower-case host name without port");
  if (r.find("hostnames", false) && m.hostnames.empty() && problems.empty()) {
    r.problem("hostnames", "must list at least one host name");
  }
  m.timezone = r.string("timezone", true);
  check_timezone(r, m.timezone);
  m.locales = r.strings("locales", false, valid_locale, "must be a BCP 47 language tag");
  if (m.locales.empty()) m.locales = {"ja"};
  m.trusted_proxies = r.strings("trusted_proxies", false, valid_ip_address,
                                "must be an IP address (a reverse proxy in front of Machi)");
  read_verifiers(r, root.as_object(), problems, m);
  if (const json::value* list = r.find("districts", false)) {
    if (!list->is_array()) r.problem("districts", "must be an array of {id, name}");
    size_t i = 0;
    for (const json::value& d : list->is_array() ? list->as_array() : json::array{}) {
      std::string at = "/districts/" + std::to_string(i++);
      const json::object* o = d.if_object();
      const json::value* id = o ? o->if_contains("id") : nullptr;
      const json::value* name = o ? o->if_contains("name") : nullptr;
      if (!id || !id->is_string() || !valid_id(id->as_string()) || !name || !name->is_string()) {
        problems.push_back({at, "must be {\"id\": [a-z0-9_-], \"name\": string}"});
        continue;
      }
      m.districts.emplace_back(std::string(id->as_string()), std::string(name->as_string()));
    }
  }
  m.push.services = default_push_services();
  m.push.contact = m.public_url;
  if (const json::value* push = r.find("push", false)) {
    if (!push->is_object()) {
      r.problem("push", "must be an object {services, contact}");
    } else {
      Reader p(push->as_object(), "/push", problems);
      for (const auto& [key, value] : push->as_object()) {
        if (key != "services" && key != "contact") p.problem(key, "is not a push setting");
      }
      if (p.find("services", false)) {
        m.push.services = p.strings("services", false, valid_push_service,
                                    "must be an https origin, e.g. \"https://fcm.googleapis.com\" "
                                    "(a leading \"*.\" matches subdomains)");
      }
      std::string contact = p.string("contact", false);
      if (!contact.empty()) {
        if (!contact.starts_with("mailto:") && !contact.starts_with("https://")) {
          p.problem("contact", "must be a mailto: or https: URI");
        }
        m.push.contact = contact;
      }
    }
  }
  if (const json::value* b = r.find("broadcasts", false)) {
    if (!b->is_object()) {
      r.problem("broadcasts", "must be an object {minimum_audience}");
    } else {
      Reader br(b->as_object(), "/broadcasts", problems);
      for (const auto& [key, value] : b->as_object()) {
        if (key != "minimum_audience") br.problem(key, "is not a broadcast setting");
      }
      m.broadcast_minimum_audience = br.integer("minimum_audience", 10, 1, 1000000);
    }
  }
  m.staff_roles = r.strings("staff_roles", false, [](std::string_view role) { return valid_id(role); },
                            "must be a role name of [a-z0-9_-]");
  const json::value* apps = r.find("mini_apps", true);
  if (apps && !apps->is_array()) r.problem("mini_apps", "must be an array");
  if (apps && apps->is_array()) {
    size_t index = 0;
    for (const json::value& item : apps->as_array()) read_mini_app(item, index++, problems, m);
  }
  std::set<std::string> seen;
  for (const MiniAppEntry& app : m.mini_apps) {
    if (!app.id.empty() && !seen.insert(app.id).second) {
      problems.push_back({"/mini_apps/" + std::to_string(app.index) + "/id",
                          "duplicate mini-app id '" + app.id + "'"});
    }
  }
  if (!problems.empty()) return Status::error(problem_text(file, problems));
  std::stable_sort(m.mini_apps.begin(), m.mini_apps.end(),
                   [](const MiniAppEntry& a, const MiniAppEntry& b) { return a.order < b.order; });
  return m;
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

std::vector<std::string> default_push_services() {
  return {"https://fcm.googleapis.com", "https://updates.push.services.mozilla.com",
          "https://web.push.apple.com", "https://*.notify.windows.com"};
}

bool push_endpoint_allowed(const std::vector<std::string>& services, std::string_view endpoint) {
  auto url = boost::urls::parse_absolute_uri(endpoint);
  if (!url || url->scheme() != "https" || url->has_userinfo() || url->encoded_host().empty()) {
    return false;
  }
  std::string host(url->encoded_host());
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string port(url->port());
  for (const std::string& service : services) {
    auto allowed = boost::urls::parse_absolute_uri(service);
    if (!allowed) continue;
    std::string pattern(allowed->encoded_host());
    if (std::string(allowed->port()) != port) continue;
    if (pattern.starts_with("*.")) {
      std::string_view suffix = std::string_view(pattern).substr(1);  // ".notify.windows.com"
      if (host.size() > suffix.size() && host.ends_with(suffix)) return true;
    } else if (host == pattern) {
      return true;
    }
  }
  return false;
}

}  // namespace machi
