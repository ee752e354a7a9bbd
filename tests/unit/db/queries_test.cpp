#include <grin/core/error.hpp>
#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>
#include <grin/db/schema.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "db_test_support.hpp"

namespace asio = boost::asio;
namespace q = grin::db::queries;

namespace {

class queries : public ::testing::Test {
protected:
    queries()
        : connection_((dir_ / "books.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
        grin::db::schema::apply(connection_);
    }
    std::string text(const std::string& sql) {
        SQLite::Statement query(connection_, sql);
        if (!query.executeStep() || query.getColumn(0).isNull())
            return "<null>";
        return query.getColumn(0).getString();
    }

    grin::test::temp_dir dir_;
    SQLite::Database connection_;
};

std::vector<q::book_upsert> two_books(const char* title) {
    return {{"B1", {{"title", title}, {"grin_state", "CONVERTED"}}},
            {"B2", {{"title", title}, {"grin_state", std::nullopt}}}};
}

} // namespace

TEST_F(queries, upsert_keep_inserts_once_and_never_overwrites) {
    auto books = two_books("First");
    EXPECT_EQ(q::upsert_books(connection_, books, q::on_existing::keep), 2u);
    auto again = two_books("Second");
    EXPECT_EQ(q::upsert_books(connection_, again, q::on_existing::keep), 0u);
    EXPECT_EQ(text("SELECT title FROM books WHERE barcode = 'B1'"), "First");
    EXPECT_EQ(text("SELECT grin_state FROM books WHERE barcode = 'B2'"), "<null>");
    EXPECT_NE(text("SELECT created_at FROM books WHERE barcode = 'B1'"), "<null>");
}

TEST_F(queries, upsert_refresh_overwrites_only_with_known_values) {
    auto books = two_books("First");
    q::upsert_books(connection_, books, q::on_existing::keep);
    std::vector<q::book_upsert> refresh = {{"B1", {{"title", "New"}, {"grin_state", std::nullopt}}},
                                           {"B3", {{"title", "Third"}}}};
    EXPECT_EQ(q::upsert_books(connection_, refresh, q::on_existing::refresh), 2u);
    EXPECT_EQ(text("SELECT title FROM books WHERE barcode = 'B1'"), "New");
    EXPECT_EQ(text("SELECT grin_state FROM books WHERE barcode = 'B1'"), "CONVERTED");
    EXPECT_EQ(q::count_books(connection_), 3);
}

TEST_F(queries, unknown_column_is_an_error_and_writes_nothing) {
    std::vector<q::book_upsert> books = {{"B1", {{"title", "T"}}},
                                         {"B2", {{"title; DROP TABLE books", "T"}}}};
    EXPECT_THROW(q::upsert_books(connection_, books, q::on_existing::keep), grin::error);
    EXPECT_EQ(q::count_books(connection_), 0);
    std::vector<q::column_value> bad = {{"created_at", "x"}};
    EXPECT_THROW(q::update_book_fields(connection_, "B1", bad), grin::error);
}

TEST_F(queries, update_book_fields_coalesces_and_reports_missing_books) {
    auto books = two_books("First");
    q::upsert_books(connection_, books, q::on_existing::keep);
    std::vector<q::column_value> fields = {
        {"encrypted_etag", "\"abc\""}, {"grin_state", std::nullopt}, {"is_decrypted", "1"}};
    EXPECT_TRUE(q::update_book_fields(connection_, "B1", fields));
    EXPECT_EQ(text("SELECT encrypted_etag FROM books WHERE barcode = 'B1'"), "\"abc\"");
    EXPECT_EQ(text("SELECT grin_state FROM books WHERE barcode = 'B1'"), "CONVERTED");
    EXPECT_EQ(text("SELECT typeof(is_decrypted) FROM books WHERE barcode = 'B1'"), "integer");
    EXPECT_FALSE(q::update_book_fields(connection_, "NOPE", fields));
}

TEST_F(queries, latest_status_is_the_newest_row_and_synced_set_follows_completed) {
    auto books = two_books("First");
    q::upsert_books(connection_, books, q::on_existing::keep);
    EXPECT_FALSE(q::latest_status(connection_, "B1", "sync").has_value());
    q::append_status(connection_, {"B1", "sync", "downloaded", R"({"etag":"x"})", std::nullopt});
    q::append_status(connection_, {"B1", "sync", "completed", std::nullopt, std::nullopt});
    q::append_status(connection_, {"B1", "conversion", "requested", std::nullopt, std::nullopt});
    auto latest = q::latest_status(connection_, "B1", "sync");
    ASSERT_TRUE(latest.has_value());
    EXPECT_EQ(latest->status_value, "completed");
    EXPECT_FALSE(latest->metadata_json.has_value());
    EXPECT_EQ(latest->timestamp.size(), std::string("2025-09-01T10:15:00.123456+00:00").size());
    EXPECT_EQ(q::synced_barcodes(connection_), std::vector<std::string>{"B1"});
    EXPECT_EQ(q::barcodes_to_sync(connection_, 10), std::vector<std::string>{"B2"});
    q::append_status(connection_, {"B2", "conversion", "unavailable", std::nullopt, std::nullopt});
    EXPECT_TRUE(q::barcodes_to_sync(connection_, 10).empty());
}

TEST_F(queries, processed_and_failed_rows_are_replaced) {
    q::mark_processed(connection_, "B1", 1700000000);
    q::mark_processed(connection_, "B1", 1700000001);
    q::mark_failed(connection_, "B2", 1700000000, "boom");
    EXPECT_EQ(text("SELECT COUNT(*) FROM processed"), "1");
    EXPECT_EQ(text("SELECT session_id FROM processed"), "1700000001");
    EXPECT_EQ(text("SELECT error_message FROM failed"), "boom");
}

namespace {

asio::awaitable<void> sync_one_book(grin::db::database& db,
                                    std::size_t& inserted,
                                    std::optional<q::status_row>& latest,
                                    std::vector<std::string>& synced) {
    // collect's shape: thousands of books in one write.
    std::vector<q::book_upsert> books;
    for (int i = 0; i < 5000; ++i)
        books.push_back({"C" + std::to_string(i), {{"title", "Collected"}, {"grin_state", "NEW"}}});
    books.push_back({"B9", {{"title", "Nine"}}});
    inserted = co_await q::upsert_books(db, std::move(books), q::on_existing::keep);
    std::vector<q::status_update> updates = {
        {"B9", "sync", "uploaded", R"({"path":"raw/B9.tar.gz"})", std::nullopt},
        {"B9", "sync", "completed", std::nullopt, std::nullopt}};
    std::vector<q::column_value> fields = {{"storage_path", "raw/B9.tar.gz"}};
    std::string barcode = "B9";
    std::string status_type = "sync";
    co_await q::record_status(db, std::move(updates), barcode, std::move(fields));
    latest = co_await q::latest_status(db, barcode, status_type);
    synced = co_await q::synced_barcodes(db);
}

} // namespace

TEST(queries_through_actor, record_status_writes_history_and_book_fields_together) {
    grin::test::temp_dir dir;
    grin::db::database_params params;
    params.path = dir / "books.db";
    grin::db::database db(params);
    asio::io_context context;
    std::size_t inserted = 0;
    std::optional<q::status_row> latest;
    std::vector<std::string> synced;
    bool done = false;
    asio::co_spawn(context, sync_one_book(db, inserted, latest, synced),
                   [&done](std::exception_ptr e) {
                       EXPECT_FALSE(e);
                       done = true;
                   });
    ASSERT_TRUE(grin::test::run_capped(context, std::chrono::seconds(20)));
    ASSERT_TRUE(done);
    EXPECT_EQ(inserted, 5001u);
    EXPECT_EQ(db.stats().transactions, 2u); // the upsert, then the status record
    ASSERT_TRUE(latest.has_value());
    EXPECT_EQ(latest->status_value, "completed");
    // The actor's cached INSERT ran twice: the second row must not inherit the metadata.
    EXPECT_FALSE(latest->metadata_json.has_value());
    EXPECT_EQ(synced, std::vector<std::string>{"B9"});
    db.stop();
    SQLite::Database check(params.path.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(check.execAndGet("SELECT storage_path FROM books WHERE barcode='B9'").getString(),
              "raw/B9.tar.gz");
}
