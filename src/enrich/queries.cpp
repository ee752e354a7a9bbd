#include <grin/api/tsv.hpp>
#include <grin/enrich/queries.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

namespace grin::enrich {

std::vector<book_key> select_unenriched(SQLite::Database& connection,
                                        const std::optional<book_key>& after,
                                        std::size_t limit) {
    std::string sql = "SELECT created_at, barcode FROM books WHERE enrichment_timestamp IS NULL";
    if (after)
        sql += " AND (created_at, barcode) > (?, ?)";
    sql += " ORDER BY created_at, barcode LIMIT ?";
    SQLite::Statement query(connection, sql);
    int index = 1;
    if (after) {
        query.bind(index++, after->created_at);
        query.bind(index++, after->barcode);
    }
    query.bind(index, static_cast<std::int64_t>(limit));
    std::vector<book_key> keys;
    while (query.executeStep())
        keys.push_back({query.getColumn(0).getString(), query.getColumn(1).getString()});
    return keys;
}

std::uint64_t count_unenriched(SQLite::Database& connection) {
    return static_cast<std::uint64_t>(
        connection.execAndGet("SELECT count(*) FROM books WHERE enrichment_timestamp IS NULL")
            .getInt64());
}

std::size_t
apply_updates(SQLite::Database& connection, const batch_updates& updates, system_time now) {
    const std::string stamp = format_iso8601_utc(now);
    std::size_t changed = 0;
    std::vector<db::queries::column_value> columns;
    for (const auto& book : updates.found) {
        columns = book.columns;
        columns.push_back({"enrichment_timestamp", stamp});
        changed += db::queries::update_book_fields(connection, book.barcode, columns, now) ? 1 : 0;
    }
    const std::vector<db::queries::column_value> attempted{{"enrichment_timestamp", stamp}};
    for (const auto& barcode : updates.not_found)
        changed += db::queries::update_book_fields(connection, barcode, attempted, now) ? 1 : 0;
    return changed;
}

std::size_t reset_enrichment(SQLite::Database& connection, system_time now) {
    std::string sql = "UPDATE books SET ";
    for (const auto& [header, column] : api::barcode_search_db_columns)
        sql += std::string(column) + " = NULL, ";
    sql += "enrichment_timestamp = NULL, updated_at = ? WHERE enrichment_timestamp IS NOT NULL";
    SQLite::Statement statement(connection, sql);
    statement.bind(1, format_iso8601_utc(now));
    return static_cast<std::size_t>(statement.exec());
}

} // namespace grin::enrich
