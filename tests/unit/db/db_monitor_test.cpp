// The database monitor: slow-operation warnings, lock-retry accounting, overall figures,
// and `grin db check`'s report.
#include <grin/db/check.hpp>
#include <grin/db/database.hpp>

#include <SQLiteCpp/Database.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "db_test_support.hpp"

namespace asio = boost::asio;
using namespace std::chrono;
using grin::db::database;
using grin::db::database_params;

namespace {

database_params params_in(const grin::test::temp_dir& dir) {
    database_params params;
    params.path = dir / "books.db";
    params.cache_size_kib = 16 * 1024;
    return params;
}

asio::awaitable<void> sleepy_read(database& db, std::string name, milliseconds nap) {
    auto work = [nap](SQLite::Database&) { std::this_thread::sleep_for(nap); };
    co_await db.read(std::move(name), std::move(work));
}

asio::awaitable<void> insert_row(database& db, std::string barcode = "B1") {
    auto work = [barcode](SQLite::Database& connection) {
        connection.exec("INSERT INTO processed (barcode, timestamp, session_id) VALUES ('" +
                        barcode + "', 'now', 1)");
    };
    co_await db.write("insert_processed", std::move(work));
}

void run_one(database& db, asio::awaitable<void> work) {
    asio::io_context context;
    std::exception_ptr failure;
    asio::co_spawn(context, std::move(work), [&failure](std::exception_ptr e) { failure = e; });
    ASSERT_TRUE(grin::test::run_capped(context, seconds(30)));
    if (failure)
        std::rethrow_exception(failure);
    (void)db;
}

} // namespace

TEST(db_monitor, an_operation_over_the_threshold_logs_a_warning_with_its_name) {
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    params.slow_operation_threshold = milliseconds(30);
    database db(params);
    grin::test::log_capture log;
    run_one(db, sleepy_read(db, "quick_read", milliseconds(0)));
    EXPECT_FALSE(log.contains("slow database operation"));
    EXPECT_EQ(db.stats().slow_operations, 0u);
    run_one(db, sleepy_read(db, "report_books", milliseconds(60)));
    EXPECT_TRUE(log.contains("slow database operation: report_books took"));
    EXPECT_TRUE(log.contains("threshold 30 ms"));
    EXPECT_EQ(db.stats().slow_operations, 1u);
    // A second slow one of the same name within 10 s is counted, not logged again.
    run_one(db, sleepy_read(db, "report_books", milliseconds(60)));
    EXPECT_EQ(db.stats().slow_operations, 2u);
}

TEST(db_monitor, a_zero_threshold_turns_the_log_off) {
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    params.slow_operation_threshold = milliseconds(0);
    database db(params);
    grin::test::log_capture log;
    run_one(db, sleepy_read(db, "report_books", milliseconds(20)));
    EXPECT_FALSE(log.contains("slow database operation"));
}

TEST(db_monitor, lock_retries_count_and_add_up_their_waiting_time) {
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    params.retry_base_delay = milliseconds(50);
    database db(params);
    // Another connection (as another process would) holds the write lock for ~400 ms.
    SQLite::Database other((dir / "books.db").string(), SQLite::OPEN_READWRITE);
    other.exec("PRAGMA busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    std::thread releaser([&other] {
        std::this_thread::sleep_for(milliseconds(400));
        other.exec("COMMIT");
    });
    run_one(db, insert_row(db));
    releaser.join();
    auto stats = db.stats();
    EXPECT_GE(stats.busy_retries, 2u); // 50 + 100 + 200 ms ... until the lock is gone
    EXPECT_GE(stats.busy_wait_ms, 100u);
    EXPECT_LE(stats.busy_wait_ms, 5000u);
    EXPECT_EQ(stats.writes_committed, 1u);
}

TEST(db_monitor, overall_figures_cover_every_operation_but_batch_commits) {
    grin::test::temp_dir dir;
    database db(params_in(dir));
    run_one(db, sleepy_read(db, "a", milliseconds(1)));
    run_one(db, sleepy_read(db, "b", milliseconds(1)));
    run_one(db, insert_row(db));
    auto all = db.overall_metrics();
    EXPECT_EQ(all.count, 3u);
    EXPECT_EQ(all.errors, 0u);
    EXPECT_LE(all.min, all.p50);
    EXPECT_LE(all.p99, all.max);
}

TEST(db_check, a_healthy_database_is_ok_and_a_corrupted_one_is_not) {
    grin::test::temp_dir dir;
    {
        database db(params_in(dir));
        for (int i = 0; i < 50; ++i)
            run_one(db, insert_row(db, "B" + std::to_string(i)));
    }
    auto report = grin::db::check_database(dir / "books.db");
    EXPECT_TRUE(report.ok) << (report.problems.empty() ? "" : report.problems.front());
    EXPECT_GT(report.page_count, 0u);
    EXPECT_GT(report.page_size, 0u);
    ASSERT_TRUE(report.books.has_value());
    EXPECT_EQ(*report.books, 0u);
    EXPECT_FALSE(report.largest.empty());
    EXPECT_NE(grin::db::to_text(report).find("Integrity: ok"), std::string::npos);

    // Garbage over every page after the first: the schema still reads, the b-trees do not.
    auto copy = dir / "broken.db";
    std::filesystem::copy_file(dir / "books.db", copy);
    {
        std::fstream file(copy, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(report.page_size) * 2);
        std::string garbage(report.page_size * 2, '\x5a');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    auto broken = grin::db::check_database(copy);
    EXPECT_FALSE(broken.ok);
    EXPECT_FALSE(broken.problems.empty());
    EXPECT_THROW(grin::db::check_database(dir / "missing.db"), std::exception);
}
