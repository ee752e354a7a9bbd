// database_params::read_only: `grin sync status` and `--dry-run` read the run's books.db
// and must leave the run directory exactly as it was (names, sizes, mtimes, bytes), after
// a clean close and after a crash that left a -wal behind.
#include <grin/core/error.hpp>
#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "db_test_support.hpp"

namespace asio = boost::asio;
namespace q = grin::db::queries;
using namespace std::chrono;
using grin::db::database;
using grin::db::database_params;

namespace {

database_params params_at(const std::filesystem::path& path, bool read_only) {
    database_params params;
    params.path = path;
    params.read_only = read_only;
    params.cache_size_kib = 4 * 1024;
    return params;
}

std::vector<q::book_upsert> books(int count) {
    std::vector<q::book_upsert> result;
    for (int i = 0; i < count; ++i)
        result.push_back({"B" + std::to_string(i), {{"title", "Title " + std::to_string(i)}}});
    return result;
}

asio::awaitable<void> add_books(database& db, int count) {
    co_await q::upsert_books(db, books(count), q::on_existing::keep);
    q::status_update completed{.barcode = "B0", .status_type = "sync", .status_value = "completed"};
    co_await q::record_status(db, {completed}, "B0", {});
}

void fill(database& db, int count) {
    asio::io_context context;
    auto done = asio::co_spawn(context, add_books(db, count), asio::use_future);
    context.run_for(seconds(30));
    done.get();
}

struct contents {
    std::int64_t books = 0;
    std::string last_title;
    std::vector<std::string> synced;
};

asio::awaitable<contents> read_contents(database& db) {
    auto work = [](SQLite::Database& connection) {
        contents result;
        result.books = connection.execAndGet("SELECT COUNT(*) FROM books").getInt64();
        result.last_title =
            connection.execAndGet("SELECT title FROM books ORDER BY rowid DESC LIMIT 1")
                .getString();
        result.synced = q::synced_barcodes(connection);
        return result;
    };
    co_return co_await db.read("read_contents", std::move(work));
}

contents read_back(database& db) {
    asio::io_context context;
    auto done = asio::co_spawn(context, read_contents(db), asio::use_future);
    context.run_for(seconds(30));
    return done.get();
}

// The grin::error of a write on `db`, or "" when it succeeded.
std::string write_failure(database& db) {
    asio::io_context context;
    auto attempt = [](database& target) -> asio::awaitable<void> {
        auto work = [](SQLite::Database& connection) {
            connection.exec("INSERT INTO processed VALUES ('X', 't', 1)");
        };
        co_await target.write("insert_processed", std::move(work));
    };
    auto done = asio::co_spawn(context, attempt(db), asio::use_future);
    context.run_for(seconds(30));
    try {
        done.get();
    } catch (const grin::error& failure) {
        return failure.what();
    }
    return "";
}

// Opens `path` read-only, checks its contents, tries a write; returns what it read.
contents use_read_only(const std::filesystem::path& path) {
    database db(params_at(path, true));
    auto result = read_back(db);
    auto refused = write_failure(db);
    EXPECT_NE(refused.find("database opened read-only"), std::string::npos) << refused;
    EXPECT_NE(refused.find(path.string()), std::string::npos) << refused;
    return result;
}

std::string open_failure(const database_params& params) {
    try {
        database db(params);
    } catch (const grin::fatal& failure) {
        return failure.what();
    }
    return "";
}

// The file system's mtime clock is coarse (a few ms): a write right after the listing
// must be able to change it.
void let_the_clock_move() {
    std::this_thread::sleep_for(milliseconds(30));
}

} // namespace

TEST(database_read_only, after_a_clean_close_reads_everything_and_writes_nothing) {
    grin::test::temp_dir dir;
    auto path = dir / "books.db";
    {
        database writer(params_at(path, false));
        fill(writer, 500);
    }
    ASSERT_FALSE(std::filesystem::exists(dir / "books.db-wal")) << "not a clean close";
    let_the_clock_move();
    auto before = grin::test::directory_state(dir.path());
    auto opened = grin::db::connections_opened();

    auto result = use_read_only(path);

    EXPECT_EQ(grin::db::connections_opened(), opened + 1);
    EXPECT_EQ(result.books, 500);
    EXPECT_EQ(result.last_title, "Title 499");
    EXPECT_EQ(result.synced, std::vector<std::string>{"B0"});
    auto after = grin::test::directory_state(dir.path());
    EXPECT_EQ(after, before) << "before:\n"
                             << grin::test::describe(before) << "after:\n"
                             << grin::test::describe(after);
}

