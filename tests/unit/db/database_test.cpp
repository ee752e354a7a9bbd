#include <grin/core/error.hpp>
#include <grin/db/database.hpp>
#include <grin/db/database_error.hpp>
#include <grin/db/schema.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <future>
#include <iostream>
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
    params.cache_size_kib = 16 * 1024; // tests run many databases side by side
    return params;
}

struct insert_processed {
    std::string barcode;
    void operator()(SQLite::Database& connection) const {
        SQLite::Statement insert(connection, "INSERT INTO processed (barcode, timestamp, "
                                             "session_id) VALUES (?, 'now', 1)");
        insert.bind(1, barcode);
        insert.exec();
    }
};

struct outcome {
    bool done = false;
    std::exception_ptr failure;
    steady_clock::time_point finished{};
};

asio::awaitable<void> write_one(database& db, std::string barcode, outcome& result) {
    insert_processed work{std::move(barcode)};
    try {
        co_await db.write("insert_processed", std::move(work));
    } catch (...) {
        result.failure = std::current_exception();
    }
    result.done = true;
    result.finished = steady_clock::now();
}

void spawn_write(asio::io_context& context, database& db, std::string barcode, outcome& result) {
    asio::co_spawn(context, write_one(db, std::move(barcode), result),
                   [](std::exception_ptr e) { EXPECT_FALSE(e); });
}

std::int64_t count_rows(const std::filesystem::path& path, const std::string& table) {
    SQLite::Database connection(path.string(), SQLite::OPEN_READONLY);
    return connection.execAndGet("SELECT COUNT(*) FROM " + table).getInt64();
}

// Holds the actor inside a write until release() (to line requests up into one batch).
class actor_blocker {
public:
    explicit actor_blocker(asio::io_context& context, database& db) {
        auto future = release_.get_future().share();
        auto entered = entered_;
        blocking_work_ = [future, entered](SQLite::Database&) {
            *entered = true;
            future.wait();
        };
        asio::co_spawn(context, block(db, blocking_work_), [](std::exception_ptr) {});
        auto deadline = steady_clock::now() + seconds(10);
        while (!*entered_ && steady_clock::now() < deadline) {
            context.poll();
            std::this_thread::sleep_for(milliseconds(1));
        }
    }
    bool holding() const { return *entered_; }
    void release() { release_.set_value(); }

private:
    static asio::awaitable<void> block(database& db, std::function<void(SQLite::Database&)> work) {
        co_await db.write("blocker", std::move(work));
    }
    std::promise<void> release_;
    std::shared_ptr<std::atomic<bool>> entered_ = std::make_shared<std::atomic<bool>>(false);
    std::function<void(SQLite::Database&)> blocking_work_;
};

} // namespace

TEST(database, ten_thousand_concurrent_writes_commit_in_few_transactions) {
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    database db(params);
    asio::io_context context;
    constexpr int writers = 10000;
    std::vector<outcome> results(writers);
    for (int i = 0; i < writers; ++i)
        spawn_write(context, db, "B" + std::to_string(i), results[i]);
    ASSERT_TRUE(grin::test::run_capped(context, seconds(60)));
    int failures = 0;
    for (const auto& result : results) {
        EXPECT_TRUE(result.done);
        failures += result.failure ? 1 : 0;
    }
    EXPECT_EQ(failures, 0);
    auto stats = db.stats();
    EXPECT_EQ(stats.writes_committed, static_cast<std::uint64_t>(writers));
    EXPECT_GT(stats.transactions, 0u);
    EXPECT_LT(stats.transactions, 1000u) << "writes were not batched";
    EXPECT_GT(stats.largest_batch, 10u);
    std::cout << "10000 writes in " << stats.transactions << " transactions, largest batch "
              << stats.largest_batch << "\n";
    db.stop();
    EXPECT_EQ(count_rows(params.path, "processed"), writers);
}

namespace {

struct thread_trace {
    std::thread::id before;
    std::thread::id in_work;
    std::thread::id after;
    bool in_callers_executor = false;
    int value = 0;
};

struct traced_work {
    std::thread::id* in_work;
    int operator()(SQLite::Database& connection) const {
        *in_work = std::this_thread::get_id();
        return connection.execAndGet("SELECT 40 + 2").getInt();
    }
};

asio::awaitable<void>
traced_read(database& db, asio::io_context::executor_type executor, thread_trace& trace) {
    trace.before = std::this_thread::get_id();
    traced_work work{&trace.in_work};
    trace.value = co_await db.read("traced_read", std::move(work));
    trace.after = std::this_thread::get_id();
    trace.in_callers_executor = executor.running_in_this_thread();
}

} // namespace

