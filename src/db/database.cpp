#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/db/database.hpp>
#include <grin/db/database_error.hpp>
#include <grin/db/detail/statement_cache.hpp>
#include <grin/db/schema.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

namespace grin::db {
namespace {

using clock = std::chrono::steady_clock;
using completion = asio::any_completion_handler<void(std::exception_ptr)>;

bool is_busy(int code) {
    int primary = code & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

std::string seconds_text(std::chrono::milliseconds delay) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f s", static_cast<double>(delay.count()) / 1000.0);
    return text;
}

// The completion as posted to the caller's executor. Boost 1.81's any_completion_handler
// takes any lvalue of itself (copy, and its own move assignment) as a new handler to
// wrap, and recurses until the stack overflows: only ever move-construct it.
struct deliver {
    completion handler;
    std::exception_ptr outcome;

    deliver(completion h, std::exception_ptr e) : handler(std::move(h)), outcome(std::move(e)) {}
    deliver(deliver&&) = default;
    deliver(const deliver&) = delete;
    void operator()() { std::move(handler)(outcome); }
};

struct deliver_all {
    std::vector<deliver> deliveries;

    deliver_all() = default;
    deliver_all(deliver_all&&) = default;
    deliver_all(const deliver_all&) = delete;
    void operator()() {
        for (deliver& one : deliveries)
            one();
    }
};

} // namespace

struct database_request {
    bool is_write = false;
    std::string op_name;
    std::function<void(SQLite::Database&)> work;
    std::optional<completion> handler; // emplaced, never assigned (see deliver)
    // The caller's executor, tracking work so that its io_context keeps running while
    // the request is pending.
    asio::any_io_executor executor;
    clock::time_point enqueued{};
    std::exception_ptr outcome;
    bool done = false; // outcome is final for this batch (failed alone, not retried)
};

struct database::state {
    database_params params;
    std::unique_ptr<SQLite::Database> connection;
    op_metrics metrics;

    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::unique_ptr<database_request>> pending; // guarded by mutex
    bool stopping = false;                                 // guarded by mutex
    std::thread thread;

    std::atomic<std::uint64_t> transactions{0};
    std::atomic<std::uint64_t> writes_committed{0};
    std::atomic<std::uint64_t> writes_failed{0};
    std::atomic<std::uint64_t> reads{0};
    std::atomic<std::uint64_t> reads_failed{0};
    std::atomic<std::uint64_t> busy_retries{0};
    std::atomic<std::uint64_t> busy_wait_ms{0};
    std::atomic<std::uint64_t> slow_operations{0};
    std::atomic<std::uint64_t> largest_batch{0};

    // Slow-operation log, rate-limited per name (actor thread only).
    struct slow_log_state {
        clock::time_point last{};
        std::uint64_t held_back = 0;
    };
    std::map<std::string, slow_log_state, std::less<>> slow_log;

    explicit state(database_params p) : params(std::move(p)), metrics(params.metrics_window) {}

    void open();
    void open_read_only();
    void run();
    void enqueue(std::unique_ptr<database_request> item);
    void run_read(database_request& item);
    void run_batch(std::vector<std::unique_ptr<database_request>>& writes);
    void complete(std::unique_ptr<database_request> item);
    void complete_all(std::vector<std::unique_ptr<database_request>>& items);
    void backoff(int retry, const std::string& what, const SQLite::Exception& failure);
    // op_metrics plus the slow-operation warning.
    void record(const std::string& name, clock::duration elapsed, bool ok);

