#include "runtime/storage/backup.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>

#include "runtime/plugin/plugin_loader.h"
#include "runtime/storage/file_digest.h"

namespace machi::storage {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kFormat = 1;

bool is_database(const fs::path& p) { return p.extension() == ".db"; }
// SQLite's side files: their content reaches the backup through the online backup of the .db.
bool is_sqlite_side_file(const fs::path& p) {
  std::string name = p.filename().string();
  return name.ends_with("-wal") || name.ends_with("-shm") || name.ends_with("-journal");
}

// A consistent copy of a live database through SQLite's online backup API.
Status backup_database(const fs::path& from, const fs::path& to) {
  sqlite3* source = nullptr;
  sqlite3* target = nullptr;
  auto close = [&] {
    sqlite3_close_v2(source);
    sqlite3_close_v2(target);
  };
  if (sqlite3_open_v2(from.c_str(), &source, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string message = from.string() + ": cannot open: " + sqlite3_errmsg(source);
    close();
    return Status::error(message);
  }
  sqlite3_busy_timeout(source, 10000);
  if (sqlite3_open_v2(to.c_str(), &target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string message = to.string() + ": cannot create: " + sqlite3_errmsg(target);
    close();
    return Status::error(message);
  }
  sqlite3_backup* backup = sqlite3_backup_init(target, "main", source, "main");
  if (!backup) {
    std::string message = from.string() + ": backup failed: " + sqlite3_errmsg(target);
    close();
    return Status::error(message);
  }
  // One step copies every page under one read transaction: a snapshot, however busy the writer.
  int rc;
  int attempts = 0;
  while ((rc = sqlite3_backup_step(backup, -1)) == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    if (++attempts > 100) break;
    sqlite3_sleep(100);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) {
    std::string message = from.string() + ": backup failed: " + sqlite3_errstr(rc);
    close();
    return Status::error(message);
  }
  // The copy is a plain rollback-journal file: nothing beside it is needed to read it.
  sqlite3_exec(target, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
  close();
  return Status::ok();
}

Status check_integrity(const fs::path& file) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close_v2(db);
    return Status::error(file.string() + ": not a readable database");
  }
  sqlite3_stmt* stmt = nullptr;
  std::string verdict = "no answer";
  if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    verdict = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  } else {
    verdict = sqlite3_errmsg(db);
  }
  sqlite3_finalize(stmt);
  sqlite3_close_v2(db);
  if (verdict != "ok") return Status::error(file.string() + ": integrity check failed: " + verdict);
  return Status::ok();
}

Status make_private_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::error(dir.string() + ": cannot create: " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  return Status::ok();
}

void make_private_file(const fs::path& file) {
  std::error_code ec;
  fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace, ec);
}

bool empty_or_missing(const fs::path& dir) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return true;
  return fs::is_directory(dir, ec) && fs::is_empty(dir, ec);
}

std::string utc_stamp() {
  auto now = std::chrono::system_clock::now();
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

// A listed path must stay inside the backup: relative, no "..", no root.
bool safe_relative(const fs::path& p) {
  if (p.empty() || p.is_absolute() || p.has_root_name() || p.has_root_directory()) return false;
  return std::none_of(p.begin(), p.end(), [](const fs::path& part) { return part == ".." || part == "."; });
}

}  // namespace

