// run::backup_database: SQLite's online backup over the actor's connection, named and
// pruned as grin-transfer does (books_backup_<UTC stamp>.db, newest 10 by mtime).
#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/time.hpp>
#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>
#include <grin/run/database_backup.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <iostream>
#include <set>
#include <thread>

#include "../db/db_test_support.hpp"
#include "test_support.hpp"

namespace asio = boost::asio;
namespace q = grin::db::queries;
using namespace std::chrono;
using grin::db::database;

namespace {

grin::db::database_params params_for(const std::filesystem::path& path) {
    grin::db::database_params params;
    params.path = path;
    params.cache_size_kib = 4 * 1024;
    return params;
}

// One book and its one status row, in one write: any committed state has as many
// status rows as books.
struct add_book {
    int number;
    void operator()(SQLite::Database& connection) const {
        auto barcode = "B" + std::to_string(number);
        std::vector<q::book_upsert> book = {
            {barcode, {{"title", "Title " + std::to_string(number)}, {"grin_state", "CONVERTED"}}}};
        q::upsert_books(connection, book, q::on_existing::keep);
        q::append_status(connection, {.barcode = barcode,
                                      .status_type = "sync",
                                      .status_value = "completed",
                                      .metadata_json = R"({"n":)" + std::to_string(number) + "}"});
    }
};

asio::awaitable<void> add_books(database& db, int first, int count) {
    auto work = [first, count](SQLite::Database& connection) {
        for (int i = first; i < first + count; ++i)
            add_book{i}(connection);
    };
    co_await db.write("add_books", std::move(work));
}

asio::awaitable<void> add_one(database& db, int number) {
    co_await db.write("add_book", add_book{number});
}

template <class T>
T run_to_end(asio::io_context& context, asio::awaitable<T> work) {
    auto done = asio::co_spawn(context, std::move(work), asio::use_future);
    context.restart();
    context.run_for(seconds(60));
    return done.get();
}

struct fingerprint {
    std::int64_t books = 0;
    std::int64_t statuses = 0;
    std::size_t checksum = 0; // every column of every row of both tables
    bool operator==(const fingerprint&) const = default;
};

std::size_t checksum_of(SQLite::Database& connection, const std::string& select) {
    SQLite::Statement query(connection, select);
    std::string rows;
    while (query.executeStep()) {
        for (int i = 0; i < query.getColumnCount(); ++i)
            rows += (query.getColumn(i).isNull() ? "<null>" : query.getColumn(i).getString()) + "|";
        rows += "\n";
    }
    return std::hash<std::string>{}(rows);
}

fingerprint fingerprint_of(SQLite::Database& connection) {
    fingerprint result;
    result.books = connection.execAndGet("SELECT COUNT(*) FROM books").getInt64();
    result.statuses = connection.execAndGet("SELECT COUNT(*) FROM book_status_history").getInt64();
    result.checksum =
        checksum_of(connection, "SELECT * FROM books ORDER BY barcode") ^
        (checksum_of(connection, "SELECT * FROM book_status_history ORDER BY id") << 1);
    return result;
}

fingerprint fingerprint_of_file(const std::filesystem::path& path) {
    // immutable: the check itself must not add -wal/-shm files beside the backups.
    SQLite::Database connection("file:" + path.string() + "?immutable=1",
                                SQLite::OPEN_READONLY | SQLite::OPEN_URI);
    EXPECT_EQ(connection.execAndGet("PRAGMA integrity_check").getString(), "ok");
    return fingerprint_of(connection);
}

asio::awaitable<fingerprint> fingerprint_through(database& db) {
    co_return co_await db.read("fingerprint",
                               [](SQLite::Database& c) { return fingerprint_of(c); });
}

std::vector<std::string> backup_names(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

void touch(const std::filesystem::path& path, std::string content = "old backup") {
    std::ofstream(path) << content;
}

} // namespace

TEST(database_backup, the_copy_equals_the_source) {
    grin::test::temp_dir dir;
    auto db = std::make_unique<database>(params_for(dir / "books.db"));
    asio::io_context context;
    run_to_end(context, add_books(*db, 0, 300));
    auto opened = grin::db::connections_opened();
    auto before = grin::format_compact_utc(grin::now_utc());

    auto backup = run_to_end(context, grin::run::backup_database(*db, dir / "backups"));
    auto after = grin::format_compact_utc(grin::now_utc());
    auto source = run_to_end(context, fingerprint_through(*db));

    EXPECT_EQ(grin::db::connections_opened(), opened) << "opened a second connection";
    EXPECT_EQ(backup.parent_path(), dir / "backups");
    auto name = backup.filename().string();
    // books_backup_YYYYmmdd_HHMMSS.db with the UTC time of the backup.
    ASSERT_EQ(name.size(), std::string("books_backup_20250101_101500.db").size()) << name;
    EXPECT_TRUE(name.starts_with("books_backup_") && name.ends_with(".db")) << name;
    auto stamp = name.substr(13, 15);
    EXPECT_TRUE(before <= stamp && stamp <= after) << before << " " << stamp << " " << after;
    EXPECT_EQ(backup_names(dir / "backups"), std::vector<std::string>{name})
        << "a temporary file was left";
    EXPECT_EQ(source.books, 300);
    EXPECT_EQ(source.statuses, 300);
    EXPECT_EQ(fingerprint_of_file(backup), source);
}

TEST(database_backup, a_backup_taken_while_writes_are_queued_is_a_committed_state) {
    grin::test::temp_dir dir;
    database db(params_for(dir / "books.db"));
    asio::io_context context;
    run_to_end(context, add_books(db, 0, 100));

    // Hold the actor inside a write; queue 200 writes, the backup, 200 more writes.
    std::promise<void> release;
    auto released = release.get_future().share();
    auto entered = std::make_shared<std::atomic<bool>>(false);
    auto blocker = [released, entered](SQLite::Database& connection) {
        *entered = true;
        released.wait();
        add_book{100}(connection);
    };
    auto block = [](database& target, decltype(blocker) work) -> asio::awaitable<void> {
        co_await target.write("blocker", std::move(work));
    };
    asio::co_spawn(context, block(db, blocker), asio::detached);
    context.restart();
    for (int i = 0; i < 1000 && !*entered; ++i) {
        context.poll();
        std::this_thread::sleep_for(milliseconds(5));
    }
    ASSERT_TRUE(*entered);
    for (int i = 0; i < 200; ++i)
        asio::co_spawn(context, add_one(db, 1000 + i), asio::detached);
    auto backup =
        asio::co_spawn(context, grin::run::backup_database(db, dir / "backups"), asio::use_future);
    for (int i = 0; i < 200; ++i)
        asio::co_spawn(context, add_one(db, 2000 + i), asio::detached);
    context.poll(); // every request is in the actor's queue now
    release.set_value();
    context.restart();
    context.run_for(seconds(60));
    auto copy = fingerprint_of_file(backup.get());
    auto source = run_to_end(context, fingerprint_through(db));

    std::cout << "the backup holds " << copy.books << " of " << source.books << " books\n";
    EXPECT_EQ(source.books, 501);
    // A state between two batches: each write adds a book and its status together, and
    // the 400 queued writes form one batch, so the copy has all of them or none.
    EXPECT_EQ(copy.statuses, copy.books);
    EXPECT_TRUE(copy.books == 101 || copy.books == 501) << copy.books;
    if (copy.books == 501)
        EXPECT_EQ(copy, source);
}

TEST(database_backup, retention_keeps_the_ten_newest_by_mtime) {
    grin::test::temp_dir dir;
    auto backups = dir / "backups";
    std::filesystem::create_directories(backups);
    // 12 old backups whose mtime order is the reverse of their name order, so that a
    // prune by name would delete the wrong ones.
    auto now = std::filesystem::file_time_type::clock::now();
    for (int i = 0; i < 12; ++i) {
        auto path = backups / ("books_backup_202401" + std::to_string(10 + i) + "_000000.db");
        touch(path);
        std::filesystem::last_write_time(path, now - hours(24 * (i + 1)));
    }
    touch(backups / "notes.txt");
    touch(backups / "books_backup_old.db.gz");
    std::filesystem::create_directory(backups / "books_backup_dir.db");
    std::filesystem::last_write_time(backups / "notes.txt", now - hours(24 * 365));

    database db(params_for(dir / "books.db"));
    asio::io_context context;
    run_to_end(context, add_books(db, 0, 3));
    auto made = run_to_end(context, grin::run::backup_database(db, backups));

    auto names = backup_names(backups);
    std::set<std::string> expected = {made.filename().string(), "notes.txt",
                                      "books_backup_old.db.gz", "books_backup_dir.db"};
    for (int i = 0; i < 9; ++i) // the 9 newest old ones: days 1..9 = names 10..18
        expected.insert("books_backup_202401" + std::to_string(10 + i) + "_000000.db");
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected);

