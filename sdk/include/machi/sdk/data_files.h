// DataFiles: the files a municipality maintains for a mini-app (open-data CSVs, rules, content),
// taken from the mount's data_dir (ABI 1.3 read_data_file) when they change, or uploaded by
// staff. Each file is checked whole by the mini-app's `apply` and either applied in one
// transaction or refused with every problem — a bad file changes nothing, the last good data
// stays, and health() and state() say why. Bookkeeping (digest of the last data_dir import,
// origin, time, optionally the last good text) lives in the mini-app's own table
// `sdk_data_files`. Thread-safety: any thread; `apply` runs inside the caller's transaction.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "machi/sdk/json.h"
#include "machi/sdk/plugin.h"
#include "machi/sdk/request.h"
#include "machi/sdk/storage.h"

namespace machi::sdk {

class DataFiles {
 public:
  // Checks and applies a file's bytes; returns the problems ("file:line:column: …" or
  // "file:/pointer: …"), empty when applied. `file` names the file in those problems.
  using Apply = std::function<std::vector<std::string>(std::string_view bytes, const std::string& file)>;

  explicit DataFiles(Context& ctx) : ctx_(ctx) {
    ctx_.db().exec(
        "CREATE TABLE IF NOT EXISTS sdk_data_files(what TEXT PRIMARY KEY, digest TEXT, origin TEXT,"
        " at_ms INTEGER, text TEXT)");
  }

  // Registers a file: `what` names it in routes and state, `file` is its name in the data_dir
  // ("" when it only comes by upload). With keep_text, the last good text is kept (saved()).
  void add(std::string what, std::string file, Apply apply, bool keep_text = false) {
    files_.push_back({std::move(what), std::move(file), std::move(apply), keep_text});
  }

  // The last good text of a keep_text file, to restore the parsed form at start.
  std::optional<std::string> saved(const std::string& what) {
    Statement q = ctx_.db().prepare("SELECT text FROM sdk_data_files WHERE what = ?1 AND text IS NOT NULL");
    q.bind(1, what);
    if (!q.step()) return std::nullopt;
    return std::string(q.text(0));
  }

  // Imports each registered data_dir file whose bytes changed since its last import.
  void import_changed() {
    for (const File& f : files_) {
      if (f.file.empty()) continue;
      std::optional<std::string> bytes;
      try {
        bytes = ctx_.read_data_file(f.file);
      } catch (const HostError& e) {
        if (e.status() == MACHI_ERR_UNIMPLEMENTED) return;  // no data_dir for this mount
        throw;
      }
      if (!bytes) continue;
      std::string digest = std::to_string(fnv1a64(*bytes)) + ":" + std::to_string(bytes->size());
      if (stored_digest(f.what) == digest) continue;
      Transaction tx(ctx_.db());
      auto problems = f.apply(*bytes, f.file);
      if (!problems.empty()) {
        std::string message = "the data_dir's " + f.file + " was not imported: " + problems.front() +
                              (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : "");
        ctx_.log(LogLevel::kError, message);
        std::lock_guard lock(mutex_);
        problems_[f.what] = message;
        continue;
      }
      record(f, "data_dir", digest, *bytes);
      tx.commit();
      std::lock_guard lock(mutex_);
      problems_.erase(f.what);
    }
  }

  // A staff upload of `what`, checked whole: 422 {"error": {"code": "invalid_<what>",
  // "problems": […]}} and nothing changed, or applied in one transaction and answered with
  // report(). Unknown `what` → false (nothing answered).
  bool upload(const std::string& what, std::string_view bytes, Response& response,
              const std::function<boost::json::object()>& report) {
    const File* f = find(what);
    if (!f) return false;
    Transaction tx(ctx_.db());
    auto problems = f->apply(bytes, "upload");
    if (!problems.empty()) {
      boost::json::array list;
      for (const auto& p : problems) list.push_back(boost::json::value(p));
      response.json(boost::json::object{
                        {"error", {{"code", "invalid_" + what},
                                   {"message", "the " + what + " file was not imported; nothing changed: " + problems.front()},
                                   {"problems", list}}}},
                    422);
      return true;
    }
    record(*f, "upload", stored_digest(what).value_or(""), bytes);
    tx.commit();
    {
      std::lock_guard lock(mutex_);
      problems_.erase(what);
    }
    response.json(report());
    return true;
  }

  // {what: {"file", "imported": {"origin", "at_unix_ms"} | null, "problem": text | null}}.
  boost::json::object state() {
    boost::json::object out;
    for (const File& f : files_) {
      Statement q = ctx_.db().prepare("SELECT origin, at_ms FROM sdk_data_files WHERE what = ?1 AND origin IS NOT NULL");
      q.bind(1, f.what);
      boost::json::value imported = nullptr;
      if (q.step()) imported = boost::json::object{{"origin", q.text(0)}, {"at_unix_ms", q.integer(1)}};
      std::lock_guard lock(mutex_);
      auto problem = problems_.find(f.what);
      out[f.what] = {{"file", f.file.empty() ? boost::json::value(nullptr) : boost::json::value(f.file)},
                     {"imported", imported},
                     {"problem", problem == problems_.end() ? boost::json::value(nullptr) : boost::json::value(problem->second)}};
    }
    return out;
  }

  // The data_dir problems joined, nullopt when every file is fine.
  std::optional<std::string> health() {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const auto& [what, problem] : problems_) out += (out.empty() ? "" : "; ") + problem;
    return out.empty() ? std::nullopt : std::optional(out);
  }

 private:
  struct File {
    std::string what, file;
    Apply apply;
    bool keep_text;
  };

  const File* find(const std::string& what) const {
    for (const File& f : files_) {
      if (f.what == what) return &f;
    }
    return nullptr;
  }

  std::optional<std::string> stored_digest(const std::string& what) {
    Statement q = ctx_.db().prepare("SELECT digest FROM sdk_data_files WHERE what = ?1 AND digest IS NOT NULL");
    q.bind(1, what);
    if (!q.step()) return std::nullopt;
    return std::string(q.text(0));
  }

  // An upload keeps the data_dir digest: the same data_dir file is not imported over it again,
  // a changed one is.
  void record(const File& f, const char* origin, const std::string& digest, std::string_view bytes) {
    int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch()).count();
    ctx_.db().run(
        "INSERT INTO sdk_data_files(what, digest, origin, at_ms, text) VALUES (?1, ?2, ?3, ?4, ?5)"
        " ON CONFLICT(what) DO UPDATE SET digest = ?2, origin = ?3, at_ms = ?4, text = ?5",
        f.what, digest.empty() ? std::optional<std::string>() : std::optional(digest), std::string(origin), now,
        f.keep_text ? std::optional(std::string(bytes)) : std::optional<std::string>());
  }

  Context& ctx_;
  std::vector<File> files_;
  std::mutex mutex_;
  std::map<std::string, std::string> problems_;
};

}  // namespace machi::sdk
