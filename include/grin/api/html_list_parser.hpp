#pragma once
// Parser for GRIN's HTML list pages (_all_books, _converted, _failed), driven by the
// table's heading row as grin-protocol.md 1.2-1.3 describe, but tolerant of what real
// pages and proxies do to markup: extra or missing cells, <th> as well as <td>, the
// heading row inside or outside a (possibly implicit) tbody, layout tables around the
// data table, nested inline markup, entities, stray non-UTF-8 bytes.
//
// Differences from the Python parser, on purpose:
// - the data table is the table that directly owns the first tr.heading (a layout table
//   around it does not capture its rows); rows of nested tables are not data rows;
// - heading cells may be <th> (Python skips them and shifts every column);
// - a heading cell without span.hd3 is named by its whole text;
// - rows with class "heading" are never data rows, wherever they are;
// - cell text is whitespace-collapsed ("Annals of <i>widgetry</i>" keeps its space);
// - rows whose barcode fails validation are reported, not returned.
//
// Uses libxml2's HTML parser (recovering, no network, no diagnostics printed).
// Thread-safe: each call has its own parser context.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grin::api {

struct list_row {
    std::string barcode; // always valid (barcode.hpp)
    // Normalised header key -> cell value; the href for a linked cell (except the
    // barcode/filename cells, which keep their text); empty cells are absent; for a
    // repeated key the first non-empty cell wins.
    std::map<std::string, std::string> values;

    // nullptr when the row has no such value.
    const std::string* find(const std::string& key) const;
};

struct list_page {
    bool has_table = false;           // a tr.heading was found
    std::vector<std::string> headers; // normalised keys, column order, "" for unnamed
    std::vector<list_row> rows;
    std::vector<std::string> invalid_barcodes; // rows dropped for a malformed barcode
    std::size_t rows_without_barcode = 0;      // rows dropped for lack of any barcode
    std::optional<std::string> next_href;      // raw href, entities decoded (next_link.hpp)
    bool unavailable = false;                  // "Your request is unavailable" (1.3)
};

// 1.2 step 2: lower-case, ' ' and '-' -> '_', '\'' removed ("OCR'd Date" -> "ocrd_date").
// Surrounding whitespace is trimmed and inner runs collapsed first.
std::string normalise_header_key(std::string_view header);

// Never throws for any input bytes (std::bad_alloc aside); a page without a heading row
// gives has_table == false and no rows.
list_page parse_list_page(std::string_view html);

} // namespace grin::api
