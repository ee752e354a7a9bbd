// Bad input under the database: each case ends in grin::fatal (cannot open) or
// grin::error (one operation) naming the path and what failed, never in a crash, and
// never loses a committed row.
#include <grin/core/error.hpp>
#include <grin/db/database.hpp>
#include <grin/db/database_error.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>

#include "db_test_support.hpp"

namespace asio = boost::asio;
using namespace std::chrono;
using grin::db::database;
using grin::db::database_params;

namespace {

database_params params_at(const std::filesystem::path& path) {
    database_params params;
    params.path = path;
    params.cache_size_kib = 4 * 1024;
    return params;
}

// The grin::fatal message of opening `params`, or "" when it opened.
std::string open_failure(const database_params& params) {
    try {
        database db(params);
    } catch (const grin::fatal& failure) {
        return failure.what();
    }
    return "";
}

struct insert_blob {
    int id;
    void operator()(SQLite::Database& connection) const {
        SQLite::Statement insert(connection, "INSERT INTO failed (barcode, timestamp, "
                                             "session_id, error_message) VALUES (?, 't', 1, "
                                             "hex(randomblob(3000)))");
        insert.bind(1, "F" + std::to_string(id));
        insert.exec();
    }
};

// Writes one row after another until a write fails; counts the ones that committed.
asio::awaitable<void> fill(database& db, int limit, int& committed, std::string& failure) {
    for (int i = 0; i < limit; ++i) {
        insert_blob work{i};
        try {
            co_await db.write("fill", std::move(work));
            ++committed;
        } catch (const grin::error& e) {
            failure = e.what();
            co_return;
        }
    }
}

std::int64_t count_failed_rows(const std::filesystem::path& path) {
    SQLite::Database connection(path.string(), SQLite::OPEN_READONLY);
    return connection.execAndGet("SELECT COUNT(*) FROM failed").getInt64();
}

} // namespace

TEST(database_faults, missing_directory_is_fatal_and_names_the_path) {
    grin::test::temp_dir dir;
    auto path = dir / "no" / "such" / "books.db";
    auto message = open_failure(params_at(path));
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
    EXPECT_FALSE(std::filesystem::exists(dir / "no"));
}

TEST(database_faults, corrupt_file_is_fatal_and_left_untouched) {
    grin::test::temp_dir dir;
    auto path = dir / "books.db";
    std::string garbage;
    for (int i = 0; i < 4096; ++i)
        garbage += "not a database ";
    {
        std::ofstream out(path, std::ios::binary);
        out << garbage;
    }
    auto message = open_failure(params_at(path));
    std::cout << message << "\n";
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("not a database"), std::string::npos) << message;
    std::ifstream in(path, std::ios::binary);
    std::string after((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(after, garbage);
}

TEST(database_faults, read_only_file_system_is_fatal_and_keeps_the_rows) {
    grin::test::tmpfs_mount mount("4m");
    if (!mount.mounted())
        GTEST_SKIP() << "cannot mount tmpfs (not root?)";
    auto path = mount.path() / "books.db";
    int committed = 0;
    {
        database db(params_at(path));
        asio::io_context context;
        std::string failure;
        asio::co_spawn(context, fill(db, 5, committed, failure),
                       [](std::exception_ptr e) { EXPECT_FALSE(e); });
        ASSERT_TRUE(grin::test::run_capped(context, seconds(20)));
        ASSERT_EQ(committed, 5) << failure;
    }
    ASSERT_TRUE(mount.remount("ro"));
    auto message = open_failure(params_at(path));
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("read-only"), std::string::npos) << message;
    ASSERT_TRUE(mount.remount("rw"));
    EXPECT_EQ(count_failed_rows(path), committed);
}

TEST(database_faults, full_disk_fails_the_write_and_keeps_committed_rows) {
    grin::test::tmpfs_mount mount("256k");
    if (!mount.mounted())
        GTEST_SKIP() << "cannot mount tmpfs (not root?)";
    auto path = mount.path() / "books.db";
    int committed = 0;
    std::string failure;
    {
        database db(params_at(path));
        asio::io_context context;
        asio::co_spawn(context, fill(db, 1000, committed, failure),
                       [](std::exception_ptr e) { EXPECT_FALSE(e); });
        ASSERT_TRUE(grin::test::run_capped(context, seconds(30)));
    }
    ASSERT_FALSE(failure.empty()) << "256 KiB never filled up";
    std::cout << "after " << committed << " rows: " << failure << "\n";
    EXPECT_GT(committed, 0);
    EXPECT_NE(failure.find(path.string()), std::string::npos) << failure;
    EXPECT_NE(failure.find("full"), std::string::npos) << failure;
    EXPECT_EQ(count_failed_rows(path), committed);
}
