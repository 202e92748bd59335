// Backup and restore of a data directory (every municipality's accounts, signing keys, pairwise
// secret, VAPID key and mini-app databases), safe while `machi serve` runs:
// - each SQLite file is copied with SQLite's online backup API (a consistent snapshot taken
//   under a read transaction, WAL content included), other files (keys) are copied as they
//   are; the content-addressed plugin cache is left out (it is rebuilt from the plugin files);
// - the backup gets a listing (backup.json: format, time, machi version, and each file's path,
//   size and SHA-256), files 0600 in directories 0700: it holds every secret of the city;
// - restore checks the listing (relative paths only, sizes and digests), runs PRAGMA
//   integrity_check on every database, builds the new data directory beside the target and
//   swaps it in with renames; an existing data directory is only replaced with `force`, and is
//   then kept as <data>.replaced-<time>. Restore is for a stopped runtime.
// Thread-safety: plain functions.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/status.h"

namespace machi::storage {

struct BackupReport {
  std::vector<std::string> files;  // relative paths
  uint64_t bytes = 0;
  std::filesystem::path replaced;  // restore: where the previous data directory was moved
};

inline constexpr const char* kBackupListing = "backup.json";

// Backs `data_dir` up into `out_dir`, which must not exist yet (or be empty).
Result<BackupReport> backup_data(const std::filesystem::path& data_dir, const std::filesystem::path& out_dir);
// Restores the backup in `backup_dir` as `data_dir`.
Result<BackupReport> restore_data(const std::filesystem::path& backup_dir, const std::filesystem::path& data_dir,
                                  bool force);

}  // namespace machi::storage
