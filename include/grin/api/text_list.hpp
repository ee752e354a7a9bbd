#pragma once
// Plain-text barcode lists: `_in_process?format=text` (grin-protocol.md 1.4) and the
// `format=text` variants of `_all_books` / `_converted`: one entry per line, LF or CRLF,
// blank lines skipped, each line trimmed, a "B.tar.gz.gpg" entry means barcode B.
// Pure, thread-safe; never throws (std::bad_alloc aside).
#include <string>
#include <string_view>
#include <vector>

namespace grin::api {

struct text_list {
    std::vector<std::string> barcodes; // valid barcodes, body order, duplicates kept
    std::vector<std::string> invalid;  // lines that are not a valid barcode (truncated to 60 chars)
};

// Only the first TAB-separated field of a line is read, so `_failed?format=text`
// ("B\t<date>\t<info>") and `mode=all` rows give their barcodes too.
text_list parse_text_list(std::string_view body);

} // namespace grin::api
