#include <grin/core/error.hpp>
#include <grin/enrich/url_batches.hpp>

#include <algorithm>

namespace grin::enrich {

std::vector<url_batch> url_batches(std::string_view base_url,
                                   std::string_view library,
                                   std::span<const std::string> barcodes,
                                   std::size_t max_url_chars) {
    auto urls = api::barcode_search_urls(base_url, library, barcodes, max_url_chars);
    std::vector<url_batch> batches;
    batches.reserve(urls.size());
    std::size_t next = 0;
    for (auto& url : urls) {
        // barcode_search_urls() keeps the order and joins the barcodes with '+' after
        // "barcodes=" (valid barcodes contain no '+'), so the count says which ones.
        auto list = url.find("barcodes=");
        if (list == std::string::npos)
            throw error("unexpected _barcode_search URL", {.step = "validate"});
        auto count = static_cast<std::size_t>(
                         std::count(url.begin() + static_cast<long>(list), url.end(), '+')) +
                     1;
        if (next + count > barcodes.size())
            throw error("_barcode_search URLs hold more barcodes than given", {.step = "validate"});
        url_batch batch{.url = std::move(url), .barcodes = {}};
        batch.barcodes.assign(barcodes.begin() + static_cast<long>(next),
                              barcodes.begin() + static_cast<long>(next + count));
        next += count;
        batches.push_back(std::move(batch));
    }
    return batches;
}

} // namespace grin::enrich