TEST(database_read_only, after_a_crash_reads_the_wal_and_writes_nothing) {
    grin::test::temp_dir source;
    grin::test::temp_dir crashed;
    auto source_path = source / "books.db";
    database writer(params_at(source_path, false));
    fill(writer, 300);
    // The writer still holds the files: copying them now is what kill -9 leaves behind.
    for (const char* suffix : {"", "-wal", "-shm"}) {
        auto name = std::string("books.db") + suffix;
        ASSERT_TRUE(std::filesystem::exists(source / name)) << name;
        std::filesystem::copy_file(source / name, crashed / name);
    }
    writer.stop();
    ASSERT_GT(std::filesystem::file_size(crashed / "books.db-wal"), 0u);
    {
        // Proof that the rows are only in the WAL: the main file alone lacks them (it may
        // not even have the table yet).
        auto crashed_copy = grin::test::directory_state(crashed.path());
        SQLite::Database main_only("file:" + (crashed / "books.db").string() + "?immutable=1",
                                   SQLite::OPEN_READONLY | SQLite::OPEN_URI);
        std::int64_t rows = 0;
        try {
            rows = main_only.execAndGet("SELECT COUNT(*) FROM books").getInt64();
        } catch (const SQLite::Exception&) {
        }
        EXPECT_LT(rows, 300);
        ASSERT_EQ(grin::test::directory_state(crashed.path()), crashed_copy);
    }
    let_the_clock_move();
    auto before = grin::test::directory_state(crashed.path());

    auto result = use_read_only(crashed / "books.db");

    EXPECT_EQ(result.books, 300);
    EXPECT_EQ(result.last_title, "Title 299");
    EXPECT_EQ(result.synced, std::vector<std::string>{"B0"});
    auto after = grin::test::directory_state(crashed.path());
    EXPECT_EQ(after, before) << "before:\n"
                             << grin::test::describe(before) << "after:\n"
                             << grin::test::describe(after);
}

TEST(database_read_only, another_process_writing_is_seen_and_nothing_is_written) {
    if (!grin::test::have_program("sqlite3"))
        GTEST_SKIP() << "sqlite3 CLI not installed";
    grin::test::temp_dir dir;
    auto path = dir / "books.db";
    {
        database writer(params_at(path, false));
        fill(writer, 10);
    }
    // A second process commits a row and keeps the database open (its -wal and -shm in
    // use) until the test creates the release file. Both files are outside `dir`.
    auto outside = dir.path().parent_path() / dir.path().filename();
    auto marker = outside.string() + ".holding";
    auto release_file = outside.string() + ".release";
    std::string script = "(echo \"PRAGMA journal_mode=WAL;\"; echo \"INSERT INTO books "
                         "(barcode, title, created_at, updated_at) VALUES ('LIVE', 'Live', "
                         "'t', 't');\"; echo \".shell touch " +
                         marker + "\"; until [ -e " + release_file +
                         " ]; do sleep 0.05; done) | sqlite3 " + path.string();
    grin::test::command_result holder;
    std::thread other([&] { holder = grin::test::run_command(script, seconds(30)); });
    // Lets the other process go and waits for it, however the test ends.
    struct release_holder {
        std::string marker, release_file;
        std::thread& other;
        void operator()() {
            std::ofstream{release_file};
            if (other.joinable())
                other.join();
            std::error_code ignored;
            std::filesystem::remove(marker, ignored);
            std::filesystem::remove(release_file, ignored);
        }
        ~release_holder() { (*this)(); }
    } release{marker, release_file, other};
    auto deadline = steady_clock::now() + seconds(10);
    while (!std::filesystem::exists(marker) && steady_clock::now() < deadline)
        std::this_thread::sleep_for(milliseconds(5));
    ASSERT_TRUE(std::filesystem::exists(marker)) << "the sqlite3 process never wrote";
    ASSERT_TRUE(std::filesystem::exists(dir / "books.db-wal"));
    let_the_clock_move();
    auto before = grin::test::directory_state(dir.path());

    auto result = use_read_only(path);
    auto after = grin::test::directory_state(dir.path());
    release();
    EXPECT_EQ(holder.exit_code, 0) << holder.output;
    EXPECT_EQ(result.books, 11);
    EXPECT_EQ(result.last_title, "Live");
    EXPECT_EQ(after, before) << "before:\n"
                             << grin::test::describe(before) << "after:\n"
                             << grin::test::describe(after);
}

TEST(database_read_only, a_missing_file_is_fatal_and_says_to_collect_first) {
    grin::test::temp_dir dir;
    auto message = open_failure(params_at(dir / "books.db", true));
    EXPECT_NE(message.find((dir / "books.db").string()), std::string::npos) << message;
    EXPECT_NE(message.find("run `grin collect` first"), std::string::npos) << message;
    EXPECT_TRUE(std::filesystem::is_empty(dir.path())) << "created something";
}

TEST(database_read_only, a_database_of_another_program_is_fatal) {
    grin::test::temp_dir dir;
    auto path = dir / "other.db";
    {
        SQLite::Database other(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        other.exec("CREATE TABLE books (barcode TEXT PRIMARY KEY)"); // no status history
    }
    let_the_clock_move();
    auto before = grin::test::directory_state(dir.path());
    auto message = open_failure(params_at(path, true));
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("not a grin or grin-transfer database"), std::string::npos) << message;
    EXPECT_EQ(grin::test::directory_state(dir.path()), before);

    std::ofstream(dir / "garbage.db") << "this is not an SQLite file, but long enough to look "
                                         "at its header and find no magic string in it at all";
    message = open_failure(params_at(dir / "garbage.db", true));
    EXPECT_NE(message.find((dir / "garbage.db").string()), std::string::npos) << message;
}

TEST(database_read_only, opening_for_writing_counts_one_connection_per_database) {
    grin::test::temp_dir dir;
    auto opened = grin::db::connections_opened();
    {
        database writer(params_at(dir / "books.db", false));
        fill(writer, 1);
        EXPECT_EQ(grin::db::connections_opened(), opened + 1);
    }
    {
        database reader(params_at(dir / "books.db", true));
        read_back(reader);
    }
    EXPECT_EQ(grin::db::connections_opened(), opened + 2);
}
