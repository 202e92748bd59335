#include "runtime/log/log.h"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

namespace machi {
namespace {

std::mutex g_mutex;
LogSink g_sink;
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

}  // namespace

void log_line(LogLevel level, std::string_view component, std::string_view message,
              const LogFields& fields) {
  if (static_cast<int>(level) < g_min_level.load(std::memory_order_relaxed)) return;
  boost::json::object line;
  auto now = std::chrono::system_clock::now();
  line["ts_ms"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  line["level"] = level_name(level);
  line["component"] = component;
  line["msg"] = message;
  for (const auto& [key, value] : fields) line[key] = value;
  std::string text = boost::json::serialize(line);
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(text);
  } else {
    text.push_back('\n');
    std::fwrite(text.data(), 1, text.size(), stderr);
  }
}

LogSink set_log_sink(LogSink sink) {
  std::lock_guard lock(g_mutex);
  std::swap(g_sink, sink);
  return sink;
}

void set_min_log_level(LogLevel level) { g_min_level.store(static_cast<int>(level)); }

}  // namespace machi
