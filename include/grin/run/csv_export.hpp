#pragma once
// books_export.csv: every book, one row each, in grin-transfer's format
// (grin-protocol.md 4.5): its 54 column labels, ',' separator, '"' quoting only where
// needed, CRLF line ends, UTF-8 without BOM, NULL as "", is_decrypted as TRUE/FALSE.
// Written atomically (a half-written export never replaces a good one).
// The JSONL form (`grin export --format jsonl`) has one object per book with the column
// names as keys, NULL as null and is_decrypted as a boolean; bytes that are not UTF-8
// become U+FFFD. Both stream row by row: memory does not grow with the number of books.
#include <grin/db/database.hpp>

#include <filesystem>
#include <string_view>

namespace grin::run {

// The label grin-transfer prints for a books column ("ocr_date" -> "OCR Date").
std::string_view csv_label(std::string_view column);

// Python csv.writer's QUOTE_MINIMAL for one field.
std::string csv_field(std::string_view value);

// Reads the books on the actor's thread (the connection's owner) and writes the file
// there too, so the I/O thread never blocks on it. Returns the number of rows.
boost::asio::awaitable<std::uint64_t> export_books_csv(db::database& database,
                                                       std::filesystem::path target);
boost::asio::awaitable<std::uint64_t> export_books_jsonl(db::database& database,
                                                         std::filesystem::path target);

} // namespace grin::run