    std::exception_ptr wrap(const std::string& operation, const SQLite::Exception& failure) const {
        return std::make_exception_ptr(
            database_error(params.path, operation, failure.what(), failure.getExtendedErrorCode()));
    }
    bool in_transaction() const { return sqlite3_get_autocommit(connection->getHandle()) == 0; }
    void rollback() {
        if (in_transaction())
            connection->tryExec("ROLLBACK");
    }
};

std::chrono::milliseconds retry_delay(const database_params& params, int retry) {
    auto delay = params.retry_base_delay;
    for (int k = 1; k < retry && delay < params.retry_max_delay; ++k)
        delay *= 2;
    return std::min(delay, params.retry_max_delay);
}

// --- opening ---------------------------------------------------------------------------

namespace {

std::atomic<std::uint64_t> opened_connections{0};

// "file:" URI for a path: '?' and '#' would end the path part, '%' starts an escape.
std::string file_uri(const std::filesystem::path& path, std::string_view query) {
    std::string uri = "file:";
    for (char c : std::filesystem::absolute(path).string()) {
        if (c == '?' || c == '#' || c == '%') {
            char escaped[4];
            std::snprintf(escaped, sizeof escaped, "%%%02X", static_cast<unsigned char>(c));
            uri += escaped;
        } else {
            uri += c;
        }
    }
    return uri + "?" + std::string(query);
}

} // namespace

std::uint64_t connections_opened() noexcept {
    return opened_connections.load();
}

void database::state::open() {
    const auto& path = params.path;
    auto fail = [&path](const std::string& what, const std::string& reason) {
        return grin::fatal("cannot use database " + path.string() + ": " + what + ": " + reason);
    };
    if (path.empty())
        throw grin::fatal("database_params.path is empty");
    if (params.max_attempts < 1 || params.max_batch_writes == 0 ||
        params.retry_base_delay.count() < 0 || params.busy_timeout.count() < 0)
        throw fail("checking parameters",
                   "max_attempts and max_batch_writes must be >= 1, delays >= 0");
    auto directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::error_code ignored;
    if (!std::filesystem::is_directory(directory, ignored))
        throw fail("opening", "directory " + directory.string() + " does not exist");
    if (params.read_only) {
        open_read_only();
        return;
    }
    try {
        connection = std::make_unique<SQLite::Database>(
            path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
        ++opened_connections;
    } catch (const SQLite::Exception& failure) {
        throw fail("opening", failure.what());
    }
    // SQLite silently falls back to read-only when it cannot write the file; we would
    // only find out at the first commit, after a run's worth of work.
    if (sqlite3_db_readonly(connection->getHandle(), "main") == 1)
        throw fail("opening for writing", "the file or its file system is read-only");

    const std::string pragmas[] = {
        "PRAGMA busy_timeout = " + std::to_string(params.busy_timeout.count()),
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA cache_size = -" + std::to_string(params.cache_size_kib),
        "PRAGMA mmap_size = " + std::to_string(params.mmap_size_bytes),
    };
    for (const std::string& pragma : pragmas) {
        try {
            SQLite::Statement statement(*connection, pragma);
            bool has_row = statement.executeStep();
            if (pragma.find("journal_mode") != std::string::npos &&
                (!has_row || statement.getColumn(0).getString() != "wal"))
                throw fail("setting journal_mode=WAL", "SQLite kept another journal mode");
        } catch (const SQLite::Exception& failure) {
            throw fail("'" + pragma + "'", failure.what());
        }
    }
    // Another process (a second grin-sync, grin-transfer, an operator's sqlite3) may be
    // writing right now: wait for it like any write does rather than refuse to start.
    for (int attempt = 1;; ++attempt) {
        try {
            int version = schema::apply(*connection);
            log::debug("database " + path.string() + ": schema version " + std::to_string(version));
            break;
        } catch (const SQLite::Exception& failure) {
            rollback();
            if (is_busy(failure.getErrorCode()) && attempt < params.max_attempts) {
                backoff(attempt, "creating the schema", failure);
                continue;
            }
            throw fail("creating the schema", failure.what());
        }
    }
}

void database::state::open_read_only() {
    const auto& path = params.path;
    auto fail = [&path](const std::string& what, const std::string& reason) {
        return grin::fatal("cannot use database " + path.string() + ": " + what + ": " + reason);
    };
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(path, ignored))
        throw grin::fatal("database " + path.string() +
                          " does not exist: run `grin collect` first (or check --run-name and "
                          "--output-root)");
    // immutable=1 tells SQLite the file cannot change, so it takes no locks and never
    // looks for (or creates) -wal/-shm: the directory stays exactly as it was. That only
    // holds while there is no WAL. A -wal means a writer is running or crashed, and the
    // committed content is partly in it, so then the WAL is read through the existing
    // -shm opened read-only (readonly_shm=1): plain mode=ro would open the -shm for
    // writing and, with no other process attached, truncate and rebuild it. SQLite
    // builds the WAL index in private memory when the -shm cannot be used. Only a -wal
    // without its -shm (deleted by hand) leaves no choice: mode=ro creates the -shm.
    auto sibling = [&path, &ignored](const char* suffix) {
        auto file = path;
        file += suffix;
        return std::filesystem::exists(file, ignored);
    };
    std::string query = "immutable=1";
    if (sibling("-wal"))
        query = sibling("-shm") ? "mode=ro&readonly_shm=1" : "mode=ro";
    try {
        connection = std::make_unique<SQLite::Database>(
            file_uri(path, query), SQLite::OPEN_READONLY | SQLite::OPEN_URI | SQLite::OPEN_NOMUTEX);
        ++opened_connections;
    } catch (const SQLite::Exception& failure) {
        throw fail("opening read-only", failure.what());
    }
    // Connection-local only: nothing here is written to the file.
    const std::string pragmas[] = {
        "PRAGMA busy_timeout = " + std::to_string(params.busy_timeout.count()),
        "PRAGMA temp_store = MEMORY",
        "PRAGMA cache_size = -" + std::to_string(params.cache_size_kib),
        "PRAGMA mmap_size = " + std::to_string(params.mmap_size_bytes),
    };
    for (const std::string& pragma : pragmas) {
        try {
            connection->exec(pragma);
        } catch (const SQLite::Exception& failure) {
            throw fail("'" + pragma + "'", failure.what());
        }
    }
    // Instead of the schema (which would write): the two tables every reader relies on.
    // This is also the first read of the file, so "file is not a database" shows here.
    for (int attempt = 1;; ++attempt) {
        try {
            SQLite::Statement tables(*connection,
                                     "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                                     "AND name IN ('books', 'book_status_history')");
            tables.executeStep();
            if (tables.getColumn(0).getInt() != 2)
                throw fail("checking tables",
                           "it has no books and book_status_history tables, so it is not a "
                           "grin or grin-transfer database");
            break;
        } catch (const SQLite::Exception& failure) {
            if (is_busy(failure.getErrorCode()) && attempt < params.max_attempts) {
                backoff(attempt, "checking tables", failure);
                continue;
            }
            throw fail("reading", failure.what());
        }
    }
}

// --- the actor -------------------------------------------------------------------------

void database::state::enqueue(std::unique_ptr<database_request> item) {
    {
        std::lock_guard lock(mutex);
        if (!stopping) {
            // The actor only sleeps on an empty queue.
            bool was_empty = pending.empty();
            pending.push_back(std::move(item));
            if (was_empty)
                wake.notify_one();
            return;
        }
    }
    item->outcome = std::make_exception_ptr(database_error(
        params.path, item->op_name, "the database is shut down; nothing was done", 0));
    complete(std::move(item));
}

void database::state::complete(std::unique_ptr<database_request> item) {
    std::vector<std::unique_ptr<database_request>> one;
    one.push_back(std::move(item));
    complete_all(one);
}

void database::state::complete_all(std::vector<std::unique_ptr<database_request>>& items) {
    // One post per caller executor, not per request: a batch of thousands then costs the
    // I/O thread one wake-up instead of thousands of cross-thread hand-offs.
    std::vector<std::pair<asio::any_io_executor, deliver_all>> groups;
    for (auto& item : items) {
        if (!item)
            continue;
        auto group = std::find_if(groups.begin(), groups.end(),
                                  [&item](const auto& g) { return g.first == item->executor; });
        if (group == groups.end()) {
            groups.emplace_back(item->executor, deliver_all{});
            group = std::prev(groups.end());
        }
        group->second.deliveries.emplace_back(std::move(*item->handler), item->outcome);
        // The work (and what it captured) dies here, on the actor thread, before the
        // caller resumes: the caller owns nothing the actor still touches.
        item.reset();
    }
    for (auto& [executor, deliveries] : groups)
        asio::post(executor, std::move(deliveries));
}

void database::state::run() {
    // Finalized when run() returns, before the connection closes.
    detail::statement_cache cache(*connection);
    detail::cache_scope scope(cache);
    for (;;) {
        std::vector<std::unique_ptr<database_request>> reads;
        std::vector<std::unique_ptr<database_request>> writes;
        {
            std::unique_lock lock(mutex);
            wake.wait(lock, [this] { return !pending.empty() || stopping; });
            if (pending.empty())
                return; // stopping, and everything accepted is done
            while (!pending.empty() &&
                   (!pending.front()->is_write || writes.size() < params.max_batch_writes)) {
                auto& target = pending.front()->is_write ? writes : reads;
                target.push_back(std::move(pending.front()));
                pending.pop_front();
            }
        }
        for (auto& item : reads) {
            run_read(*item);
            complete(std::move(item));
        }
        if (!writes.empty()) {
            try {
                run_batch(writes);
            } catch (...) {
                // Not SQLite (that is handled inside): out of memory or a bug. The
                // waiters still get an answer rather than a coroutine that never resumes.
                auto failure = std::current_exception();
                rollback();
                for (auto& item : writes)
                    item->outcome = item->outcome ? item->outcome : failure;
            }
            complete_all(writes);
        }
    }
}

void database::state::backoff(int retry,
                              const std::string& what,
                              const SQLite::Exception& failure) {
    auto delay = retry_delay(params, retry);
    log::warning("database " + params.path.string() + " is locked (" + what + ": " +
                 failure.what() + "); retry " + std::to_string(retry) + "/" +
                 std::to_string(params.max_attempts - 1) + " in " + seconds_text(delay));
    ++busy_retries;
    auto slept_from = clock::now();
    std::this_thread::sleep_for(delay);
    busy_wait_ms += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - slept_from).count());
}

