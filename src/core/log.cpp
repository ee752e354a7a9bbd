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

std::atomic<format>& current_format() {
    static std::atomic<format> value{format::text};
    return value;
}

std::string lower_case(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

// JSON string escaping for one log message: bytes that are not valid UTF-8 become U+FFFD so
// that a log shipper never rejects a line because of a hostile title or path.
void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (std::size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[c >> 4];
            out += hex[c & 15];
        } else if (c >= 0x80) {
            std::size_t length = c >= 0xf0 && c < 0xf5   ? 4
                                 : c >= 0xe0             ? 3
                                 : c >= 0xc2 && c < 0xe0 ? 2
                                                         : 0;
            bool valid = length > 0 && i + length <= text.size();
            for (std::size_t k = 1; valid && k < length; ++k)
                valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
            if (!valid) {
                out += "\xef\xbf\xbd";
                ++i;
                continue;
            }
            out.append(text.substr(i, length));
            i += length;
            continue;
        } else {
            out += static_cast<char>(c);
        }
        ++i;
    }
    out += '"';
}

void stderr_sink(level value, std::string_view line) {
    std::cerr << format_line(value, line) << '\n';
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
    std::string lower = lower_case(text);
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

format parse_format(std::string_view text) {
    std::string lower = lower_case(text);
    if (lower == "text")
        return format::text;
    if (lower == "json")
        return format::json;
    throw fatal("unknown log format '" + std::string(text) + "' (expected text or json)");
}

void set_format(format value) {
    current_format() = value;
}

std::string format_line(level value, std::string_view message) {
    std::string time = format_iso8601_utc(now_utc());
    if (current_format() == format::text)
        return time + ' ' + std::string(to_string(value)) + ' ' + std::string(message);
    std::string line = "{\"time\":\"" + time + "\",\"level\":\"" + std::string(to_string(value)) +
                       "\",\"message\":";
    append_json_string(line, message);
    line += '}';
    return line;
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

namespace {

void emit(level value, std::string_view message) {
    std::string line = redact(message);
    std::lock_guard lock(global().mutex);
    if (global().file.is_open())
        global().file << format_line(value, line) << std::endl;
    if (global().current)
        global().current(value, line);
    else if (value >= console_threshold().load())
        stderr_sink(value, line);
}

} // namespace

void write(level value, std::string_view message) {
    if (value < threshold().load() || value == level::off)
        return;
    emit(value, message);
}

void security_warning(std::string_view message) {
    emit(level::warning, message);
}

void set_console_level(level value) {
    console_threshold() = value;
}

} // namespace grin::log
