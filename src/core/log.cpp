#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/time.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <vector>

namespace grin::log {
namespace {

struct state {
    std::mutex mutex;
    sink current;
    std::vector<std::string> secrets;
    std::ofstream file;
};

state& global() {
    static state instance;
    return instance;
}

std::atomic<level>& threshold() {
    static std::atomic<level> value{level::info};
    return value;
}

std::atomic<level>& console_threshold() {
    static std::atomic<level> value{level::debug};
    return value;
}

void stderr_sink(level value, std::string_view line) {
    std::cerr << format_iso8601_utc(now_utc()) << ' ' << to_string(value) << ' ' << line << '\n';
}

constexpr std::string_view secret_query_keys[] = {
    "access_token=",    "refresh_token=",    "client_secret=",        "code=",
    "X-Amz-Signature=", "X-Amz-Credential=", "X-Amz-Security-Token=", "password="};

void mask_query_values(std::string& text) {
    for (auto key : secret_query_keys) {
        std::size_t pos = 0;
        while ((pos = text.find(key, pos)) != std::string::npos) {
            bool at_boundary = pos == 0 || text[pos - 1] == '?' || text[pos - 1] == '&' ||
                               text[pos - 1] == ' ' || text[pos - 1] == ',';
            std::size_t start = pos + key.size();
            if (!at_boundary) {
                pos = start;
                continue;
            }
            std::size_t end = text.find_first_of("& \t\n\"'", start);
            if (end == std::string::npos)
                end = text.size();
            text.replace(start, end - start, "[REDACTED]");
            pos = start + 10;
        }
    }
}

} // namespace

level parse_level(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lower == "debug")
        return level::debug;
    if (lower == "info")
        return level::info;
    if (lower == "warning" || lower == "warn")
        return level::warning;
    if (lower == "error")
        return level::error;
    if (lower == "off")
        return level::off;
    throw fatal("unknown log level '" + std::string(text) +
                "' (expected debug, info, warning, error or off)");
}

std::string_view to_string(level value) {
    switch (value) {
    case level::debug:
        return "DEBUG";
    case level::info:
        return "INFO";
    case level::warning:
        return "WARNING";
    case level::error:
        return "ERROR";
    case level::off:
        return "OFF";
    }
    return "?";
}

void set_level(level value) {
    threshold().store(value);
}
level current_level() {
    return threshold().load();
}

sink set_sink(sink replacement) {
    std::lock_guard lock(global().mutex);
    std::swap(global().current, replacement);
    return replacement;
}

void set_file(const std::string& path) {
    std::lock_guard lock(global().mutex);
    if (global().file.is_open())
        global().file.close();
    if (path.empty())
        return;
    std::error_code ignored;
    auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty())
        std::filesystem::create_directories(dir, ignored);
    global().file.open(path, std::ios::app);
    if (!global().file)
        throw grin::error("cannot open log file " + path, {.step = "write"});
}

void add_secret(std::string secret) {
    if (secret.size() < 4)
        return;
    std::lock_guard lock(global().mutex);
    if (std::find(global().secrets.begin(), global().secrets.end(), secret) ==
        global().secrets.end())
        global().secrets.push_back(std::move(secret));
}

std::string redact(std::string_view text) {
    std::string result(text);
    {
        std::lock_guard lock(global().mutex);
        for (const auto& secret : global().secrets) {
            std::size_t pos = 0;
            while ((pos = result.find(secret, pos)) != std::string::npos) {
                result.replace(pos, secret.size(), "[REDACTED]");
                pos += 10;
            }
        }
    }
    mask_query_values(result);
    return result;
}

void write(level value, std::string_view message) {
    if (value < threshold().load() || value == level::off)
        return;
    std::string line = redact(message);
    std::lock_guard lock(global().mutex);
    if (global().file.is_open())
        global().file << format_iso8601_utc(now_utc()) << ' ' << to_string(value) << ' ' << line
                      << std::endl;
    if (global().current)
        global().current(value, line);
    else if (value >= console_threshold().load())
        stderr_sink(value, line);
}

void set_console_level(level value) {
    console_threshold() = value;
}

} // namespace grin::log
