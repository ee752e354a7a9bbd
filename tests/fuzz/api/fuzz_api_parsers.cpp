// libFuzzer entry for every api parser. Besides "no crash, no sanitizer report", it
// checks the parsers' promises: returned barcodes are valid, only grin::error escapes
// the throwing parsers.
#include <grin/api/barcode.hpp>
#include <grin/api/book_row.hpp>
#include <grin/api/html_list_parser.hpp>
#include <grin/api/next_link.hpp>
#include <grin/api/process_response.hpp>
#include <grin/api/text_list.hpp>
#include <grin/api/tsv.hpp>
#include <grin/core/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void require(bool condition) {
    if (!condition) {
        std::abort();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    using namespace grin::api;

    auto page = parse_list_page(input);
    for (const auto& row : page.rows) {
        require(is_valid_barcode(row.barcode));
        auto book = to_book_row(row);
        require(book.barcode == row.barcode);
    }
    if (page.next_href) {
        try {
            (void)resolve_next_url(default_base_url,
                                   "https://books.google.com/libraries/X/_all_books?result_count=1",
                                   *page.next_href);
        } catch (const grin::error&) {
        }
    }

    for (const auto& row : parse_barcode_search(input).rows) {
        require(is_valid_barcode(row.barcode));
    }
    for (const auto& barcode : parse_text_list(input).barcodes) {
        require(is_valid_barcode(barcode));
    }
    try {
        for (const auto& entry : parse_process_response(input)) {
            require(is_valid_barcode(entry.barcode));
        }
    } catch (const grin::error&) {
    }
    (void)convert_grin_date(input.substr(0, 64));
    try {
        (void)resolve_reference("https://h/libraries/X/_all_books?a=1", input.substr(0, 256));
    } catch (const grin::error&) {
    }
    return 0;
}
