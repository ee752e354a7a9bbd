#pragma once
// Where a run stands, from books.db alone (`grin sync status`): counts over the status
// history of grin-transfer's pipeline (grin-transfer-behaviour.md 3.2), so the numbers
// mean the same whichever tool wrote the rows.
//
// "Latest" status of a book = its row with the highest id for that status_type (ids,
// not timestamps: one commit gives many rows the same timestamp). Every count is about
// books in `books`; history rows of barcodes missing from it are ignored.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace SQLite {
class Database;
}

namespace grin::db {

struct status_count {
    std::string status;
    std::int64_t books = 0;
    bool operator==(const status_count&) const = default;
};

struct failure_reason {
    std::string status; // the latest sync status: download_failed, check_failed, ...
    // Its metadata's "error" (or else "reason") field, cut to ~120 characters ("..."
    // marks a cut); empty when the row records none.
    std::string reason;
    std::int64_t books = 0;
    bool operator==(const failure_reason&) const = default;
};

struct sync_status_summary {
    std::int64_t total_books = 0;
    std::int64_t synced = 0; // with a sync:completed row (grin-transfer's "synced set")
    // Books by latest sync status, most books first (ties by name).
    std::vector<status_count> latest_sync;
    // Latest sync status check_failed or *_failed, and the most common reasons (at most
    // `top`, most books first).
    std::int64_t failed = 0;
    std::vector<failure_reason> top_failure_reasons;
    std::int64_t skipped = 0; // latest sync status skipped (ETag unchanged, ...)
    // By latest conversion status, counting only books not synced (for a synced book an
    // old conversion request is history, not something to wait for).
    std::int64_t conversion_pending = 0; // requested or in_process
    std::int64_t conversion_limit_reached = 0;
    std::int64_t conversion_unavailable = 0;
    std::int64_t conversion_failed = 0; // conversion_failed (GRIN could not convert it)
    std::int64_t never_attempted = 0;   // no sync and no conversion row at all
};

// One statement: one pass over grin-transfer's idx_status_history_sync_completed (which
// covers status_type, barcode and id) plus index lookups; about 2 s for 150,000 books
// with 10 history rows each (measured here). Needs only grin-transfer's schema. Throws
// SQLite::Exception.
sync_status_summary summarize_sync_status(SQLite::Database& connection, std::size_t top);

} // namespace grin::db
