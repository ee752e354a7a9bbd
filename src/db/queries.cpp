#include <grin/core/error.hpp>
#include <grin/db/detail/statement_cache.hpp>
#include <grin/db/queries.hpp>
#include <grin/db/schema.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <algorithm>
#include <map>

namespace grin::db::queries {
namespace {

// Column names are spliced into SQL text, so only schema names get through.
void check_column(const std::string& name) {
    auto columns = schema::book_columns();
    bool known = std::find(columns.begin(), columns.end(), name) != columns.end();
    if (!known || name == "barcode" || name == "created_at" || name == "updated_at") {
        error_context context;
        context.step = "database";
        throw grin::error("books has no settable column '" + name + "'", context);
    }
}

void bind_optional(SQLite::Statement& statement,
                   int index,
                   const std::optional<std::string>& value) {
    if (value)
        statement.bind(index, *value);
    else
        statement.bind(index);
}

std::string column_list(const book_upsert& book) {
    std::string key;
    for (const column_value& column : book.columns) {
        check_column(column.name);
        key += column.name;
        key += ',';
    }
    return key;
}

std::string upsert_sql(const book_upsert& book, on_existing mode) {
    std::string names = "barcode";
    std::string values = "?";
    std::string updates;
    for (const column_value& column : book.columns) {
        names += ", " + column.name;
        values += ", ?";
        updates += column.name + " = COALESCE(excluded." + column.name + ", " + column.name + "), ";
    }
    std::string sql = "INSERT INTO books (" + names + ", created_at, updated_at) VALUES (" +
                      values + ", ?, ?) ON CONFLICT(barcode) DO ";
    if (mode == on_existing::keep)
        return sql + "NOTHING";
    return sql + "UPDATE SET " + updates + "updated_at = excluded.updated_at";
}

} // namespace

std::size_t upsert_books(SQLite::Database& connection,
                         std::span<const book_upsert> books,
                         on_existing mode,
                         system_time now) {
    // Validate everything first so that a bad name cannot leave half the books written.
    std::vector<std::string> keys;
    keys.reserve(books.size());
    for (const book_upsert& book : books)
        keys.push_back(column_list(book));

    std::string timestamp = format_iso8601_utc(now);
    // Collect sends the same columns for every book, so this is usually one statement.
    std::map<std::string, std::string> sql_by_columns;
    std::map<std::string, std::optional<SQLite::Statement>> holders;
    std::size_t changed = 0;
    for (std::size_t i = 0; i < books.size(); ++i) {
        const book_upsert& book = books[i];
        auto sql = sql_by_columns.find(keys[i]);
        if (sql == sql_by_columns.end())
            sql = sql_by_columns.emplace(keys[i], upsert_sql(book, mode)).first;
        auto& holder = holders[keys[i]];
        if (holder)
            holder->reset();
        SQLite::Statement& statement =
            holder ? *holder : detail::prepare_write(connection, sql->second, holder);
        int index = 1;
        statement.bind(index++, book.barcode);
        for (const column_value& column : book.columns)
            bind_optional(statement, index++, column.value);
        statement.bind(index++, timestamp);
        statement.bind(index++, timestamp);
        changed += static_cast<std::size_t>(statement.exec());
    }
    return changed;
}

bool update_book_fields(SQLite::Database& connection,
                        std::string_view barcode,
                        std::span<const column_value> columns,
                        system_time now) {
    std::string sql = "UPDATE books SET ";
    for (const column_value& column : columns) {
        check_column(column.name);
        sql += column.name + " = COALESCE(?, " + column.name + "), ";
    }
    sql += "updated_at = ? WHERE barcode = ?";
    std::optional<SQLite::Statement> holder;
    SQLite::Statement& statement = detail::prepare_write(connection, sql, holder);
    int index = 1;
    for (const column_value& column : columns)
        bind_optional(statement, index++, column.value);
    statement.bind(index++, format_iso8601_utc(now));
    statement.bind(index++, std::string(barcode));
    return statement.exec() > 0;
}

void append_status(SQLite::Database& connection, const status_update& update, system_time now) {
    static const std::string sql = "INSERT INTO book_status_history (barcode, status_type, "
                                   "status_value, timestamp, session_id, metadata) "
                                   "VALUES (?, ?, ?, ?, ?, ?)";
    std::optional<SQLite::Statement> holder;
    SQLite::Statement& statement = detail::prepare_write(connection, sql, holder);
    statement.bind(1, update.barcode);
    statement.bind(2, update.status_type);
    statement.bind(3, update.status_value);
    statement.bind(4, format_iso8601_utc(now));
    bind_optional(statement, 5, update.session_id);
    bind_optional(statement, 6, update.metadata_json);
    statement.exec();
}

std::optional<status_row> latest_status(SQLite::Database& connection,
                                        std::string_view barcode,
                                        std::string_view status_type) {
    SQLite::Statement query(connection,
                            "SELECT status_value, timestamp, metadata FROM book_status_history "
                            "WHERE barcode = ? AND status_type = ? ORDER BY id DESC LIMIT 1");
    query.bind(1, std::string(barcode));
    query.bind(2, std::string(status_type));
    if (!query.executeStep())
        return std::nullopt;
    status_row row;
    row.status_value = query.getColumn(0).getString();
    row.timestamp = query.getColumn(1).getString();
    if (!query.getColumn(2).isNull())
        row.metadata_json = query.getColumn(2).getString();
    return row;
}

std::vector<std::string> synced_barcodes(SQLite::Database& connection) {
    SQLite::Statement query(connection, "SELECT DISTINCT barcode FROM book_status_history "
                                        "WHERE status_type = 'sync' AND status_value = 'completed' "
                                        "ORDER BY barcode");
    std::vector<std::string> result;
    while (query.executeStep())
        result.push_back(query.getColumn(0).getString());
    return result;
}

std::vector<std::string> barcodes_to_sync(SQLite::Database& connection,
                                          std::size_t limit,
                                          std::optional<std::string> grin_state) {
    std::string sql = "SELECT barcode FROM books b WHERE NOT EXISTS ("
                      "SELECT 1 FROM book_status_history h WHERE h.barcode = b.barcode AND ("
                      "(h.status_type = 'sync' AND h.status_value = 'completed') OR "
                      "(h.status_type = 'conversion' AND h.status_value IN "
                      "('unavailable', 'conversion_failed'))))";
    if (grin_state)
        sql += " AND b.grin_state = ?";
    sql += " ORDER BY barcode LIMIT ?";
    SQLite::Statement query(connection, sql);
    int index = 1;
    if (grin_state)
        query.bind(index++, *grin_state);
    query.bind(index, static_cast<std::int64_t>(limit));
    std::vector<std::string> result;
    while (query.executeStep())
        result.push_back(query.getColumn(0).getString());
    return result;
}

std::int64_t count_books(SQLite::Database& connection) {
    SQLite::Statement query(connection, "SELECT COUNT(*) FROM books");
    query.executeStep();
    return query.getColumn(0).getInt64();
}

void mark_processed(SQLite::Database& connection,
                    std::string_view barcode,
                    std::int64_t session_id,
                    system_time now) {
    static const std::string sql =
        "INSERT OR REPLACE INTO processed (barcode, timestamp, session_id) VALUES (?, ?, ?)";
    std::optional<SQLite::Statement> holder;
    SQLite::Statement& statement = detail::prepare_write(connection, sql, holder);
    statement.bind(1, std::string(barcode));
    statement.bind(2, format_iso8601_utc(now));
    statement.bind(3, session_id);
    statement.exec();
}

void mark_failed(SQLite::Database& connection,
                 std::string_view barcode,
                 std::int64_t session_id,
                 std::string_view error_message,
                 system_time now) {
    static const std::string sql = "INSERT OR REPLACE INTO failed (barcode, timestamp, session_id, "
                                   "error_message) VALUES (?, ?, ?, ?)";
    std::optional<SQLite::Statement> holder;
    SQLite::Statement& statement = detail::prepare_write(connection, sql, holder);
    statement.bind(1, std::string(barcode));
    statement.bind(2, format_iso8601_utc(now));
    statement.bind(3, session_id);
    statement.bind(4, std::string(error_message));
    statement.exec();
}

// --- awaitable wrappers ----------------------------------------------------------------
// The work objects are named locals: a capturing lambda inside a co_await expression is
// miscompiled by g++ 12 (DESIGN section 3).

namespace {

struct upsert_work {
    std::vector<book_upsert> books;
    on_existing mode;
    std::size_t operator()(SQLite::Database& connection) const {
        return upsert_books(connection, books, mode);
    }
};

struct record_work {
    std::vector<status_update> updates;
    std::string barcode;
    std::vector<column_value> book_fields;
    void operator()(SQLite::Database& connection) const {
        system_time now = now_utc();
        for (const status_update& update : updates)
            append_status(connection, update, now);
        if (!book_fields.empty())
            update_book_fields(connection, barcode, book_fields, now);
    }
};

struct latest_work {
    std::string barcode;
    std::string status_type;
    std::optional<status_row> operator()(SQLite::Database& connection) const {
        return latest_status(connection, barcode, status_type);
    }
};

struct synced_work {
    std::vector<std::string> operator()(SQLite::Database& connection) const {
        return synced_barcodes(connection);
    }
};

} // namespace

asio::awaitable<std::size_t>
upsert_books(database& db, std::vector<book_upsert> books, on_existing mode) {
    upsert_work work{std::move(books), mode};
    co_return co_await db.write("upsert_books", std::move(work));
}

asio::awaitable<void> record_status(database& db,
                                    std::vector<status_update> updates,
                                    std::string barcode,
                                    std::vector<column_value> book_fields) {
    record_work work{std::move(updates), std::move(barcode), std::move(book_fields)};
    co_await db.write("record_status", std::move(work));
}

asio::awaitable<std::optional<status_row>>
latest_status(database& db, std::string barcode, std::string status_type) {
    latest_work work{std::move(barcode), std::move(status_type)};
    co_return co_await db.read("latest_status", std::move(work));
}

asio::awaitable<std::vector<std::string>> synced_barcodes(database& db) {
    synced_work work;
    co_return co_await db.read("synced_barcodes", std::move(work));
}

} // namespace grin::db::queries
