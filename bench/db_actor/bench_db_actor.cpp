// BENCH db_actor: status-update commits per second. One operation = what the sync
// pipeline records after a step: one book_status_history row appended and one books row
// updated, committed. Three ways:
// - actor: many coroutines on one io_context co_await db::database (group commit);
// - connection per operation: open, set grin-transfer's PRAGMAs, write, commit, close
//   (grin-transfer's short-lived connections, e.g. one per CHECK);
// - one connection, one commit per operation.
// Figures only; nothing is asserted. The database lives in a temporary directory on
// disk ($TMPDIR or /tmp), never in memory.
#include <grin/core/time.hpp>
#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>
#include <grin/db/schema.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <sys/resource.h>
#include <vector>

namespace asio = boost::asio;
namespace q = grin::db::queries;
using namespace std::chrono;

namespace {

constexpr int book_count = 20000;
constexpr int actor_coroutines = 500;
constexpr int actor_ops_per_coroutine = 100; // 50,000 operations
constexpr auto per_op_time_budget = seconds(8);

std::string barcode_of(int i) {
    return "3901500" + std::to_string(1000000 + i);
}

std::filesystem::path make_temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/grin-bench-db-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        std::perror("mkdtemp");
        std::exit(1);
    }
    return pattern;
}

void populate(const std::filesystem::path& path) {
    SQLite::Database connection(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    connection.exec("PRAGMA journal_mode = WAL");
    grin::db::schema::apply(connection);
    std::vector<q::book_upsert> books;
    books.reserve(book_count);
    for (int i = 0; i < book_count; ++i)
        books.push_back({barcode_of(i),
                         {{"title", "Title " + std::to_string(i)}, {"grin_state", "CONVERTED"}}});
    SQLite::Transaction transaction(connection);
    q::upsert_books(connection, books, q::on_existing::keep);
    transaction.commit();
}

// The operation itself, identical in all three modes.
void record_one(SQLite::Database& connection, int i) {
    auto now = grin::now_utc();
    // Books finish in no particular order: step through them by a stride coprime with
    // book_count, the same sequence in every mode.
    int book = static_cast<int>((static_cast<long long>(i) * 7919) % book_count);
    q::status_update update{barcode_of(book), "sync", "downloaded", R"({"etag":"\"abc123\""})",
                            std::nullopt};
    q::append_status(connection, update, now);
    std::vector<q::column_value> fields = {{"encrypted_etag", "\"abc123\""}};
    q::update_book_fields(connection, update.barcode, fields, now);
}

struct record_work {
    int i;
    void operator()(SQLite::Database& connection) const { record_one(connection, i); }
};

asio::awaitable<void> record_many(grin::db::database& db, int first, int count, int& failures) {
    for (int k = 0; k < count; ++k) {
        record_work work{first + k};
        try {
            co_await db.write("record_status", std::move(work));
        } catch (const std::exception& e) {
            if (failures++ == 0)
                std::fprintf(stderr, "actor write failed: %s\n", e.what());
        }
    }
}

// CPU seconds used by the whole process so far (all threads): a figure the other
// processes on a shared machine do not distort the way they distort wall time.
double process_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto seconds_of = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);
}

struct result {
    std::string name;
    long ops = 0;
    double seconds = 0;
    double cpu_seconds = 0;
    double cpu_us_per_op() const {
        return ops > 0 ? cpu_seconds * 1e6 / static_cast<double>(ops) : 0;
    }
    double ops_per_s() const { return seconds > 0 ? static_cast<double>(ops) / seconds : 0; }
};

result run_actor(const std::filesystem::path& path, grin::db::database_stats& stats) {
    grin::db::database_params params;
    params.path = path;
    grin::db::database db(params);
    asio::io_context context;
    int failures = 0;
    for (int c = 0; c < actor_coroutines; ++c)
        asio::co_spawn(
            context,
            record_many(db, c * actor_ops_per_coroutine, actor_ops_per_coroutine, failures),
            [](std::exception_ptr) {});
    auto start = steady_clock::now();
    double cpu_start = process_cpu_seconds();
    context.run_for(seconds(60));
    double elapsed = duration<double>(steady_clock::now() - start).count();
    double cpu = process_cpu_seconds() - cpu_start;
    stats = db.stats();
    for (const auto& m : db.metrics())
        std::printf("  actor metric %-14s count=%-6llu avg=%.2f ms p50=%.2f ms p95=%.2f ms "
                    "p99=%.2f ms max=%.2f ms\n",
                    m.name.c_str(), static_cast<unsigned long long>(m.count),
                    duration<double, std::milli>(m.avg).count(),
                    duration<double, std::milli>(m.p50).count(),
                    duration<double, std::milli>(m.p95).count(),
                    duration<double, std::milli>(m.p99).count(),
                    duration<double, std::milli>(m.max).count());
    if (failures)
        std::fprintf(stderr, "actor: %d failed writes\n", failures);
    return {"actor (group commit)", static_cast<long>(stats.writes_committed), elapsed, cpu};
}

