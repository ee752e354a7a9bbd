#include <grin/db/detail/statement_cache.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

namespace grin::db::detail {
namespace {

thread_local statement_cache* current_cache = nullptr;

} // namespace

statement_cache::statement_cache(SQLite::Database& connection) : connection_(connection) {}

statement_cache::~statement_cache() = default;

SQLite::Statement& statement_cache::get(const std::string& sql) {
    auto found = statements_.find(sql);
    if (found == statements_.end()) {
        auto statement = std::make_unique<SQLite::Statement>(connection_, sql);
        return *statements_.emplace(sql, std::move(statement)).first->second;
    }
    SQLite::Statement& statement = *found->second;
    statement.reset();
    statement.clearBindings();
    return statement;
}

cache_scope::cache_scope(statement_cache& cache) : previous_(current_cache) {
    current_cache = &cache;
}

cache_scope::~cache_scope() {
    current_cache = previous_;
}

SQLite::Statement& prepare_write(SQLite::Database& connection,
                                 const std::string& sql,
                                 std::optional<SQLite::Statement>& holder) {
    if (current_cache && &current_cache->connection() == &connection)
        return current_cache->get(sql);
    return holder.emplace(connection, sql);
}

} // namespace grin::db::detail
