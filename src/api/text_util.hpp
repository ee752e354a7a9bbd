#pragma once
// Text clean-up shared by the api parsers (private to src/api).
#include <string>
#include <string_view>

namespace grin::api::detail {

// Valid UTF-8 out of any bytes: valid sequences are kept, a stray byte 0xA0-0xFF is read
// as Latin-1 (the usual reason for invalid UTF-8 in a web page is a Latin-1 title), any
// other invalid byte and NUL/C0 controls other than \t \n \r \f become U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

// Runs of ASCII whitespace and U+00A0 become one space; leading/trailing ones go. This is
// what a person sees in a table cell, and what Python's str.strip() would remove.
std::string collapse_whitespace(std::string_view text);

// ASCII whitespace only (TSV and text bodies).
std::string_view trim_ascii(std::string_view text) noexcept;

bool ends_with(std::string_view text, std::string_view suffix) noexcept;

// Takes the next line off `rest` (LF or CRLF; the terminator is not part of the line).
inline std::string_view next_line(std::string_view& rest) noexcept {
    auto nl = rest.find('\n');
    auto line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

inline constexpr std::string_view archive_suffix = ".tar.gz.gpg";

} // namespace grin::api::detail
