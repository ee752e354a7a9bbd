#include <grin/db/database.hpp>
#include <grin/db/schema.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

std::vector<std::string> column_names(SQLite::Database& connection, const std::string& table) {
    SQLite::Statement query(connection, "SELECT name FROM pragma_table_info('" + table + "')");
    std::vector<std::string> names;
    while (query.executeStep())
        names.push_back(query.getColumn(0).getString());
    return names;
}

std::set<std::string> names_of(SQLite::Database& connection, const std::string& type) {
    SQLite::Statement query(connection, "SELECT name FROM sqlite_master WHERE type = ?");
    query.bind(1, type);
    std::set<std::string> names;
    while (query.executeStep())
        names.insert(query.getColumn(0).getString());
    return names;
}

} // namespace

TEST(schema, books_has_grin_transfers_54_columns_in_order) {
    grin::test::temp_dir dir;
    SQLite::Database connection((dir / "books.db").string(),
                                SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    grin::db::schema::apply(connection);
    auto names = column_names(connection, "books");
    ASSERT_EQ(names.size(), 54u);
    auto expected = grin::db::schema::book_columns();
    for (std::size_t i = 0; i < names.size(); ++i)
        EXPECT_EQ(names[i], expected[i]) << "column " << i;
    EXPECT_EQ(names.front(), "barcode");
    EXPECT_EQ(names[50], "is_decrypted");
    EXPECT_EQ(names.back(), "updated_at");
    EXPECT_EQ(column_names(connection, "book_status_history"),
              (std::vector<std::string>{"id", "barcode", "status_type", "status_value", "timestamp",
                                        "session_id", "metadata"}));
    EXPECT_EQ(column_names(connection, "failed"),
              (std::vector<std::string>{"barcode", "timestamp", "session_id", "error_message"}));
}

TEST(schema, tables_and_indexes_exist_and_version_is_latest) {
    grin::test::temp_dir dir;
    SQLite::Database connection((dir / "books.db").string(),
                                SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    EXPECT_EQ(grin::db::schema::version(connection), 0);
    EXPECT_EQ(grin::db::schema::apply(connection), grin::db::schema::latest_version());
    auto tables = names_of(connection, "table");
    for (const char* table :
         {"books", "processed", "failed", "book_status_history", "grin_sync_schema"})
        EXPECT_TRUE(tables.count(table)) << table;
    auto indexes = names_of(connection, "index");
    for (const char* index : {"idx_books_grin_state", "idx_processed_session", "idx_failed_session",
                              "idx_status_history_type", "idx_status_history_sync_completed",
                              "idx_grin_sync_status_barcode_type"})
        EXPECT_TRUE(indexes.count(index)) << index;
    EXPECT_EQ(grin::db::schema::version(connection), grin::db::schema::latest_version());
}

TEST(schema, applying_twice_changes_nothing) {
    grin::test::temp_dir dir;
    SQLite::Database connection((dir / "books.db").string(),
                                SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    grin::db::schema::apply(connection);
    auto before = names_of(connection, "index");
    EXPECT_EQ(grin::db::schema::apply(connection), grin::db::schema::latest_version());
    EXPECT_EQ(names_of(connection, "index"), before);
    EXPECT_EQ(connection.execAndGet("SELECT COUNT(*) FROM grin_sync_schema").getInt(),
              static_cast<int>(grin::db::schema::migrations().size()));
}

TEST(schema, migrations_are_numbered_one_by_one) {
    int expected = 1;
    for (const auto& step : grin::db::schema::migrations()) {
        EXPECT_EQ(step.version, expected++);
        EXPECT_FALSE(step.description.empty());
    }
}

TEST(schema, a_grin_transfer_database_is_upgraded_and_keeps_its_rows) {
    grin::test::temp_dir dir;
    auto path = dir / "books.db";
    {
        // What grin-transfer's init_db leaves behind: its statements, no version table.
        SQLite::Database connection(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        for (auto statement : grin::db::schema::grin_transfer_statements())
            connection.exec(std::string(statement));
        connection.exec("INSERT INTO books (barcode, title, created_at, updated_at) "
                        "VALUES ('39015000000001', 'Old', 't', 't')");
        connection.exec("INSERT INTO book_status_history (barcode, status_type, status_value, "
                        "timestamp) VALUES ('39015000000001', 'sync', 'completed', 't')");
    }
    {
        grin::db::database_params params;
        params.path = path;
        grin::db::database db(params);
    }
    SQLite::Database connection(path.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(grin::db::schema::version(connection), grin::db::schema::latest_version());
    EXPECT_EQ(connection.execAndGet("SELECT title FROM books").getString(), "Old");
    EXPECT_EQ(connection.execAndGet("SELECT COUNT(*) FROM book_status_history").getInt(), 1);
    EXPECT_EQ(column_names(connection, "books").size(), 54u);
}
