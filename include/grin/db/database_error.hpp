#pragma once
// A failed database operation: a grin::error (context.step == "database") whose message
// names the database file and the operation, and which keeps SQLite's result code so
// that a caller can tell a constraint violation from a full disk.
#include <grin/core/error.hpp>

#include <filesystem>
#include <string>

namespace grin::db {

class database_error : public grin::error {
public:
    // "database /run/books.db: upsert_books failed: UNIQUE constraint failed: ... (sqlite
    // code 2067)"
    database_error(const std::filesystem::path& path,
                   const std::string& operation,
                   const std::string& reason,
                   int sqlite_code);

    // SQLite's extended result code (e.g. 2067 SQLITE_CONSTRAINT_UNIQUE, 13 SQLITE_FULL);
    // 0 when the failure did not come from SQLite.
    int sqlite_code() const noexcept { return sqlite_code_; }

private:
    int sqlite_code_;
};

} // namespace grin::db
