#include <grin/db/sync_queries.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

namespace grin::db::queries {

namespace {

// Books that must not be offered again: synced, or GRIN said it cannot convert them.
constexpr const char* settled_condition =
    "EXISTS (SELECT 1 FROM book_status_history h WHERE h.barcode = b.barcode AND ("
    "(h.status_type = 'sync' AND h.status_value = 'completed') OR "
    "(h.status_type = 'conversion' AND h.status_value IN "
    "('unavailable', 'conversion_failed'))))";

std::vector<std::string> barcodes_where(SQLite::Database& connection, const std::string& where) {
    SQLite::Statement query(connection, "SELECT barcode FROM books b WHERE " + where + " AND NOT " +
                                            settled_condition + " ORDER BY barcode");
    std::vector<std::string> result;
    while (query.executeStep())
        result.push_back(query.getColumn(0).getString());
    return result;
}

} // namespace

std::vector<std::string> previous_queue(SQLite::Database& connection) {
    return barcodes_where(connection, "b.grin_state = 'PREVIOUSLY_DOWNLOADED' AND "
                                      "NULLIF(b.processing_request_timestamp, '') IS NULL");
}

std::vector<std::string> unconverted_queue(SQLite::Database& connection) {
    return barcodes_where(connection, "NULLIF(b.processing_request_timestamp, '') IS NULL AND "
                                      "NULLIF(b.converted_date, '') IS NULL AND "
                                      "NULLIF(b.grin_check_in_date, '') IS NULL AND "
                                      "(NULLIF(b.grin_state, '') IS NULL OR b.grin_state NOT IN "
                                      "('CHECKED_IN', 'NOT_AVAILABLE_FOR_DOWNLOAD'))");
}

book_sync_state sync_state(SQLite::Database& connection, std::string_view barcode) {
    book_sync_state state;
    SQLite::Statement book(connection, "SELECT encrypted_etag FROM books WHERE barcode = ?");
    book.bind(1, std::string(barcode));
    if (book.executeStep()) {
        state.known = true;
        if (!book.getColumn(0).isNull() && !book.getColumn(0).getString().empty())
            state.encrypted_etag = book.getColumn(0).getString();
    }
    SQLite::Statement completed(connection,
                                "SELECT 1 FROM book_status_history WHERE status_type = 'sync' "
                                "AND status_value = 'completed' AND barcode = ? LIMIT 1");
    completed.bind(1, std::string(barcode));
    state.completed = completed.executeStep();
    return state;
}

std::vector<std::string> unknown_barcodes(SQLite::Database& connection,
                                          std::span<const std::string> barcodes) {
    SQLite::Statement query(connection, "SELECT 1 FROM books WHERE barcode = ?");
    std::vector<std::string> unknown;
    for (const std::string& barcode : barcodes) {
        query.reset();
        query.bind(1, barcode);
        if (!query.executeStep())
            unknown.push_back(barcode);
    }
    return unknown;
}

} // namespace grin::db::queries