// grin-transfer's connect_sync: timeout 30 s, then these PRAGMAs, every time.
void set_short_lived_pragmas(SQLite::Database& connection) {
    connection.exec("PRAGMA journal_mode = WAL");
    connection.exec("PRAGMA synchronous = NORMAL");
    connection.exec("PRAGMA cache_size = 1000");
    connection.exec("PRAGMA temp_store = MEMORY");
    connection.exec("PRAGMA busy_timeout = 5000");
}

result run_connection_per_op(const std::filesystem::path& path) {
    result r{"connection per operation", 0, 0, 0};
    auto start = steady_clock::now();
    double cpu_start = process_cpu_seconds();
    while (steady_clock::now() - start < per_op_time_budget) {
        SQLite::Database connection(path.string(), SQLite::OPEN_READWRITE);
        set_short_lived_pragmas(connection);
        SQLite::Transaction transaction(connection);
        record_one(connection, static_cast<int>(r.ops));
        transaction.commit();
        ++r.ops;
    }
    r.seconds = duration<double>(steady_clock::now() - start).count();
    r.cpu_seconds = process_cpu_seconds() - cpu_start;
    return r;
}

result run_commit_per_op(const std::filesystem::path& path) {
    result r{"one connection, commit per op", 0, 0, 0};
    SQLite::Database connection(path.string(), SQLite::OPEN_READWRITE);
    set_short_lived_pragmas(connection);
    auto start = steady_clock::now();
    double cpu_start = process_cpu_seconds();
    while (steady_clock::now() - start < per_op_time_budget) {
        SQLite::Transaction transaction(connection, SQLite::TransactionBehavior::IMMEDIATE);
        record_one(connection, static_cast<int>(r.ops));
        transaction.commit();
        ++r.ops;
    }
    r.seconds = duration<double>(steady_clock::now() - start).count();
    r.cpu_seconds = process_cpu_seconds() - cpu_start;
    return r;
}

} // namespace

int main(int argc, char** argv) {
    // "bench_db_actor actor" runs only the actor (for profiling).
    bool actor_only = argc > 1 && std::string(argv[1]) == "actor";
    auto dir = make_temp_dir();
    std::printf("db_actor: %d books; one op = 1 status row + 1 books update, committed\n",
                book_count);
    std::printf("database files in %s (on disk)\n\n", dir.c_str());

    // Separate files so no mode inherits another's WAL or cache.
    std::vector<std::filesystem::path> paths = {dir / "actor.db", dir / "per_op.db",
                                                dir / "commit.db"};
    for (const auto& path : paths)
        populate(path);

    grin::db::database_stats stats;
    result actor = run_actor(paths[0], stats);
    {
        // A figure is worth nothing if rows went missing: every committed op must be there.
        SQLite::Database check(paths[0].string(), SQLite::OPEN_READONLY);
        auto rows = check.execAndGet("SELECT COUNT(*) FROM book_status_history").getInt64();
        if (rows != actor.ops) {
            std::fprintf(stderr, "actor: %lld status rows for %ld committed ops\n",
                         static_cast<long long>(rows), actor.ops);
            return 1;
        }
    }
    if (actor_only) {
        std::printf("actor: %.0f ops/s, %llu transactions\n", actor.ops_per_s(),
                    static_cast<unsigned long long>(stats.transactions));
        return 0;
    }
    result per_op = run_connection_per_op(paths[1]);
    result commit = run_commit_per_op(paths[2]);

    std::printf("%-32s %10s %8s %12s %14s\n", "mode", "ops", "seconds", "ops/s", "CPU us/op");
    for (const result& r : {actor, per_op, commit})
        std::printf("%-32s %10ld %8.2f %12.0f %14.1f\n", r.name.c_str(), r.ops, r.seconds,
                    r.ops_per_s(), r.cpu_us_per_op());
    double ratio_per_op = per_op.ops_per_s() > 0 ? actor.ops_per_s() / per_op.ops_per_s() : 0;
    double ratio_commit = commit.ops_per_s() > 0 ? actor.ops_per_s() / commit.ops_per_s() : 0;
    std::printf("\nactor: %d coroutines, %llu transactions, largest batch %llu (%.0f ops per "
                "commit)\n",
                actor_coroutines, static_cast<unsigned long long>(stats.transactions),
                static_cast<unsigned long long>(stats.largest_batch),
                stats.transactions ? static_cast<double>(stats.writes_committed) /
                                         static_cast<double>(stats.transactions)
                                   : 0.0);
    std::printf("actor vs connection per op: %.1fx; actor vs commit per op: %.1fx\n\n",
                ratio_per_op, ratio_commit);
    std::printf("BENCH db_actor actor_ops_per_s=%.0f conn_per_op_ops_per_s=%.0f "
                "single_conn_commit_per_op_ops_per_s=%.0f ratio_vs_conn_per_op=%.1f "
                "ratio_vs_commit_per_op=%.1f\n",
                actor.ops_per_s(), per_op.ops_per_s(), commit.ops_per_s(), ratio_per_op,
                ratio_commit);

    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return 0;
}
