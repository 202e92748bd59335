// Fuzzes the manifest parser and validator (runtime/manifest: parse_manifest, the function
// load_manifest and `machi check` use) with arbitrary bytes.
// Oracles: it never crashes; it either fails with a message and at least one problem, or
// succeeds with no problems and a manifest whose invariants hold (a municipality id, at least
// one hostname, mount ids unique and valid, positive deadlines and concurrency, mini-apps sorted
// by order).
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <string_view>

#include "runtime/manifest/manifest.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "manifest_fuzz oracle: %s: %s\n", what, detail.c_str());
  std::abort();
}

bool valid_mount(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<machi::ManifestProblem> problems;
  auto manifest = machi::parse_manifest(text, "/tmp/fuzz/manifest.json", problems);
  if (!manifest.is_ok()) {
    if (manifest.error().empty()) fail("refusal without a message", "");
    return 0;
  }
  if (!problems.empty()) fail("accepted with problems", problems.front().pointer);
  const machi::Manifest& m = manifest.value();
  if (m.municipality_id.empty()) fail("accepted without a municipality id", "");
  if (m.hostnames.empty()) fail("accepted without a hostname", m.municipality_id);
  std::set<std::string> ids;
  int last_order = std::numeric_limits<int>::min();
  for (const auto& app : m.mini_apps) {
    if (!valid_mount(app.id)) fail("invalid mount id accepted", app.id);
    if (!ids.insert(app.id).second) fail("duplicate mount id accepted", app.id);
    if (app.deadline.count() <= 0) fail("non-positive deadline", app.id);
    if (app.concurrency <= 0) fail("non-positive concurrency", app.id);
    if (app.order < last_order) fail("mini-apps not sorted by order", app.id);
    last_order = app.order;
  }
  return 0;
}
