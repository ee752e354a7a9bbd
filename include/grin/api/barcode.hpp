#pragma once
// Validation of the two names that GRIN puts into URLs and we put into paths: book
// barcodes and library directories. Everything that reaches a URL or a file name goes
// through these first (DESIGN section 6). Pure functions, thread-safe.
#include <string_view>

namespace grin::api {

// [A-Za-z0-9_-]{3,50}
bool is_valid_barcode(std::string_view barcode) noexcept;

// ^[a-zA-Z0-9_-]+$ (case-sensitive on GRIN's side, so never case-folded here).
bool is_valid_library_directory(std::string_view directory) noexcept;

// Throw grin::error (step "validate", barcode set for barcodes) when invalid.
void require_valid_barcode(std::string_view barcode);
void require_valid_library_directory(std::string_view directory);

} // namespace grin::api