Result<BackupReport> backup_data(const fs::path& data_dir, const fs::path& out_dir) {
  std::error_code ec;
  if (!fs::is_directory(data_dir, ec)) return Status::error(data_dir.string() + ": no such data directory");
  if (!empty_or_missing(out_dir)) {
    return Status::error(out_dir.string() + ": exists and is not empty; give a new directory for each backup");
  }
  if (Status s = make_private_dir(out_dir); !s) return s;
  BackupReport report;
  json::array listing;
  for (auto it = fs::recursive_directory_iterator(data_dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const fs::path relative = fs::relative(it->path(), data_dir);
    if (it.depth() == 0 && it->is_directory() && relative == "plugin-cache") {
      it.disable_recursion_pending();  // rebuilt from the plugin files when needed
      continue;
    }
    if (!it->is_regular_file() || is_sqlite_side_file(relative)) continue;
    const fs::path target = out_dir / relative;
    if (Status s = make_private_dir(target.parent_path()); !s) return s;
    if (is_database(relative)) {
      if (Status s = backup_database(it->path(), target); !s) return s;
      if (Status s = check_integrity(target); !s) return s;
    } else {
      fs::copy_file(it->path(), target, fs::copy_options::overwrite_existing, ec);
      if (ec) return Status::error(it->path().string() + ": cannot copy: " + ec.message());
    }
    make_private_file(target);
    uint64_t bytes = 0;
    auto digest = sha256_file(target, &bytes);
    if (!digest) return digest.status();
    listing.push_back(json::object{{"path", relative.generic_string()}, {"bytes", bytes}, {"sha256", digest.value()}});
    report.files.push_back(relative.generic_string());
    report.bytes += bytes;
  }
  if (ec) return Status::error(data_dir.string() + ": cannot list: " + ec.message());
  json::object info{{"format", kFormat},
                    {"created_unix", std::stoll(utc_stamp())},
                    {"machi_version", runtime_version()},
                    {"files", std::move(listing)}};
  const fs::path listing_file = out_dir / kBackupListing;
  std::ofstream(listing_file, std::ios::binary) << json::serialize(info) << "\n";
  make_private_file(listing_file);
  return report;
}

Result<BackupReport> restore_data(const fs::path& backup_dir, const fs::path& data_dir, bool force) {
  const fs::path listing_file = backup_dir / kBackupListing;
  std::ifstream in(listing_file, std::ios::binary);
  if (!in) return Status::error(listing_file.string() + ": missing: not a machi backup");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  boost::system::error_code jec;
  json::value info = json::parse(text, jec);
  const json::object* o = jec ? nullptr : info.if_object();
  const json::value* format = o ? o->if_contains("format") : nullptr;
  const json::value* files = o ? o->if_contains("files") : nullptr;
  if (!format || !files || !files->is_array()) {
    return Status::error(listing_file.string() + ": not a backup listing (format, files)");
  }
  if (!format->is_int64() || format->as_int64() != kFormat) {
    return Status::error(listing_file.string() + ": backup format " + json::serialize(*format) +
                         " is not the one this machi restores (" + std::to_string(kFormat) + ")");
  }
  // Every listed file first, before anything is touched.
  std::vector<fs::path> paths;
  size_t index = 0;
  for (const json::value& f : files->as_array()) {
    std::string where = listing_file.string() + ": /files/" + std::to_string(index++);
    const json::object* entry = f.if_object();
    const json::value* path = entry ? entry->if_contains("path") : nullptr;
    const json::value* sha = entry ? entry->if_contains("sha256") : nullptr;
    if (!path || !path->is_string() || !sha || !sha->is_string()) return Status::error(where + ": needs path and sha256");
    fs::path relative(std::string(path->as_string()));
    if (!safe_relative(relative)) return Status::error(where + ": path '" + relative.string() + "' leaves the backup");
    uint64_t bytes = 0;
    auto digest = sha256_file(backup_dir / relative, &bytes);
    if (!digest) return Status::error(where + ": " + digest.error());
    if (digest.value() != sha->as_string()) {
      return Status::error(where + ": " + relative.string() + " does not match its SHA-256: the backup is damaged");
    }
    if (is_database(relative)) {
      if (Status s = check_integrity(backup_dir / relative); !s) return Status::error(where + ": " + s.message());
    }
    paths.push_back(relative);
  }
  if (!empty_or_missing(data_dir) && !force) {
    return Status::error(data_dir.string() + ": exists and holds data; stop machi serve and pass --force to "
                         "replace it (the current data is kept beside it)");
  }
  // Build the new directory beside the target, then swap with renames.
  const fs::path parent = fs::absolute(data_dir).parent_path();
  const std::string stamp = utc_stamp();
  const fs::path staging = parent / (data_dir.filename().string() + ".restoring-" + stamp);
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (Status s = make_private_dir(staging); !s) return s;
  BackupReport report;
  for (const fs::path& relative : paths) {
    const fs::path target = staging / relative;
    if (Status s = make_private_dir(target.parent_path()); !s) return s;
    fs::copy_file(backup_dir / relative, target, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      fs::remove_all(staging, ec);
      return Status::error(target.string() + ": cannot write: " + ec.message());
    }
    make_private_file(target);
    report.files.push_back(relative.generic_string());
    report.bytes += fs::file_size(target, ec);
  }
  if (fs::exists(data_dir, ec)) {
    report.replaced = parent / (data_dir.filename().string() + ".replaced-" + stamp);
    fs::rename(data_dir, report.replaced, ec);
    if (ec) return Status::error(data_dir.string() + ": cannot move aside: " + ec.message());
  }
  fs::rename(staging, data_dir, ec);
  if (ec) return Status::error(data_dir.string() + ": cannot put the restored data in place: " + ec.message());
  return report;
}

}  // namespace machi::storage