TEST(database, result_is_delivered_on_the_callers_executor) {
    grin::test::temp_dir dir;
    database db(params_in(dir));
    asio::io_context context;
    thread_trace trace;
    bool done = false;
    asio::co_spawn(context, traced_read(db, context.get_executor(), trace),
                   [&done](std::exception_ptr e) {
                       EXPECT_FALSE(e);
                       done = true;
                   });
    // The I/O thread is not the test's thread, so "same thread" cannot be a coincidence.
    std::thread io([&context] { context.run_for(seconds(20)); });
    auto io_id = io.get_id();
    io.join();
    ASSERT_TRUE(done);
    EXPECT_EQ(trace.value, 42);
    EXPECT_EQ(trace.before, io_id);
    EXPECT_EQ(trace.in_work, db.actor_thread_id());
    EXPECT_NE(trace.in_work, io_id);
    EXPECT_EQ(trace.after, io_id);
    EXPECT_TRUE(trace.in_callers_executor);
}

TEST(database, pragmas_suit_a_large_database) {
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    params.busy_timeout = milliseconds(75);
    database db(params);
    asio::io_context context;
    std::vector<std::string> values;
    struct pragma_work {
        std::vector<std::string>* values;
        void operator()(SQLite::Database& connection) const {
            for (const char* name : {"journal_mode", "synchronous", "busy_timeout", "cache_size",
                                     "mmap_size", "temp_store"})
                values->push_back(connection.execAndGet(std::string("PRAGMA ") + name).getString());
        }
    };
    struct run_pragmas {
        static asio::awaitable<void> run(database& db, std::vector<std::string>* values) {
            pragma_work work{values};
            co_await db.read("pragmas", std::move(work));
        }
    };
    asio::co_spawn(context, run_pragmas::run(db, &values),
                   [](std::exception_ptr e) { EXPECT_FALSE(e); });
    ASSERT_TRUE(grin::test::run_capped(context, seconds(20)));
    ASSERT_EQ(values.size(), 6u);
    EXPECT_EQ(values[0], "wal");
    EXPECT_EQ(values[1], "1"); // NORMAL
    EXPECT_EQ(values[2], "75");
    EXPECT_EQ(values[3], std::to_string(-params.cache_size_kib));
    EXPECT_EQ(values[4], std::to_string(params.mmap_size_bytes));
    EXPECT_EQ(values[5], "2"); // MEMORY
}

TEST(database, backoff_doubles_from_the_base_delay_up_to_the_cap) {
    database_params params;
    EXPECT_EQ(grin::db::retry_delay(params, 1), milliseconds(100));
    EXPECT_EQ(grin::db::retry_delay(params, 2), milliseconds(200));
    EXPECT_EQ(grin::db::retry_delay(params, 3), milliseconds(400));
    EXPECT_EQ(grin::db::retry_delay(params, 7), milliseconds(5000));
    EXPECT_EQ(grin::db::retry_delay(params, 60), milliseconds(5000));
}

TEST(database, another_process_holding_the_write_lock_makes_writes_wait_not_fail) {
    if (!grin::test::have_program("sqlite3"))
        GTEST_SKIP() << "sqlite3 CLI not installed";
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    database db(params);
    grin::test::log_capture log;
    auto marker = dir / "locked";
    // BEGIN IMMEDIATE takes the write lock; .shell runs once it is held; COMMIT comes 2 s
    // later.
    std::string script = "(echo \"BEGIN IMMEDIATE;\"; echo \"INSERT INTO processed VALUES "
                         "('EXTERNAL', 't', 1);\"; echo \".shell touch " +
                         marker.string() + "\"; sleep 2; echo \"COMMIT;\") | sqlite3 " +
                         params.path.string();
    grin::test::command_result holder;
    std::thread other([&] { holder = grin::test::run_command(script, seconds(30)); });
    auto deadline = steady_clock::now() + seconds(10);
    while (!std::filesystem::exists(marker) && steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(5));
    ASSERT_TRUE(std::filesystem::exists(marker)) << "the sqlite3 process never took the lock";

    asio::io_context context;
    std::vector<outcome> results(20);
    auto started = steady_clock::now();
    for (int i = 0; i < 20; ++i)
        spawn_write(context, db, "W" + std::to_string(i), results[i]);
    bool finished = grin::test::run_capped(context, seconds(30));
    other.join();
    ASSERT_TRUE(finished);
    EXPECT_EQ(holder.exit_code, 0) << holder.output;
    for (const auto& result : results) {
        ASSERT_TRUE(result.done);
        EXPECT_FALSE(result.failure);
        EXPECT_GE(result.finished - started, milliseconds(1500)) << "did not wait for the lock";
    }
    EXPECT_GE(db.stats().busy_retries, 3u);
    EXPECT_TRUE(log.contains("is locked"));
    db.stop();
    EXPECT_EQ(count_rows(params.path, "processed"), 21);
}

