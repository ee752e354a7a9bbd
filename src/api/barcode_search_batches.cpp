#include <grin/api/barcode.hpp>
#include <grin/api/barcode_search_batches.hpp>
#include <grin/api/next_link.hpp>
#include <grin/core/error.hpp>

namespace grin::api {

std::vector<std::string> barcode_search_urls(std::string_view base_url,
                                             std::string_view library,
                                             std::span<const std::string> barcodes,
                                             std::size_t max_url_chars) {
    const auto prefix = endpoint_url(
        base_url, library, "_barcode_search?execute_query=true&format=text&mode=full&barcodes=");
    std::vector<std::string> urls;
    std::string current;
    for (const auto& barcode : barcodes) {
        // Valid barcodes are URL-safe as they are, so the length on the wire is known.
        require_valid_barcode(barcode);
        if (prefix.size() + barcode.size() > max_url_chars) {
            throw error("a _barcode_search URL cannot hold even one barcode", {.step = "validate"});
        }
        if (!current.empty() && current.size() + 1 + barcode.size() > max_url_chars) {
            urls.push_back(std::move(current));
            current.clear();
        }
        if (current.empty()) {
            current = prefix + barcode;
        } else {
            current += '+';
            current += barcode;
        }
    }
    if (!current.empty()) {
        urls.push_back(std::move(current));
    }
    return urls;
}

} // namespace grin::api
