#pragma once
// Request URLs for enrichment (grin-protocol.md 1.6): barcodes joined by '+' (a space on
// the wire) after "..._barcode_search?execute_query=true&format=text&mode=full&barcodes=",
// greedily packed so that no URL exceeds `max_url_chars` (grin-transfer: 7,500; the
// emulator answers 414 above 8,192 bytes of request target). Pure, thread-safe.
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace grin::api {

inline constexpr std::size_t default_barcode_search_url_chars = 7500;

// Barcodes keep their order; every barcode is in exactly one URL. Throws grin::error
// (step "validate") for an invalid barcode or library directory, or when even one
// barcode does not fit.
std::vector<std::string>
barcode_search_urls(std::string_view base_url,
                    std::string_view library,
                    std::span<const std::string> barcodes,
                    std::size_t max_url_chars = default_barcode_search_url_chars);

} // namespace grin::api
