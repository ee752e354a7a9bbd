// summarize_sync_status: the numbers of `grin sync status`, checked against a database
// whose expected numbers were worked out by hand (sync_status_scenario.hpp).
#include <grin/db/queries.hpp>
#include <grin/db/schema.hpp>
#include <grin/db/status_summary.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <gtest/gtest.h>

#include <iostream>

#include "db_test_support.hpp"
#include "sync_status_scenario.hpp"

namespace q = grin::db::queries;
using grin::test::sync_status_expected;

namespace {

class status_summary : public ::testing::Test {
protected:
    status_summary()
        : connection_((dir_ / "books.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {}

    grin::test::temp_dir dir_;
    SQLite::Database connection_;
};

std::vector<std::pair<std::string, std::int64_t>>
pairs(const std::vector<grin::db::status_count>& counts) {
    std::vector<std::pair<std::string, std::int64_t>> result;
    for (const auto& count : counts)
        result.emplace_back(count.status, count.books);
    return result;
}

void expect_reasons(const std::vector<grin::db::failure_reason>& actual, std::size_t top) {
    auto expected = sync_status_expected::reasons();
    expected.resize(std::min(top, expected.size()));
    ASSERT_EQ(actual.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ(actual[i].status, expected[i].status) << i;
        EXPECT_EQ(actual[i].reason, expected[i].reason) << i;
        EXPECT_EQ(actual[i].books, expected[i].books) << i;
    }
}

} // namespace

TEST_F(status_summary, counts_every_situation_of_the_scenario) {
    grin::test::write_sync_status_scenario(connection_);
    auto summary = grin::db::summarize_sync_status(connection_, 5);
    EXPECT_EQ(summary.total_books, sync_status_expected::total_books);
    EXPECT_EQ(summary.synced, sync_status_expected::synced);
    EXPECT_EQ(pairs(summary.latest_sync), sync_status_expected::latest_sync());
    EXPECT_EQ(summary.failed, sync_status_expected::failed);
    expect_reasons(summary.top_failure_reasons, 5);
    EXPECT_EQ(summary.skipped, sync_status_expected::skipped);
    EXPECT_EQ(summary.conversion_pending, sync_status_expected::conversion_pending);
    EXPECT_EQ(summary.conversion_limit_reached, sync_status_expected::conversion_limit_reached);
    EXPECT_EQ(summary.conversion_unavailable, sync_status_expected::conversion_unavailable);
    EXPECT_EQ(summary.conversion_failed, sync_status_expected::conversion_failed);
    EXPECT_EQ(summary.never_attempted, sync_status_expected::never_attempted);
    // The synced count is grin-transfer's synced set, minus the barcode not in books.
    EXPECT_EQ(static_cast<std::int64_t>(q::synced_barcodes(connection_).size()),
              summary.synced + 1);
}

TEST_F(status_summary, top_limits_only_the_reasons) {
    grin::test::write_sync_status_scenario(connection_);
    for (std::size_t top : {0u, 1u, 2u, 100u}) {
        auto summary = grin::db::summarize_sync_status(connection_, top);
        expect_reasons(summary.top_failure_reasons, top);
        EXPECT_EQ(summary.failed, sync_status_expected::failed);
    }
}

TEST_F(status_summary, a_fresh_database_is_all_zero) {
    grin::db::schema::apply(connection_);
    auto summary = grin::db::summarize_sync_status(connection_, 5);
    EXPECT_EQ(summary.total_books, 0);
    EXPECT_EQ(summary.synced, 0);
    EXPECT_TRUE(summary.latest_sync.empty());
    EXPECT_TRUE(summary.top_failure_reasons.empty());
    EXPECT_EQ(summary.never_attempted, 0);
}

TEST_F(status_summary, works_on_grin_transfers_schema_alone) {
    // grin-transfer's tables and indexes, without grin-sync's migrations.
    for (auto statement : grin::db::schema::grin_transfer_statements())
        connection_.exec(std::string(statement));
    std::vector<q::book_upsert> books = {{"A1", {}}, {"A2", {}}};
    q::upsert_books(connection_, books, q::on_existing::keep);
    q::append_status(connection_,
                     {.barcode = "A1", .status_type = "sync", .status_value = "completed"});
    auto summary = grin::db::summarize_sync_status(connection_, 5);
    EXPECT_EQ(summary.total_books, 2);
    EXPECT_EQ(summary.synced, 1);
    EXPECT_EQ(summary.never_attempted, 1);
}

// 100,000 books with 6 to 8 history rows each, on grin-transfer's schema (no index of
// ours to lean on): the summary must stay interactive.
TEST_F(status_summary, a_hundred_thousand_books_take_seconds_not_minutes) {
    for (auto statement : grin::db::schema::grin_transfer_statements())
        connection_.exec(std::string(statement));
    constexpr int books = 100'000;
    {
        SQLite::Transaction transaction(connection_);
        SQLite::Statement book(connection_, "INSERT INTO books (barcode, created_at, updated_at) "
                                            "VALUES (?, 't', 't')");
        SQLite::Statement row(connection_,
                              "INSERT INTO book_status_history (barcode, status_type, "
                              "status_value, timestamp, metadata) VALUES (?, ?, ?, 't', ?)");
        const char* steps[] = {"checked", "downloaded", "decrypted", "uploaded", "unpacked"};
        for (int i = 0; i < books; ++i) {
            auto barcode = "P" + std::to_string(i);
            book.bind(1, barcode);
            book.exec();
            book.reset();
            auto add = [&](const char* type, const char* value, const char* metadata) {
                row.bind(1, barcode);
                row.bind(2, type);
                row.bind(3, value);
                row.bind(4, metadata);
                row.exec();
                row.reset();
            };
            if (i % 10 == 0) {
                add("conversion", "requested", "{}");
                continue;
            }
            for (const char* step : steps)
                add("sync", step, "{}");
            add("text_extraction", "completed", "{}");
            if (i % 10 == 1)
                add("sync", "upload_failed", R"({"error": "HTTP 500"})");
            else
                add("sync", "completed", "{}");
        }
        transaction.commit();
    }
    auto started = std::chrono::steady_clock::now();
    auto summary = grin::db::summarize_sync_status(connection_, 5);
    auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    std::cout << "summary of " << books << " books took " << took.count() << " s\n";
    EXPECT_EQ(summary.total_books, books);
    EXPECT_EQ(summary.synced, books * 8 / 10);
    EXPECT_EQ(summary.failed, books / 10);
    EXPECT_EQ(summary.conversion_pending, books / 10);
    ASSERT_EQ(summary.top_failure_reasons.size(), 1u);
    EXPECT_EQ(summary.top_failure_reasons[0].reason, "HTTP 500");
    // Generous for a loaded 2-core machine and a Debug build; a plan that reads the
    // history once per book takes minutes.
    EXPECT_LT(took.count(), 20.0);
}
