#pragma once
// Renderers for every GRIN body format (grin-protocol.md 1.2-1.6, 7.3), and the
// pagination rule of the list pages. Pure functions of their inputs; thread-safe.
#include <grin/emulator/catalogue.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grin::emulator {

enum class list_kind { all_books, converted, failed };

std::string_view list_path(list_kind kind) noexcept; // "_all_books", "_converted", "_failed"

struct page_options {
    bool dates_with_time = false; // knob: "YYYY/MM/DD HH:MM" in HTML lists (real GRIN: date only)
    bool empty_table_past_end = false; // past the end: empty table instead of "unavailable"
    bool next_when_full = false;       // Next link whenever a page is full, even at the exact end
};

struct page_window {
    std::uint64_t begin = 0, end = 0;        // rows [begin, end) of the list
    std::optional<std::uint64_t> next_first; // `first=` of the Next link, if any
    bool past_end = false;                   // first >= total (and total > 0)
};

// result_count <= 0 means "everything" (GRIN's -1); `first` is the row offset.
page_window paginate(std::uint64_t total,
                     std::int64_t result_count,
                     std::uint64_t first,
                     const page_options& options);

// Relative Next href (no leading '/', see 1.2), raw (not HTML-escaped):
// "_all_books?result_count=N&first=K".
std::string next_href(list_kind kind, std::int64_t result_count, std::uint64_t next_first);

std::string html_escape(std::string_view text);

// The list table of 1.2/7.3: thead/tr.heading/td/span.hd3, explicit tbody.
std::string render_html_list(list_kind kind,
                             std::span<const book> rows,
                             const std::optional<std::string>& next,
                             const page_options& options);
std::string render_unavailable_page();

// format=text: _all_books one barcode per line (mode=all: TSV rows barcode, title, state,
// scanned, converted), _converted "B.tar.gz.gpg" per line, _failed "B\t<date>\t<info>".
std::string render_text_list(list_kind kind, std::span<const book> rows, bool mode_all);

// _in_process?format=text: "B.tar.gz.gpg" lines, every `bare_every`-th line the bare
// barcode (0 = never), LF, trailing newline.
std::string render_in_process(std::span<const std::string> barcodes, unsigned bare_every);

// _process: "Barcode\tStatus\n" + "B\t<status>\n" rows.
std::string render_process_response(std::span<const std::pair<std::string, std::string>> rows);

// _barcode_search: header of api::barcode_search_columns + one row per book, LF only.
std::string render_barcode_search(std::span<const book> rows);
// One TSV row's values, in api::barcode_search_columns order (tests compare with it).
std::vector<std::string> barcode_search_values(const book& b);

} // namespace grin::emulator
