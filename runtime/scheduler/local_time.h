// Wall-clock time for the scheduler and the host: now in UTC milliseconds, and a municipality's
// local date-time (its IANA zone, real rules from the tz database) as a UTC instant.
// Thread-safety: free functions (the tz database is loaded once, thread-safely).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/status.h"

namespace machi {

int64_t unix_now_ms();

// "YYYY-MM-DDTHH:MM[:SS]" in `zone` → UTC ms. Ambiguous (clocks back): the earlier instant.
// Nonexistent (clocks forward): the instant of the change.
Result<int64_t> local_to_unix_ms(std::string_view zone, std::string_view local_date_time);

// The calendar date (YYYY-MM-DD) at `unix_ms` in `zone` (UTC if the zone is unknown).
std::string local_date(std::string_view zone, int64_t unix_ms);

// If `unix_ms` falls inside the daily local window [start, end) (minutes after midnight in
// `zone`; end < start wraps past midnight), the UTC instant the window ends; else nullopt.
std::optional<int64_t> end_of_local_window(std::string_view zone, int64_t unix_ms, int start_minute,
                                           int end_minute);

}  // namespace machi
