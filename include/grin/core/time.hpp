#pragma once
// Time formatting shared by the database (ISO 8601 timestamps, grin-transfer compatible)
// and the progress line ("1m 6s", "32h 54m").
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace grin {

using system_time = std::chrono::system_clock::time_point;

inline system_time now_utc() {
    return std::chrono::system_clock::now();
}

// "2025-09-01T10:15:00.123456+00:00": the form Python's datetime.now(UTC).isoformat()
// writes, so databases shared with grin-transfer sort and compare the same way.
std::string format_iso8601_utc(system_time when);

// Reads what format_iso8601_utc writes ("Z" or "+00:00"; fraction optional). nullopt for
// anything else, or another UTC offset.
std::optional<system_time> parse_iso8601_utc(std::string_view text);

// "20250901_101500" for file names (UTC).
std::string format_compact_utc(system_time when);

// Human durations for progress lines, as grin-transfer prints them: "250ms" under a
// second, "45.0s" under a minute, "1m 6s" under an hour, else "32h 54m" (hours do not
// roll over into days).
std::string format_duration(std::chrono::duration<double> duration);

} // namespace grin
