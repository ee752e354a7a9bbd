#pragma once
// Inflates a whole gzip member held in memory (the OCR JSONL.gz of one book, a few MB),
// for callers that need the uncompressed form (--skip-compression-full).
// Throws grin::error (step "unpack") for data that is not complete, valid gzip.
#include <string>
#include <string_view>

namespace grin::archive {

std::string gunzip(std::string_view compressed);

} // namespace grin::archive
