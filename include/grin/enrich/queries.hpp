#pragma once
// The books.db statements of `grin enrich`, on a SQLite::Database& so that they run inside
// one db::database read() or write() (the actor's thread, one savepoint per write).
#include <grin/core/time.hpp>
#include <grin/enrich/updates.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace grin::enrich {

// Position in the selection order (created_at, then barcode).
struct book_key {
    std::string created_at;
    std::string barcode;
    friend bool operator==(const book_key&, const book_key&) = default;
};

// Up to `limit` books with enrichment_timestamp IS NULL, ordered by (created_at, barcode),
// strictly after `after` (keyset pagination): a batch that failed in this run stays NULL
// in the database but is never selected again by the same run, which moves on past it.
std::vector<book_key> select_unenriched(SQLite::Database& connection,
                                        const std::optional<book_key>& after,
                                        std::size_t limit);

// Books with enrichment_timestamp IS NULL.
std::uint64_t count_unenriched(SQLite::Database& connection);

// One URL batch's outcome, written together: found books get their columns
// (`col = COALESCE(?, col)`), enrichment_timestamp and updated_at; not_found books get
// enrichment_timestamp and updated_at only. Returns the number of rows changed.
std::size_t apply_updates(SQLite::Database& connection,
                          const batch_updates& updates,
                          system_time now = now_utc());

// --reset, as grin-transfer does it: for every book with an enrichment_timestamp, the 24
// mapped columns (which include grin_state and the six GRIN dates collect filled in) and
// enrichment_timestamp become NULL, updated_at = now. Returns the number of books reset.
std::size_t reset_enrichment(SQLite::Database& connection, system_time now = now_utc());

} // namespace grin::enrich
