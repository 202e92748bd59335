// Structured logging: one JSON object a line on stderr ({"ts","level","component","msg",…}).
// Callers never pass tokens, passwords or personal data. Tests may capture lines with a sink.
// Thread-safety: log_line may be called from any thread; set_log_sink is for start-up and tests.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace machi {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

using LogFields = std::vector<std::pair<std::string_view, std::string_view>>;
using LogSink = std::function<void(const std::string& json_line)>;

void log_line(LogLevel level, std::string_view component, std::string_view message,
              const LogFields& fields = {});
// Replaces the sink (nullptr: stderr). Returns the previous one.
LogSink set_log_sink(LogSink sink);
void set_min_log_level(LogLevel level);

}  // namespace machi
