#include <grin/api/barcode.hpp>
#include <grin/core/error.hpp>

#include <string>

namespace grin::api {
namespace {

bool is_name_char(char c) noexcept {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

bool all_name_chars(std::string_view text) noexcept {
    for (char c : text) {
        if (!is_name_char(c)) {
            return false;
        }
    }
    return true;
}

// Error messages quote at most this much of a rejected value: it may be garbage from a
// broken page and should not flood a log line.
std::string quoted_prefix(std::string_view text) {
    constexpr std::size_t limit = 60;
    std::string out = "'";
    out.append(text.substr(0, limit));
    if (text.size() > limit) {
        out += "...";
    }
    out += "'";
    return out;
}

} // namespace

bool is_valid_barcode(std::string_view barcode) noexcept {
    return barcode.size() >= 3 && barcode.size() <= 50 && all_name_chars(barcode);
}

bool is_valid_library_directory(std::string_view directory) noexcept {
    return !directory.empty() && all_name_chars(directory);
}

void require_valid_barcode(std::string_view barcode) {
    if (!is_valid_barcode(barcode)) {
        throw error("invalid barcode " + quoted_prefix(barcode) +
                        " (expected 3-50 characters of A-Z a-z 0-9 _ -)",
                    {.step = "validate", .barcode = std::string(barcode.substr(0, 60))});
    }
}

void require_valid_library_directory(std::string_view directory) {
    if (!is_valid_library_directory(directory)) {
        throw error("invalid library directory " + quoted_prefix(directory) +
                        " (expected letters, digits, '_' or '-', e.g. Harvard)",
                    {.step = "validate"});
    }
}

} // namespace grin::api
