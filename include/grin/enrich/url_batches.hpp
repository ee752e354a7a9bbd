#pragma once
// One DB batch of barcodes as _barcode_search requests: api::barcode_search_urls() packs
// the URLs (grin-protocol.md 1.6: at most 7,500 characters); this keeps, next to each URL,
// the barcodes it asks for, so that the answer can be checked against them and a failed
// request names exactly the books that stay un-enriched. Pure, thread-safe.
#include <grin/api/barcode_search_batches.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace grin::enrich {

struct url_batch {
    std::string url;
    std::vector<std::string> barcodes; // in URL order
};

// Throws grin::error (step "validate") for an invalid barcode, like barcode_search_urls().
std::vector<url_batch>
url_batches(std::string_view base_url,
            std::string_view library,
            std::span<const std::string> barcodes,
            std::size_t max_url_chars = api::default_barcode_search_url_chars);

} // namespace grin::enrich