    grin::run::prune_backups(backups, 3);
    names = backup_names(backups);
    expected = {made.filename().string(),          "books_backup_20240110_000000.db",
                "books_backup_20240111_000000.db", "notes.txt",
                "books_backup_old.db.gz",          "books_backup_dir.db"};
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected);
    EXPECT_NO_THROW(grin::run::prune_backups(dir / "missing", 10));
}

TEST(database_backup, a_second_backup_in_the_same_second_gets_the_next_free_name) {
    grin::test::temp_dir dir;
    auto backups = dir / "backups";
    std::filesystem::create_directories(backups);
    // Taken names for every second the backup could land in: the base and _2.
    auto start = grin::now_utc();
    std::set<std::string> taken;
    for (int s = -1; s <= 30; ++s) {
        auto stamp = grin::format_compact_utc(start + seconds(s));
        for (std::string suffix : {"", "_2"}) {
            auto name = "books_backup_" + stamp + suffix + ".db";
            touch(backups / name, "taken " + name);
            taken.insert(name);
        }
    }
    database db(params_for(dir / "books.db"));
    asio::io_context context;
    run_to_end(context, add_books(db, 0, 5));
    auto made = run_to_end(context, grin::run::backup_database(db, backups, 1000));

    auto name = made.filename().string();
    EXPECT_TRUE(name.ends_with("_3.db")) << name;
    EXPECT_EQ(taken.count(name.substr(0, name.size() - 5) + ".db"), 1u) << name;
    for (const auto& other : taken)
        EXPECT_EQ(grin::read_file(backups / other), "taken " + other) << "overwritten: " << other;
    EXPECT_EQ(fingerprint_of_file(made).books, 5);
}

