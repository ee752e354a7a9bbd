#pragma once
// db::database: the run's one SQLite connection, owned by a thread of its own (an actor;
// DESIGN sections 2 and 4). Coroutines on the I/O thread `co_await db.write(...)` or
// `co_await db.read(...)`; the work runs on the actor's thread and the coroutine resumes
// on its own executor with the result or the exception.
//
// Writes: the actor takes every pending write (up to max_batch_writes) and runs them in
// one BEGIN IMMEDIATE transaction, each inside its own SAVEPOINT, then commits and
// completes every waiter (group commit). A write that throws is rolled back to its
// savepoint and fails alone, its exception delivered to its caller; the others commit.
// If SQLite aborts the whole transaction because of one write (SQLITE_FULL, I/O errors),
// that write fails and the batch is run again without it. A failed COMMIT fails every
// write of the batch.
//
// SQLITE_BUSY / SQLITE_LOCKED (another process holds the lock) are retried with
// exponential backoff (retry_base_delay, x2, x4 ..., capped at retry_max_delay) up to
// max_attempts, each retry logged; SQLite's own busy_timeout is kept short so that long
// waits are visible in the log. A retried batch runs its work again from the start, so
// `work` must have no effects outside the connection it is given. Any other error fails
// fast, without retry.
//
// Reads run on the same connection between batches, outside any transaction, without
// waiting for the pending writes to commit.
//
// Cancellation contract: a request is not withdrawn by cancelling its caller. Every
// write accepted by write() (queued or already taken by the actor) is committed even if
// the calling coroutine was cancelled or abandoned; the caller resumes only after the
// outcome is known. stop() and the destructor commit everything accepted before they
// return; write() and read() after stop() fail with grin::error.
//
// Lifetime: every io_context whose coroutines await this object must outlive it (the
// destructor posts the last completions to those executors).
//
// Queue design: a mutex-protected deque plus a condition variable; completions are
// posted back to each caller's executor, one post per executor per batch. The actor is a
// plain blocking thread (SQLite calls block), so it wants to sleep on a condition
// variable and take the whole queue in one lock acquisition; a concurrent_channel would
// need an io_context on the actor thread and one receive per request, only to rebuild
// the same batch.
//
// Threads: write(), read(), stats() and metrics() may be called from any thread; work
// runs only on the actor thread, which is the only user of the connection. Never call
// stop() from inside work.
#include <grin/db/op_metrics.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace SQLite {
class Database;
}

namespace grin::db {

namespace asio = boost::asio;

struct database_params {
    std::filesystem::path path; // created if missing (unless read_only); its directory must exist

    // For commands that must write nothing in the run directory (`sync status`,
    // `sync pipeline --dry-run`): the file must exist and be a grin/grin-transfer
    // database; no schema, no journal_mode change, and write() fails with grin::error.
    // Without a <path>-wal file the database is opened immutable, so SQLite creates no
    // -wal/-shm either; with one (a writer is running or crashed) it is opened mode=ro
    // with the -shm read-only, which reads the committed WAL content through the files
    // that already exist and changes none of them.
    bool read_only = false;

    // SQLite's own busy handler: absorbs short contention (a checkpoint, a reader's WAL
    // recovery) without a log line. Longer waits are left to our backoff, which logs.
    std::chrono::milliseconds busy_timeout{50};
    // Attempts for a batch or a read that meets SQLITE_BUSY / SQLITE_LOCKED, the first
    // included. With the defaults the last retry starts ~21 s after the first attempt.
    int max_attempts = 8;
    // Delay before retry k (k = 1, 2, ...): retry_base_delay * 2^(k-1), at most
    // retry_max_delay: 0.1 s, 0.2 s, 0.4 s, ...
    std::chrono::milliseconds retry_base_delay{100};
    std::chrono::milliseconds retry_max_delay{5000};

    // Page cache (PRAGMA cache_size = -KiB). 64 MiB holds the hot part of a 500 MB+
    // database (the books primary key and the status-history indexes); more only raised
    // the peak RSS of collect and status (bench/collect, bench/status_export), since the
    // kernel's page cache keeps the rest of the file warm anyway.
    std::int64_t cache_size_kib = 64 * 1024;
    // PRAGMA mmap_size. Off: mapped pages of a 500 MB file count in the process's RSS (a
    // 1 GiB map put status at 640 MiB), and reads through read() measured no slower here.
    std::int64_t mmap_size_bytes = 0;

