#include <grin/core/time.hpp>

#include <cstdio>
#include <ctime>

namespace grin {
namespace {

std::tm to_utc_tm(system_time when) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return parts;
}

} // namespace

std::string format_iso8601_utc(system_time when) {
    std::tm parts = to_utc_tm(when);
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(when.time_since_epoch()).count() %
        1'000'000;
    if (micros < 0)
        micros += 1'000'000;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+00:00",
                  parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                  parts.tm_min, parts.tm_sec, static_cast<long long>(micros));
    return buffer;
}

std::string format_compact_utc(system_time when) {
    std::tm parts = to_utc_tm(when);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y%m%d_%H%M%S", &parts);
    return buffer;
}

std::string format_duration(std::chrono::seconds duration) {
    long long total = duration.count();
    if (total < 0)
        total = 0;
    // Hours do not roll over into days: the reference progress line reads "32h 54m".
    long long hours = total / 3600, minutes = total / 60 % 60, seconds = total % 60;
    if (hours > 0)
        return std::to_string(hours) + "h " + std::to_string(minutes) + "m";
    if (minutes > 0)
        return std::to_string(minutes) + "m " + std::to_string(seconds) + "s";
    return std::to_string(seconds) + "s";
}

} // namespace grin