void database::state::record(const std::string& name, clock::duration elapsed, bool ok) {
    metrics.record(name, elapsed, ok);
    const auto threshold = params.slow_operation_threshold;
    if (threshold.count() <= 0 || elapsed < threshold)
        return;
    ++slow_operations;
    auto now = clock::now();
    auto& entry = slow_log[name];
    if (entry.last != clock::time_point{} && now - entry.last < std::chrono::seconds(10)) {
        ++entry.held_back;
        return;
    }
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.0f ms",
                  std::chrono::duration<double, std::milli>(elapsed).count());
    std::string line = "slow database operation: " + name + " took " + ms + " (threshold " +
                       std::to_string(threshold.count()) + " ms; " + params.path.string() + ")";
    if (entry.held_back > 0)
        line += "; " + std::to_string(entry.held_back) + " more slow " + name +
                " since the last warning";
    log::warning(line);
    entry.last = now;
    entry.held_back = 0;
}

void database::state::run_read(database_request& item) {
    ++reads;
    for (int attempt = 1;; ++attempt) {
        try {
            item.work(*connection);
            item.outcome = nullptr;
        } catch (const SQLite::Exception& failure) {
            rollback();
            if (is_busy(failure.getErrorCode()) && attempt < params.max_attempts) {
                backoff(attempt, item.op_name, failure);
                continue;
            }
            item.outcome = wrap(item.op_name, failure);
        } catch (...) {
            item.outcome = std::current_exception();
        }
        break;
    }
    // A read that opened a transaction and threw must not leave it open for the batch.
    rollback();
    bool ok = item.outcome == nullptr;
    reads_failed += ok ? 0 : 1;
    record(item.op_name, clock::now() - item.enqueued, ok);
}

