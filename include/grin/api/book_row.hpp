#pragma once
// A list-page row (html_list_parser.hpp) mapped to the columns `collect` stores, by the
// rules of grin-transfer's parse_grin_row (grin-protocol.md 1.2 step 5). Pure functions,
// thread-safe, never throw (std::bad_alloc aside).
#include <grin/api/html_list_parser.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace grin::api {

// Absent = GRIN gave no value (the database keeps NULL / the old value).
struct book_row {
    std::string barcode;
    std::optional<std::string> title;
    std::optional<std::string> scanned_date;
    std::optional<std::string> converted_date;
    std::optional<std::string> downloaded_date;
    std::optional<std::string> processed_date;
    std::optional<std::string> analyzed_date;
    std::optional<std::string> ocr_date;
    std::optional<std::string> google_books_link;
    std::optional<std::string> grin_state;

    friend bool operator==(const book_row&, const book_row&) = default;
};

// "2008/03/14 14:06" -> "2008-03-14T14:06:00" (Python strptime "%Y/%m/%d %H:%M" then
// isoformat(): 1-2 digit fields accepted, calendar checked); anything else, including
// the date-only "2008/03/14" that real HTML lists show, is returned verbatim.
std::string convert_grin_date(std::string_view value);

// Keys are matched by substring, first rule wins: "title"; "scanned", "converted",
// "downloaded", "processed", "analyzed", "ocr" (dates, via convert_grin_date); "google"
// or "books" (only a value containing "http"); "state" or "status". Keys are visited in
// the row's (sorted) order and the first value for a field is kept.
book_row to_book_row(const list_row& row);

// grin-transfer warns about an empty title unless the book is NOT_AVAILABLE_FOR_DOWNLOAD
// (GRIN shows no title for those); the caller logs it.
bool title_unexpectedly_missing(const book_row& row) noexcept;

} // namespace grin::api
