#include <grin/api/book_row.hpp>

#include <array>
#include <cstdio>

namespace grin::api {
namespace {

// Reads 1..max_digits digits (strptime's field widths) into `out`.
bool read_number(std::string_view& text, std::size_t max_digits, int& out) {
    std::size_t n = 0;
    out = 0;
    while (n < max_digits && n < text.size() && text[n] >= '0' && text[n] <= '9') {
        out = out * 10 + (text[n] - '0');
        ++n;
    }
    text.remove_prefix(n);
    return n > 0;
}

bool read_char(std::string_view& text, char c) {
    if (text.empty() || text.front() != c) {
        return false;
    }
    text.remove_prefix(1);
    return true;
}

bool is_leap(int year) {
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(int year, int month) {
    static constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap(year) ? 29 : days[static_cast<std::size_t>(month - 1)];
}

void keep_first(std::optional<std::string>& field, std::string value) {
    if (!field) {
        field = std::move(value);
    }
}

bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

} // namespace

std::string convert_grin_date(std::string_view value) {
    std::string_view rest = value;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0;
    bool ok = read_number(rest, 4, year) && read_char(rest, '/') && read_number(rest, 2, month) &&
              read_char(rest, '/') && read_number(rest, 2, day);
    // A format space matches any run of whitespace, including none, in strptime.
    while (ok && !rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) {
        rest.remove_prefix(1);
    }
    ok = ok && read_number(rest, 2, hour) && read_char(rest, ':') && read_number(rest, 2, minute) &&
         rest.empty();
    ok = ok && year >= 1 && month >= 1 && month <= 12 && day >= 1 &&
         day <= days_in_month(year, month) && hour <= 23 && minute <= 59;
    if (!ok) {
        return std::string(value);
    }
    std::array<char, 32> buffer{};
    std::snprintf(buffer.data(), buffer.size(), "%04d-%02d-%02dT%02d:%02d:00", year, month, day,
                  hour, minute);
    return buffer.data();
}

book_row to_book_row(const list_row& row) {
    book_row out;
    out.barcode = row.barcode;
    for (const auto& [key, value] : row.values) {
        if (contains(key, "title")) {
            keep_first(out.title, value);
        } else if (contains(key, "scanned")) {
            keep_first(out.scanned_date, convert_grin_date(value));
        } else if (contains(key, "converted")) {
            keep_first(out.converted_date, convert_grin_date(value));
        } else if (contains(key, "downloaded")) {
            keep_first(out.downloaded_date, convert_grin_date(value));
        } else if (contains(key, "processed")) {
            keep_first(out.processed_date, convert_grin_date(value));
        } else if (contains(key, "analyzed")) {
            keep_first(out.analyzed_date, convert_grin_date(value));
        } else if (contains(key, "ocr")) {
            keep_first(out.ocr_date, convert_grin_date(value));
        } else if (contains(key, "google") || contains(key, "books")) {
            if (contains(value, "http")) {
                keep_first(out.google_books_link, value);
            }
        } else if (contains(key, "state") || contains(key, "status")) {
            keep_first(out.grin_state, value);
        }
    }
    return out;
}

bool title_unexpectedly_missing(const book_row& row) noexcept {
    return (!row.title || row.title->empty()) && row.grin_state != "NOT_AVAILABLE_FOR_DOWNLOAD";
}

} // namespace grin::api