void database::state::run_batch(std::vector<std::unique_ptr<database_request>>& writes) {
    auto started = clock::now();
    std::uint64_t size = writes.size();
    for (auto seen = largest_batch.load();
         size > seen && !largest_batch.compare_exchange_weak(seen, size);) {
    }
    // Fails every write still in play, each under its own name: "append_status (its
    // batch's commit) failed: database or disk is full".
    auto fail_remaining = [this, &writes](const std::string& step,
                                          const SQLite::Exception& failure) {
        for (auto& item : writes) {
            if (!item->done) {
                item->outcome = wrap(item->op_name + " (its batch's " + step + ")", failure);
                item->done = true;
            }
        }
    };

    bool committed = false;
    int attempt = 1;
    for (;;) {
        bool aborted = false; // SQLite rolled the whole transaction back under one write
        std::string step = "begin transaction";
        try {
            connection->exec("BEGIN IMMEDIATE");
            for (auto& item : writes) {
                if (item->done)
                    continue;
                step = "savepoint";
                connection->exec("SAVEPOINT grin_write");
                try {
                    item->work(*connection);
                    connection->exec("RELEASE grin_write");
                    item->outcome = nullptr;
                } catch (const SQLite::Exception& failure) {
                    if (is_busy(failure.getErrorCode()))
                        throw;
                    item->outcome = wrap(item->op_name, failure);
                    item->done = true;
                } catch (...) {
                    item->outcome = std::current_exception();
                    item->done = true;
                }
                if (item->done) {
                    if (!in_transaction()) {
                        aborted = true;
                        break;
                    }
                    connection->exec("ROLLBACK TO grin_write");
                    connection->exec("RELEASE grin_write");
                }
            }
            if (!aborted) {
                step = "commit";
                connection->exec("COMMIT");
            }
        } catch (const SQLite::Exception& failure) {
            rollback();
            if (is_busy(failure.getErrorCode()) && attempt < params.max_attempts) {
                backoff(attempt, step, failure);
                ++attempt;
                continue;
            }
            fail_remaining(step, failure);
            break;
        }
        if (aborted) {
            rollback();
            continue; // again, without the write that broke the transaction
        }
        ++transactions;
        committed = true;
        break;
    }

    auto finished = clock::now();
    for (auto& item : writes) {
        bool ok = item->outcome == nullptr;
        (ok ? writes_committed : writes_failed) += 1;
        record(item->op_name, finished - item->enqueued, ok);
    }
    record("batch_commit", finished - started, committed);
}

