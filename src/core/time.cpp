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

std::optional<system_time> parse_iso8601_utc(std::string_view text) {
    std::tm parts{};
    int consumed = 0;
    std::string copy(text);
    if (std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &parts.tm_year, &parts.tm_mon,
                    &parts.tm_mday, &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &consumed) != 6 ||
        consumed != 19)
        return std::nullopt;
    std::string_view rest = text.substr(19);
    long long micros = 0;
    if (!rest.empty() && rest.front() == '.') {
        std::size_t digits = 1;
        long long scale = 100'000;
        while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9') {
            micros += (rest[digits] - '0') * scale;
            scale /= 10;
            ++digits;
        }
        rest.remove_prefix(digits);
    }
    if (rest != "Z" && rest != "+00:00" && !rest.empty())
        return std::nullopt;
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    std::time_t seconds = timegm(&parts);
    return std::chrono::system_clock::from_time_t(seconds) + std::chrono::microseconds(micros);
}

std::string format_compact_utc(system_time when) {
    std::tm parts = to_utc_tm(when);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y%m%d_%H%M%S", &parts);
    return buffer;
}

std::string format_duration(std::chrono::duration<double> duration) {
    double total = std::max(0.0, duration.count());
    char buffer[48];
    if (total < 1.0) {
        std::snprintf(buffer, sizeof buffer, "%.0fms", total * 1000.0);
    } else if (total < 60.0) {
        std::snprintf(buffer, sizeof buffer, "%.1fs", total);
    } else if (total < 3600.0) {
        auto minutes = static_cast<long long>(total / 60);
        std::snprintf(buffer, sizeof buffer, "%lldm %.0fs", minutes, total - 60.0 * minutes);
    } else {
        auto whole = static_cast<long long>(total);
        std::snprintf(buffer, sizeof buffer, "%lldh %lldm", whole / 3600, whole / 60 % 60);
    }
    return buffer;
}

} // namespace grin
