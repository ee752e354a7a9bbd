#pragma once
// Prepared write statements kept for the life of the actor's connection. Preparing an
// INSERT or UPDATE on books (54 columns, several indexes) costs about as much as running
// it; the actor runs the same few statements hundreds of thousands of times.
//
// Only statements that run to completion (INSERT/UPDATE via exec()) are cached: a cached
// SELECT left mid-iteration would pin an old read snapshot across the next batch.
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace SQLite {
class Database;
class Statement;
} // namespace SQLite

namespace grin::db::detail {

class statement_cache {
public:
    explicit statement_cache(SQLite::Database& connection);
    // Finalizes every statement; must run before the connection closes.
    ~statement_cache();
    statement_cache(const statement_cache&) = delete;
    statement_cache& operator=(const statement_cache&) = delete;

    SQLite::Database& connection() const noexcept { return connection_; }
    // The statement for `sql`, reset and with its bindings cleared.
    SQLite::Statement& get(const std::string& sql);

private:
    SQLite::Database& connection_;
    std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>> statements_;
};

// Makes `cache` the calling thread's cache while alive (the actor thread, for its run).
class cache_scope {
public:
    explicit cache_scope(statement_cache& cache);
    ~cache_scope();
    cache_scope(const cache_scope&) = delete;
    cache_scope& operator=(const cache_scope&) = delete;

private:
    statement_cache* previous_;
};

// A ready statement for a write on `connection`: from the calling thread's cache when it
// serves that connection, else newly prepared into `holder`.
SQLite::Statement& prepare_write(SQLite::Database& connection,
                                 const std::string& sql,
                                 std::optional<SQLite::Statement>& holder);

} // namespace grin::db::detail
