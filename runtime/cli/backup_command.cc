// machi backup / machi restore (runtime/storage/backup.h).
#include <cstdio>
#include <string>

#include "runtime/cli/commands.h"
#include "runtime/storage/backup.h"

namespace machi::cli {

int backup(const Args& args) {
  std::string data = "data", out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--data" && i + 1 < args.size()) data = args[++i];
    else if (!args[i].starts_with("--") && out.empty()) out = args[i];
    else {
      std::fprintf(stderr, "machi backup: bad argument '%s'\nusage: machi backup [--data DIR] OUT_DIR\n", args[i].c_str());
      return 2;
    }
  }
  if (out.empty()) {
    std::fputs("usage: machi backup [--data DIR] OUT_DIR\n", stderr);
    return 2;
  }
  auto report = storage::backup_data(data, out);
  if (!report) {
    std::fprintf(stderr, "machi backup: %s\n", report.error().c_str());
    return 1;
  }
  std::printf("backed up %zu files (%llu bytes) from %s into %s\n", report->files.size(),
              static_cast<unsigned long long>(report->bytes), data.c_str(), out.c_str());
  return 0;
}

int restore(const Args& args) {
  std::string data = "data", from;
  bool force = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--data" && i + 1 < args.size()) data = args[++i];
    else if (args[i] == "--force") force = true;
    else if (!args[i].starts_with("--") && from.empty()) from = args[i];
    else {
      std::fprintf(stderr, "machi restore: bad argument '%s'\nusage: machi restore [--data DIR] [--force] BACKUP_DIR\n",
                   args[i].c_str());
      return 2;
    }
  }
  if (from.empty()) {
    std::fputs("usage: machi restore [--data DIR] [--force] BACKUP_DIR\n", stderr);
    return 2;
  }
  auto report = storage::restore_data(from, data, force);
  if (!report) {
    std::fprintf(stderr, "machi restore: %s\n", report.error().c_str());
    return 1;
  }
  std::printf("restored %zu files (%llu bytes) from %s into %s\n", report->files.size(),
              static_cast<unsigned long long>(report->bytes), from.c_str(), data.c_str());
  if (!report->replaced.empty()) std::printf("the previous data directory is kept as %s\n", report->replaced.c_str());
  return 0;
}

}  // namespace machi::cli
