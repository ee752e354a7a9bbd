#include <grin/db/database_error.hpp>

namespace grin::db {
namespace {

std::string compose(const std::filesystem::path& path,
                    const std::string& operation,
                    const std::string& reason,
                    int sqlite_code) {
    std::string text = "database " + path.string() + ": " + operation + " failed: " + reason;
    if (sqlite_code != 0)
        text += " (sqlite code " + std::to_string(sqlite_code) + ")";
    return text;
}

error_context database_step() {
    error_context context;
    context.step = "database";
    return context;
}

} // namespace

database_error::database_error(const std::filesystem::path& path,
                               const std::string& operation,
                               const std::string& reason,
                               int sqlite_code)
    : grin::error(compose(path, operation, reason, sqlite_code), database_step())
    , sqlite_code_(sqlite_code) {}

} // namespace grin::db
