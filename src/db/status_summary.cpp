#include <grin/db/status_summary.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <map>
#include <utility>

namespace grin::db {
namespace {

// One row per (latest sync status, latest conversion status, synced, failure reason)
// with its number of books. The latest rows are found by id alone first (covered by an
// index when grin-sync's migration 1 is there; one sort otherwise), and only those rows
// are then read, so the table is not read row by row for the whole history.
constexpr const char* summary_sql = R"sql(
WITH latest AS (
    SELECT MAX(id) AS id FROM book_status_history
    WHERE status_type IN ('sync', 'conversion')
    GROUP BY barcode, status_type
),
per_book AS (
    SELECT h.barcode,
           MAX(CASE WHEN h.status_type = 'sync' THEN h.status_value END) AS sync_value,
           MAX(CASE WHEN h.status_type = 'sync' THEN h.metadata END) AS sync_metadata,
           MAX(CASE WHEN h.status_type = 'conversion' THEN h.status_value END)
               AS conversion_value
    FROM latest JOIN book_status_history h ON h.id = latest.id
    GROUP BY h.barcode
),
classified AS (
    SELECT p.sync_value, p.conversion_value,
           EXISTS (SELECT 1 FROM book_status_history c
                   WHERE c.status_type = 'sync' AND c.status_value = 'completed'
                     AND c.barcode = p.barcode) AS synced,
           CASE WHEN p.sync_value GLOB '*_failed' THEN
               COALESCE(CASE WHEN json_valid(p.sync_metadata) THEN
                            CAST(COALESCE(json_extract(p.sync_metadata, '$.error'),
                                          json_extract(p.sync_metadata, '$.reason')) AS TEXT)
                        END, '')
           END AS reason
    FROM per_book p JOIN books b ON b.barcode = p.barcode
)
SELECT sync_value, conversion_value, synced,
       CASE WHEN length(reason) > 120 THEN substr(reason, 1, 117) || '...' ELSE reason END,
       COUNT(*)
FROM classified
GROUP BY 1, 2, 3, 4
)sql";

// The GLOB above, for the counts: download_failed, check_failed, upload_failed, ...
bool is_failure(const std::string& sync_value) {
    return sync_value.ends_with("_failed");
}

} // namespace

sync_status_summary summarize_sync_status(SQLite::Database& connection, std::size_t top) {
    sync_status_summary summary;
    summary.total_books = connection.execAndGet("SELECT COUNT(*) FROM books").getInt64();

    std::map<std::string, std::int64_t> by_sync_status;
    std::map<std::pair<std::string, std::string>, std::int64_t> by_reason;
    std::int64_t attempted = 0;
    SQLite::Statement query(connection, summary_sql);
    while (query.executeStep()) {
        bool has_sync = !query.getColumn(0).isNull();
        std::string sync_value = query.getColumn(0).getString();
        std::string conversion_value = query.getColumn(1).getString(); // "" when NULL
        bool synced = query.getColumn(2).getInt() != 0;
        std::int64_t books = query.getColumn(4).getInt64();
        attempted += books;
        if (synced)
            summary.synced += books;
        if (has_sync)
            by_sync_status[sync_value] += books;
        if (is_failure(sync_value)) {
            summary.failed += books;
            by_reason[{sync_value, query.getColumn(3).getString()}] += books;
        }
        if (sync_value == "skipped")
            summary.skipped += books;
        if (synced)
            continue;
        if (conversion_value == "requested" || conversion_value == "in_process")
            summary.conversion_pending += books;
        else if (conversion_value == "limit_reached")
            summary.conversion_limit_reached += books;
        else if (conversion_value == "unavailable")
            summary.conversion_unavailable += books;
        else if (conversion_value == "conversion_failed")
            summary.conversion_failed += books;
    }
    summary.never_attempted = summary.total_books - attempted;

    for (const auto& [status, books] : by_sync_status)
        summary.latest_sync.push_back({status, books});
    std::stable_sort(
        summary.latest_sync.begin(), summary.latest_sync.end(),
        [](const status_count& a, const status_count& b) { return a.books > b.books; });
    for (const auto& [key, books] : by_reason)
        summary.top_failure_reasons.push_back({key.first, key.second, books});
    std::stable_sort(
        summary.top_failure_reasons.begin(), summary.top_failure_reasons.end(),
        [](const failure_reason& a, const failure_reason& b) { return a.books > b.books; });
    if (summary.top_failure_reasons.size() > top)
        summary.top_failure_reasons.resize(top);
    return summary;
}

} // namespace grin::db
