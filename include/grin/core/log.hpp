#pragma once
// Process-wide logging with secret redaction.
// Every line passes through redact(): any string registered with add_secret() (tokens,
// keys, passphrases) is replaced by "[REDACTED]" before it reaches a sink, and URL query
// values of known secret parameters (access_token, code, client_secret, refresh_token,
// X-Amz-Signature, X-Amz-Credential) are masked. Thread-safe; a sink can be swapped for
// tests, which then assert no secret leaks.
#include <functional>
#include <string>
#include <string_view>

namespace grin::log {

enum class level { debug = 0, info = 1, warning = 2, error = 3, off = 4 };

// Parses "debug|info|warning|error|off" (case-insensitive; "warn" accepted).
// Throws grin::fatal on anything else.
level parse_level(std::string_view text);
std::string_view to_string(level value);

// How lines look on stderr and in the log file: "text" (`<UTC time> <LEVEL> <message>`) or
// "json", one object per line for log shippers:
//   {"time":"2026-11-23T18:00:00.123Z","level":"INFO","message":"..."}
enum class format { text, json };
// Parses "text|json" (case-insensitive). Throws grin::fatal on anything else.
format parse_format(std::string_view text);
void set_format(format value);

// One line in the current format, without the newline (exposed for tests).
std::string format_line(level value, std::string_view message);

void set_level(level value);
level current_level();

using sink = std::function<void(level, std::string_view line)>;
// Replaces the sink (default: stderr with a UTC timestamp). Returns the previous one.
sink set_sink(sink replacement);

// Also appends every line (redacted, timestamped, at or above the current level) to this
// file, creating its directory; an empty path stops. Throws grin::error naming the path
// when the file cannot be opened.
void set_file(const std::string& path);

// The default stderr sink shows only lines at or above this level (default: all that pass
// set_level). Commands that print their own console output (progress, summaries) raise it
// to warning, so that info lines go only to the log file.
void set_console_level(level value);

// Registers a secret to be masked in every later log line. Empty and very short
// strings (< 4 chars) are ignored so that redaction cannot eat ordinary text.
void add_secret(std::string secret);
std::string redact(std::string_view text);

void write(level value, std::string_view message);
inline void debug(std::string_view message) {
    write(level::debug, message);
}
inline void info(std::string_view message) {
    write(level::info, message);
}
inline void warning(std::string_view message) {
    write(level::warning, message);
}
inline void error(std::string_view message) {
    write(level::error, message);
}

// A warning that no log level hides (TLS verification turned off, ...): written to the log
// file and to the console at warning level even under --log-level error or off.
void security_warning(std::string_view message);

} // namespace grin::log
