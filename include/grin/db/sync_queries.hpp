#pragma once
// The statements of the sync pipeline's book selection and CHECK step
// (grin-transfer-behaviour.md 4.2 and 4.5), on a SQLite::Database& so that they run
// inside database::read() / write().
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace SQLite {
class Database;
}

namespace grin::db::queries {

// `previous` queue: books GRIN lists as PREVIOUSLY_DOWNLOADED, never requested by us, not
// known to be unconvertible and not synced; barcode order.
std::vector<std::string> previous_queue(SQLite::Database& connection);

// `unconverted` queue: books with no conversion request, no converted date and no
// check-in date, whose GRIN state (if known) is not CHECKED_IN or
// NOT_AVAILABLE_FOR_DOWNLOAD, not known to be unconvertible and not synced.
std::vector<std::string> unconverted_queue(SQLite::Database& connection);

// What the CHECK step needs to know about one book.
struct book_sync_state {
    bool known = false;                        // a books row exists
    std::optional<std::string> encrypted_etag; // the GRIN ETag of the stored archive
    bool completed = false;                    // a sync:completed row exists
};
book_sync_state sync_state(SQLite::Database& connection, std::string_view barcode);

// The barcodes of `barcodes` that have no books row, in the given order.
std::vector<std::string> unknown_barcodes(SQLite::Database& connection,
                                          std::span<const std::string> barcodes);

} // namespace grin::db::queries