// --- the caller's side -----------------------------------------------------------------

namespace {

struct enqueue_initiation {
    database::state* owner;

    template <class Handler>
    void operator()(Handler&& handler, std::unique_ptr<database_request> item) const {
        auto executor = asio::get_associated_executor(handler);
        item->executor = asio::prefer(asio::any_io_executor(executor),
                                      asio::execution::outstanding_work.tracked);
        item->handler.emplace(std::forward<Handler>(handler));
        owner->enqueue(std::move(item));
    }
};

template <class Token>
auto async_enqueue(database::state& owner, std::unique_ptr<database_request> item, Token&& token) {
    return asio::async_initiate<Token, void(std::exception_ptr)>(enqueue_initiation{&owner}, token,
                                                                 std::move(item));
}

} // namespace

asio::awaitable<void> database::submit(request_kind kind, std::string op_name, erased_work work) {
    if (kind == request_kind::write && state_->params.read_only)
        throw grin::error("database opened read-only: " + op_name + " refused (" +
                              state_->params.path.string() + ")",
                          {.step = "database"});
    auto item = std::make_unique<database_request>();
    item->is_write = kind == request_kind::write;
    item->op_name = std::move(op_name);
    item->work = std::move(work);
    item->enqueued = clock::now();
    co_await async_enqueue(*state_, std::move(item), asio::use_awaitable);
}

database::database(database_params params) : state_(std::make_unique<state>(std::move(params))) {
    state_->open();
    state_->thread = std::thread([raw = state_.get()] { raw->run(); });
}

database::~database() {
    stop();
}

void database::stop() {
    {
        std::lock_guard lock(state_->mutex);
        state_->stopping = true;
        state_->wake.notify_all();
    }
    if (state_->thread.joinable())
        state_->thread.join();
    // Closing here (not in the destructor) lets a process that must leave at once
    // (the second Ctrl-C) close the database cleanly first: WAL checkpointed and removed.
    state_->connection.reset();
}

const std::filesystem::path& database::path() const noexcept {
    return state_->params.path;
}

database_stats database::stats() const {
    database_stats result;
    result.transactions = state_->transactions;
    result.writes_committed = state_->writes_committed;
    result.writes_failed = state_->writes_failed;
    result.reads = state_->reads;
    result.reads_failed = state_->reads_failed;
    result.busy_retries = state_->busy_retries;
    result.busy_wait_ms = state_->busy_wait_ms;
    result.slow_operations = state_->slow_operations;
    result.largest_batch = state_->largest_batch;
    return result;
}

std::vector<op_summary> database::metrics() const {
    return state_->metrics.snapshot();
}

op_summary database::overall_metrics() const {
    return state_->metrics.overall();
}

std::thread::id database::actor_thread_id() const noexcept {
    return state_->thread.get_id();
}

} // namespace grin::db
