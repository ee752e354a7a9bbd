#pragma once
// Typed statements on books.db for the pipelines. Two layers:
// - functions on a SQLite::Database&, to be composed inside one database::write() or
//   database::read() (one savepoint, one commit);
// - awaitable wrappers for the common single-purpose calls from coroutines.
// Timestamps are written in grin-transfer's form (format_iso8601_utc), so rows written
// by either tool sort together.
#include <grin/core/time.hpp>
#include <grin/db/database.hpp>

#include <boost/asio/awaitable.hpp>

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

// One books column (one of schema::book_columns(), other than barcode / created_at /
// updated_at, which the statements set) and its value; nullopt writes NULL.
struct column_value {
    std::string name;
    std::optional<std::string> value;
};

struct book_upsert {
    std::string barcode;
    std::vector<column_value> columns;
};

enum class on_existing {
    keep,    // INSERT ... ON CONFLICT DO NOTHING: collect's first pass
    refresh, // ... DO UPDATE SET col = COALESCE(new, col): a re-run refreshes known fields
};

// Inserts (or refreshes) many books; meant for thousands per call inside one write().
// Returns the number of rows inserted or changed. Unknown column names throw
// grin::error before anything is written.
std::size_t upsert_books(SQLite::Database& connection,
                         std::span<const book_upsert> books,
                         on_existing mode,
                         system_time now = now_utc());

// UPDATE books SET col = COALESCE(?, col) ..., updated_at = now WHERE barcode = ?
// (grin-transfer's commit_book_record_updates: a NULL never erases a known value).
// Returns false when the book does not exist.
bool update_book_fields(SQLite::Database& connection,
                        std::string_view barcode,
                        std::span<const column_value> columns,
                        system_time now = now_utc());

struct status_update {
    std::string barcode{};
    std::string status_type{};  // "sync", "conversion", "text_extraction", ...
    std::string status_value{}; // "checked", "downloaded", "completed", ...
    std::optional<std::string> metadata_json{};
    std::optional<std::string> session_id{};
};

// Appends one book_status_history row (timestamp = now).
void append_status(SQLite::Database& connection,
                   const status_update& update,
                   system_time now = now_utc());

struct status_row {
    std::string status_value;
    std::string timestamp;
    std::optional<std::string> metadata_json;
};

// The newest row (highest id) for (barcode, status_type); nullopt when there is none.
std::optional<status_row>
latest_status(SQLite::Database& connection, std::string_view barcode, std::string_view status_type);

// Barcodes with a sync:completed row, in barcode order (grin-transfer's "synced set").
std::vector<std::string> synced_barcodes(SQLite::Database& connection);

// Books without sync:completed and not known to be unconvertible (conversion
// unavailable / conversion_failed), in barcode order; optionally only one grin_state.
std::vector<std::string> barcodes_to_sync(SQLite::Database& connection,
                                          std::size_t limit,
                                          std::optional<std::string> grin_state = std::nullopt);

std::int64_t count_books(SQLite::Database& connection);

// grin-transfer's deprecated collect bookkeeping tables (still required by its
// validate_database_file).
void mark_processed(SQLite::Database& connection,
                    std::string_view barcode,
                    std::int64_t session_id,
                    system_time now = now_utc());
void mark_failed(SQLite::Database& connection,
                 std::string_view barcode,
                 std::int64_t session_id,
                 std::string_view error_message,
                 system_time now = now_utc());

// --- awaitable wrappers (each one write or read through the actor) ---------------------

asio::awaitable<std::size_t>
upsert_books(database& db, std::vector<book_upsert> books, on_existing mode);

// A sync step's record: its status rows and its books columns in one savepoint.
asio::awaitable<void> record_status(database& db,
                                    std::vector<status_update> updates,
                                    std::string barcode,
                                    std::vector<column_value> book_fields);

asio::awaitable<std::optional<status_row>>
latest_status(database& db, std::string barcode, std::string status_type);

asio::awaitable<std::vector<std::string>> synced_barcodes(database& db);

} // namespace grin::db::queries
