#pragma once
// db::check_database: a read-only health report of a run's books.db for `grin db check`:
// PRAGMA integrity_check, page size and count, freelist, file and WAL sizes, the row
// counts of books and book_status_history, and the largest tables and indexes (from the
// dbstat virtual table when this SQLite has it; otherwise row counts per table, and the
// report says so). Opens the file like database_params::read_only: nothing in the run
// directory is created or changed, and it is safe beside a running sync.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace grin::db {

struct object_size {
    std::string name;
    std::string type;                   // "table" or "index"
    std::optional<std::uint64_t> bytes; // from dbstat
    std::optional<std::uint64_t> pages; // from dbstat
    std::optional<std::uint64_t> rows;  // fallback without dbstat (tables only)
};

struct check_report {
    std::filesystem::path path;
    bool ok = false;                   // integrity_check said "ok" and nothing failed
    std::vector<std::string> problems; // integrity_check lines or the error that stopped it
    std::uint64_t page_size = 0;
    std::uint64_t page_count = 0;
    std::uint64_t freelist_count = 0;
    std::uint64_t file_bytes = 0;
    std::uint64_t wal_bytes = 0; // 0 when there is no -wal file
    std::optional<std::uint64_t> books;
    std::optional<std::uint64_t> status_history;
    bool dbstat_available = false;
    std::vector<object_size> largest; // largest first, at most 10
};

// Throws grin::fatal (exit 2) when the file does not exist; every other failure (not a
// database, corruption) is a problem in the report.
check_report check_database(const std::filesystem::path& path);

nlohmann::json to_json(const check_report& report);
std::string to_text(const check_report& report);

} // namespace grin::db
