#pragma once
// Query strings and form bodies as GRIN's clients send them: '+' and %20 both mean a
// space (grin-protocol.md 1.0). Pure, thread-safe, never throw (bad escapes are kept
// verbatim).
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grin::emulator {

using query_params = std::vector<std::pair<std::string, std::string>>;

std::string percent_decode(std::string_view text);
query_params parse_query(std::string_view query); // "a=1&b=x+y" (no leading '?')
std::optional<std::string> first_value(const query_params& params, std::string_view key);
std::vector<std::string> all_values(const query_params& params, std::string_view key);

// Splits "path?query" at the first '?'.
std::pair<std::string_view, std::string_view> split_target(std::string_view target) noexcept;

// Barcode lists as the clients send them: separated by spaces ('+'), commas or newlines.
std::vector<std::string> split_barcode_list(std::string_view text);

} // namespace grin::emulator