TEST(database_backup, an_unusable_directory_is_an_error_naming_it) {
    grin::test::temp_dir dir;
    database db(params_for(dir / "books.db"));
    touch(dir / "not_a_dir");
    asio::io_context context;
    try {
        run_to_end(context, grin::run::backup_database(db, dir / "not_a_dir" / "backups"));
        FAIL() << "expected grin::error";
    } catch (const grin::error& failure) {
        EXPECT_EQ(failure.context().step, "backup");
        EXPECT_NE(std::string(failure.what()).find((dir / "not_a_dir").string()), std::string::npos)
            << failure.what();
    }
}

TEST(database_backup, a_full_disk_fails_with_the_path_and_leaves_no_partial_file) {
    grin::test::tmpfs_mount small("64k");
    if (!small.mounted())
        GTEST_SKIP() << "cannot mount a tmpfs here";
    grin::test::temp_dir dir;
    database db(params_for(dir / "books.db"));
    asio::io_context context;
    run_to_end(context, add_books(db, 0, 3000)); // several hundred KB
    try {
        run_to_end(context, grin::run::backup_database(db, small.path()));
        FAIL() << "expected grin::error";
    } catch (const grin::error& failure) {
        EXPECT_EQ(failure.context().step, "backup");
        EXPECT_NE(std::string(failure.what()).find(small.path().string()), std::string::npos)
            << failure.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(small.path())) << backup_names(small.path()).size();
}
