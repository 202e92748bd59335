// Loads fixture plugins through the real loader and calls real instances, waiting for answers
// that come later from a plugin thread.
#pragma once

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <sqlite3.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "runtime/plugin/plugin_instance.h"
#include "runtime/plugin/plugin_loader.h"
#include "tests/support/scratch_dir.h"

namespace machi::test {

inline std::filesystem::path fixture(const std::string& name) {
  return std::filesystem::path(MACHI_FIXTURE_DIR) / (name + ".so");
}

struct Harness {
  ScratchDir dir;
  PluginLoader loader{dir / "cache"};
  LiveHub live;

  std::shared_ptr<const LoadedPlugin> load(const std::filesystem::path& file) {
    auto plugin = loader.load(file);
    REQUIRE_MESSAGE(plugin.is_ok(), plugin.error());
    return plugin.value();
  }

  std::filesystem::path data_dir;  // the next instances' read_data_file root (canonical)
  std::function<bool(std::string_view)> known_subject;  // residents notify() may reach; unset: none
  std::unique_ptr<PluginInstance> instance(const std::filesystem::path& file,
                                           const std::string& mount = "m",
                                           const std::string& config = "{}",
                                           std::chrono::milliseconds deadline =
                                               std::chrono::milliseconds(5000)) {
    InstanceOptions options;
    options.municipality_id = "testcity";
    options.mount_id = mount;
    options.config_json = config;
    options.database_file = dir / ("apps/" + mount + ".db");
    options.live = &live;
    options.deadline = deadline;
    options.data_dir = data_dir;
    options.known_subject = known_subject;
    auto created = PluginInstance::create(load(file), options);
    REQUIRE_MESSAGE(created.is_ok(), created.error());
    return std::move(created).value();
  }
};

inline PluginRequest make_request(std::string method, std::string path, std::string query = "",
                                  std::string body = "") {
  PluginRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.query = std::move(query);
  r.body = std::move(body);
  r.request_id = "test-req";
  return r;
}

// Calls the instance and waits (bounded) for the answer, whether immediate or pending.
inline PluginResponse call(PluginInstance& instance, const PluginRequest& request,
                           std::chrono::milliseconds wait = std::chrono::milliseconds(5000)) {
  auto promise = std::make_shared<std::promise<PluginResponse>>();
  auto future = promise->get_future();
  instance.handle_request(request, [promise](PluginResponse r) { promise->set_value(std::move(r)); });
  REQUIRE(future.wait_for(wait) == std::future_status::ready);
  return future.get();
}

inline boost::json::value body_json(const PluginResponse& r) { return boost::json::parse(r.body); }

// The notifications an instance wrote to its outbox since the last drain, each with its
// resident under "to".
inline std::vector<boost::json::object> drain_notifications(PluginInstance& instance) {
  std::vector<boost::json::object> out;
  instance.drain_outbox_batch([&](const std::vector<storage::OutboxItem>& items) {
    for (const auto& i : items) {
      boost::json::object n = boost::json::parse(i.notification).as_object();
      n["to"] = i.subject;
      out.push_back(std::move(n));
    }
    return true;
  }, 1000);
  return out;
}

// When the job `key` is due in a mini-app's database (-1: no such job).
inline int64_t job_due(const std::filesystem::path& database, const std::string& key) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(database.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "SELECT due_ms FROM _machi_jobs WHERE key = ?1", -1, &q, nullptr);
  sqlite3_bind_text(q, 1, key.c_str(), -1, SQLITE_TRANSIENT);
  int64_t due = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
  sqlite3_finalize(q);
  sqlite3_close(db);
  return due;
}

}  // namespace machi::test