    // Upper bound on the writes of one transaction: bounds the latency of one batch and
    // the size of the WAL between checkpoints.
    std::size_t max_batch_writes = 10000;
    // Samples kept per operation name for the percentiles (op_metrics).
    std::size_t metrics_window = 10000;
    // An operation slower than this (queue wait + work, as op_metrics times it) logs a
    // warning with its name and duration; at most one line per name every 10 s, which
    // counts the slow ones it held back. Zero turns the log off.
    std::chrono::milliseconds slow_operation_threshold{1000};
};

struct database_stats {
    std::uint64_t transactions = 0;     // committed batches
    std::uint64_t writes_committed = 0; // writes whose work committed
    std::uint64_t writes_failed = 0;
    std::uint64_t reads = 0;
    std::uint64_t reads_failed = 0;
    std::uint64_t busy_retries = 0;    // backoff sleeps after SQLITE_BUSY / SQLITE_LOCKED
    std::uint64_t busy_wait_ms = 0;    // total time those sleeps waited
    std::uint64_t slow_operations = 0; // operations over slow_operation_threshold
    std::uint64_t largest_batch = 0;
};

// Delay before retry `retry` (1-based), per database_params.
std::chrono::milliseconds retry_delay(const database_params& params, int retry);

// SQLite connections `database` objects have opened in this process (every open counts,
// read-only ones included). Lets a test prove that a run used exactly one connection.
std::uint64_t connections_opened() noexcept;

class database {
public:
    // Opens (or creates) the file, sets the PRAGMAs, applies the schema and starts the
    // actor thread. Throws grin::fatal naming the path and the step that failed (missing
    // directory, read-only file or file system, not a database, ...). With
    // params.read_only: see database_params::read_only.
    explicit database(database_params params);
    ~database();
    database(const database&) = delete;
    database& operator=(const database&) = delete;

    // Runs work(SQLite::Database&) inside the next batch transaction and returns its
    // result. work must not BEGIN/COMMIT (savepoints are fine) and may run more than once
    // (see the BUSY retry above). Failures arrive as the work's own exception, SQLite's
    // as database_error. On a read-only database: grin::error, nothing runs.
    template <class F>
    asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> write(std::string op_name, F work);

    // Runs work(SQLite::Database&) on the actor thread outside any transaction.
    template <class F>
    asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> read(std::string op_name, F work);

    // Commits everything accepted, stops the actor thread and closes the connection.
    // Idempotent. Blocks, so
    // call it from outside the I/O thread or after the I/O work is done.
    void stop();

    const std::filesystem::path& path() const noexcept;
    database_stats stats() const;
    std::vector<op_summary> metrics() const;
    // Every operation but batch_commit together (op_metrics::overall).
    op_summary overall_metrics() const;
    std::thread::id actor_thread_id() const noexcept;

    struct state; // implementation (database.cpp)

private:
    enum class request_kind { read, write };
    using erased_work = std::function<void(SQLite::Database&)>;

    asio::awaitable<void> submit(request_kind kind, std::string op_name, erased_work work);

    template <class F>
    asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>>
    run(request_kind kind, std::string op_name, F work);

    std::unique_ptr<state> state_;
};

template <class F>
asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>>
database::run(request_kind kind, std::string op_name, F work) {
    using result_type = std::invoke_result_t<F&, SQLite::Database&>;
    // shared_ptr: std::function needs a copyable target, and work may be move-only.
    auto shared_work = std::make_shared<F>(std::move(work));
    if constexpr (std::is_void_v<result_type>) {
        erased_work erased = [shared_work](SQLite::Database& connection) {
            (*shared_work)(connection);
        };
        co_await submit(kind, std::move(op_name), std::move(erased));
    } else {
        auto result = std::make_shared<std::optional<result_type>>();
        erased_work erased = [shared_work, result](SQLite::Database& connection) {
            result->emplace((*shared_work)(connection));
        };
        co_await submit(kind, std::move(op_name), std::move(erased));
        co_return std::move(**result);
    }
}

template <class F>
asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> database::write(std::string op_name,
                                                                             F work) {
    return run(request_kind::write, std::move(op_name), std::move(work));
}

template <class F>
asio::awaitable<std::invoke_result_t<F&, SQLite::Database&>> database::read(std::string op_name,
                                                                            F work) {
    return run(request_kind::read, std::move(op_name), std::move(work));
}

} // namespace grin::db
