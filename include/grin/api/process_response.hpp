#pragma once
// The `_process?barcodes=...` answer (grin-protocol.md 1.5): "Barcode\tStatus" then one
// "B\t<status>" row per barcode, and how we classify GRIN's status wording.
// Pure, thread-safe.
#include <string>
#include <string_view>
#include <vector>

namespace grin::api {

enum class process_outcome {
    requested,         // "Success": the book is queued for conversion
    already_available, // "Already available for download"
    in_process,        // "... already in process ...", and (our decision) "Already being converted"
    unavailable,       // anything else ("Not allowed to be downloaded", "Other error"): never
                       // re-requested
};

// Case-insensitive: "success" -> requested; "already" + "available for download" ->
// already_available; "already" + ("process" or "convert") -> in_process; else unavailable.
// grin-transfer files GRIN's real "Already being converted" as unavailable, so a book
// would never be requested again; we treat it as in process, which is what it says.
process_outcome classify_process_status(std::string_view status) noexcept;

std::string_view to_string(process_outcome outcome) noexcept; // "requested", ...

struct process_entry {
    std::string barcode;
    std::string status; // GRIN's wording, trimmed
    process_outcome outcome = process_outcome::unavailable;
};

// Parses the whole body; LF or CRLF; blank lines skipped. Throws grin::error
// (step "parse") when the first line is not the "Barcode\tStatus" header (any case,
// surrounding blanks ignored) or a row does not have exactly two TAB-separated fields or
// its barcode is invalid: the request is then retried like any malformed answer.
std::vector<process_entry> parse_process_response(std::string_view body);

// For the one-barcode request the sync pipeline makes: exactly one row, for `barcode`,
// else grin::error (step "parse", barcode set).
process_entry parse_single_process_response(std::string_view body, std::string_view barcode);

} // namespace grin::api