namespace {

struct failing_sql {
    std::string sql;
    void operator()(SQLite::Database& connection) const { connection.exec(sql); }
};

struct throwing_work {
    void operator()(SQLite::Database& connection) const {
        connection.exec("INSERT INTO processed VALUES ('THROWN', 't', 1)");
        throw std::logic_error("caller's own failure");
    }
};

template <class Work>
asio::awaitable<void> run_write(database& db, Work work, outcome& result) {
    try {
        co_await db.write("mixed", std::move(work));
    } catch (...) {
        result.failure = std::current_exception();
    }
    result.done = true;
    result.finished = steady_clock::now();
}

std::string message_of(const std::exception_ptr& failure) {
    try {
        std::rethrow_exception(failure);
    } catch (const std::exception& e) {
        return e.what();
    }
}

} // namespace

TEST(database, a_failing_write_fails_fast_and_alone_in_its_batch) {
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    params.retry_base_delay = milliseconds(1000); // a retry would be obvious
    database db(params);
    asio::io_context context;
    actor_blocker blocker(context, db);
    ASSERT_TRUE(blocker.holding());

    std::vector<outcome> results(5);
    auto on_done = [](std::exception_ptr e) { EXPECT_FALSE(e); };
    asio::co_spawn(context, run_write(db, insert_processed{"GOOD1"}, results[0]), on_done);
    asio::co_spawn(context,
                   run_write(db, failing_sql{"INSRT INTO processed VALUES (1)"}, results[1]),
                   on_done);
    asio::co_spawn(context, run_write(db, insert_processed{"GOOD1"}, results[2]), on_done);
    asio::co_spawn(context, run_write(db, throwing_work{}, results[3]), on_done);
    asio::co_spawn(context, run_write(db, insert_processed{"GOOD2"}, results[4]), on_done);
    context.poll(); // all five are queued behind the blocker
    auto released = steady_clock::now();
    blocker.release();
    ASSERT_TRUE(grin::test::run_capped(context, seconds(20)));

    for (const auto& result : results) {
        ASSERT_TRUE(result.done);
        EXPECT_LT(result.finished - released, milliseconds(500)) << "a failure was retried";
    }
    EXPECT_FALSE(results[0].failure);
    EXPECT_FALSE(results[4].failure);
    ASSERT_TRUE(results[1].failure);
    EXPECT_NE(message_of(results[1].failure).find("syntax error"), std::string::npos);
    EXPECT_NE(message_of(results[1].failure).find(params.path.string()), std::string::npos);
    ASSERT_TRUE(results[2].failure);
    try {
        std::rethrow_exception(results[2].failure);
    } catch (const grin::db::database_error& e) {
        EXPECT_EQ(e.sqlite_code(), SQLITE_CONSTRAINT_PRIMARYKEY);
        EXPECT_EQ(e.context().step, "database");
    } catch (...) {
        ADD_FAILURE() << "constraint violation is not a database_error";
    }
    ASSERT_TRUE(results[3].failure);
    EXPECT_THROW(std::rethrow_exception(results[3].failure), std::logic_error);

    auto stats = db.stats();
    EXPECT_EQ(stats.busy_retries, 0u);
    EXPECT_EQ(stats.transactions, 2u) << "blocker's batch + one batch for the five";
    EXPECT_EQ(stats.writes_failed, 3u);
    db.stop();
    SQLite::Database check(params.path.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(check
                  .execAndGet("SELECT group_concat(barcode) FROM (SELECT barcode FROM "
                              "processed ORDER BY barcode)")
                  .getString(),
              "GOOD1,GOOD2"); // THROWN was rolled back to its savepoint
}

TEST(database, shutdown_commits_every_accepted_write) {
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    constexpr int writers = 3000;
    std::vector<outcome> results(writers);
    asio::io_context context;
    {
        database db(params);
        actor_blocker blocker(context, db);
        ASSERT_TRUE(blocker.holding());
        for (int i = 0; i < writers; ++i)
            spawn_write(context, db, "S" + std::to_string(i), results[i]);
        context.poll(); // every write is queued, none can have run
        std::thread stopper([&db] { db.stop(); });
        std::this_thread::sleep_for(milliseconds(50));
        blocker.release();
        stopper.join();

        outcome late;
        spawn_write(context, db, "LATE", late);
        ASSERT_TRUE(grin::test::run_capped(context, seconds(30)));
        ASSERT_TRUE(late.done);
        ASSERT_TRUE(late.failure);
        EXPECT_NE(message_of(late.failure).find("shut down"), std::string::npos);
    }
    for (const auto& result : results) {
        ASSERT_TRUE(result.done);
        EXPECT_FALSE(result.failure);
    }
    EXPECT_EQ(count_rows(params.path, "processed"), writers);
}

TEST(database, metrics_time_each_operation_by_name) {
    grin::test::temp_dir dir;
    database db(params_in(dir));
    asio::io_context context;
    std::vector<outcome> results(200);
    for (int i = 0; i < 200; ++i)
        spawn_write(context, db, i % 50 == 0 ? "DUP" : "M" + std::to_string(i), results[i]);
    ASSERT_TRUE(grin::test::run_capped(context, seconds(30)));
    std::optional<grin::db::op_summary> insert;
    std::optional<grin::db::op_summary> batch;
    for (const auto& summary : db.metrics()) {
        if (summary.name == "insert_processed")
            insert = summary;
        if (summary.name == "batch_commit")
            batch = summary;
    }
    ASSERT_TRUE(insert.has_value());
    ASSERT_TRUE(batch.has_value());
    EXPECT_EQ(insert->count, 200u);
    EXPECT_EQ(insert->errors, 3u); // "DUP" four times: the first commits
    EXPECT_DOUBLE_EQ(insert->error_rate, 3.0 / 200.0);
    EXPECT_LE(insert->min, insert->p50);
    EXPECT_LE(insert->p50, insert->p95);
    EXPECT_LE(insert->p95, insert->p99);
    EXPECT_LE(insert->p99, insert->max);
    EXPECT_GT(insert->max.count(), 0);
    EXPECT_EQ(batch->count, db.stats().transactions);
}

TEST(database, a_lock_held_past_the_last_attempt_fails_with_the_busy_code) {
    if (!grin::test::have_program("sqlite3"))
        GTEST_SKIP() << "sqlite3 CLI not installed";
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    params.max_attempts = 3; // waits 0.05 s + 0.1 s, then gives up
    params.retry_base_delay = milliseconds(50);
    database db(params);
    auto marker = dir / "locked";
    std::string script = "(echo \"BEGIN IMMEDIATE;\"; echo \".shell touch " + marker.string() +
                         "\"; sleep 2; echo \"ROLLBACK;\") | sqlite3 " + params.path.string();
    std::thread other([&] { grin::test::run_command(script, seconds(30)); });
    auto deadline = steady_clock::now() + seconds(10);
    while (!std::filesystem::exists(marker) && steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(5));
    ASSERT_TRUE(std::filesystem::exists(marker));

    asio::io_context context;
    outcome result;
    spawn_write(context, db, "GIVES_UP", result);
    bool finished = grin::test::run_capped(context, seconds(20));
    other.join();
    ASSERT_TRUE(finished);
    ASSERT_TRUE(result.done);
    ASSERT_TRUE(result.failure);
    try {
        std::rethrow_exception(result.failure);
    } catch (const grin::db::database_error& e) {
        EXPECT_EQ(e.sqlite_code() & 0xff, SQLITE_BUSY);
        EXPECT_NE(std::string(e.what()).find(params.path.string()), std::string::npos);
    } catch (...) {
        ADD_FAILURE() << "not a database_error";
    }
    EXPECT_EQ(db.stats().busy_retries, 2u);
}

namespace {

struct count_work {
    std::int64_t operator()(SQLite::Database& connection) const {
        return connection.execAndGet("SELECT COUNT(*) FROM processed").getInt64();
    }
};

asio::awaitable<void> timed_count(database& db, std::int64_t& count, milliseconds& took) {
    auto start = steady_clock::now();
    count_work work;
    count = co_await db.read("count", std::move(work));
    took = duration_cast<milliseconds>(steady_clock::now() - start);
}

} // namespace

TEST(database, reads_do_not_wait_for_another_process_holding_the_write_lock) {
    if (!grin::test::have_program("sqlite3"))
        GTEST_SKIP() << "sqlite3 CLI not installed";
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    database db(params);
    auto marker = dir / "locked";
    std::string script = "(echo \"BEGIN IMMEDIATE;\"; echo \"INSERT INTO processed VALUES "
                         "('EXTERNAL', 't', 1);\"; echo \".shell touch " +
                         marker.string() + "\"; sleep 2; echo \"COMMIT;\") | sqlite3 " +
                         params.path.string();
    std::thread other([&] { grin::test::run_command(script, seconds(30)); });
    auto deadline = steady_clock::now() + seconds(10);
    while (!std::filesystem::exists(marker) && steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(5));
    ASSERT_TRUE(std::filesystem::exists(marker));

    asio::io_context context;
    std::int64_t count = -1;
    milliseconds took{};
    asio::co_spawn(context, timed_count(db, count, took),
                   [](std::exception_ptr e) { EXPECT_FALSE(e); });
    bool finished = grin::test::run_capped(context, seconds(20));
    other.join();
    ASSERT_TRUE(finished);
    EXPECT_EQ(count, 0); // WAL: the uncommitted external row is invisible, and no wait
    EXPECT_LT(took, milliseconds(1000));
}

namespace {

asio::awaitable<void> cancelled_writer(database& db) {
    insert_processed work{"CANCELLED_CALLER"};
    co_await db.write("insert_processed", std::move(work));
}

} // namespace

TEST(database, a_write_whose_caller_is_cancelled_is_still_committed) {
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    asio::io_context context;
    {
        database db(params);
        actor_blocker blocker(context, db);
        ASSERT_TRUE(blocker.holding());
        asio::cancellation_signal signal;
        bool done = false;
        asio::co_spawn(context, cancelled_writer(db),
                       asio::bind_cancellation_slot(signal.slot(),
                                                    [&done](std::exception_ptr) { done = true; }));
        context.poll(); // queued behind the blocker
        signal.emit(asio::cancellation_type::terminal);
        blocker.release();
        ASSERT_TRUE(grin::test::run_capped(context, seconds(20)));
        EXPECT_TRUE(done);
    }
    SQLite::Database check(params.path.string(), SQLite::OPEN_READONLY);
    EXPECT_EQ(check.execAndGet("SELECT COUNT(*) FROM processed WHERE barcode = 'CANCELLED_CALLER'")
                  .getInt(),
              1);
}

TEST(database, opening_waits_for_another_process_holding_the_write_lock) {
    if (!grin::test::have_program("sqlite3"))
        GTEST_SKIP() << "sqlite3 CLI not installed";
    grin::test::temp_dir dir;
    auto params = params_in(dir);
    {
        // A database grin-transfer created: our schema table is still to be added, so
        // opening it needs the write lock.
        SQLite::Database connection(params.path.string(),
                                    SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        connection.exec("PRAGMA journal_mode = WAL");
        for (auto statement : grin::db::schema::grin_transfer_statements())
            connection.exec(std::string(statement));
    }
    auto marker = dir / "locked";
    std::string script = "(echo \"BEGIN IMMEDIATE;\"; echo \".shell touch " + marker.string() +
                         "\"; sleep 1; echo \"COMMIT;\") | sqlite3 " + params.path.string();
    std::thread other([&] { grin::test::run_command(script, seconds(30)); });
    auto deadline = steady_clock::now() + seconds(10);
    while (!std::filesystem::exists(marker) && steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(5));
    ASSERT_TRUE(std::filesystem::exists(marker));
    grin::test::log_capture log;
    auto started = steady_clock::now();
    EXPECT_NO_THROW({ database db(params); });
    auto waited = steady_clock::now() - started;
    other.join();
    EXPECT_GE(waited, milliseconds(500));
    EXPECT_TRUE(log.contains("creating the schema"));
}
