#include <grin/core/error.hpp>
#include <grin/db/check.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace grin::db {

namespace {

std::string read_only_uri(const std::filesystem::path& path) {
    std::error_code ignored;
    auto sibling = [&path, &ignored](const char* suffix) {
        auto file = path;
        file += suffix;
        return std::filesystem::exists(file, ignored);
    };
    // As database_params::read_only: immutable without a WAL, else the WAL read through
    // the existing -shm opened read-only.
    std::string query = "immutable=1";
    if (sibling("-wal"))
        query = sibling("-shm") ? "mode=ro&readonly_shm=1" : "mode=ro";
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
    return uri + "?" + query;
}

std::uint64_t pragma_number(SQLite::Database& connection, const char* name) {
    SQLite::Statement query(connection, std::string("PRAGMA ") + name);
    return query.executeStep() ? static_cast<std::uint64_t>(query.getColumn(0).getInt64()) : 0;
}

std::optional<std::uint64_t> row_count(SQLite::Database& connection, const std::string& table) {
    if (!connection.tableExists(table))
        return std::nullopt;
    SQLite::Statement query(connection, "SELECT COUNT(*) FROM \"" + table + "\"");
    query.executeStep();
    return static_cast<std::uint64_t>(query.getColumn(0).getInt64());
}

std::uint64_t size_of(const std::filesystem::path& path) {
    std::error_code failed;
    auto size = std::filesystem::file_size(path, failed);
    return failed ? 0 : size;
}

std::string human(std::uint64_t bytes) {
    char text[32];
    if (bytes >= 1024 * 1024)
        std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / 1048576.0);
    else if (bytes >= 1024)
        std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(bytes) / 1024.0);
    else
        std::snprintf(text, sizeof text, "%llu bytes", static_cast<unsigned long long>(bytes));
    return text;
}

void read_sizes(SQLite::Database& connection, check_report& report) {
    try {
        SQLite::Statement query(connection,
                                "SELECT d.name, COALESCE(m.type, 'table'), SUM(d.pgsize), "
                                "COUNT(*) FROM dbstat AS d LEFT JOIN sqlite_master AS m "
                                "ON m.name = d.name GROUP BY d.name ORDER BY 3 DESC LIMIT 10");
        while (query.executeStep())
            report.largest.push_back(
                {.name = query.getColumn(0).getString(),
                 .type = query.getColumn(1).getString(),
                 .bytes = static_cast<std::uint64_t>(query.getColumn(2).getInt64()),
                 .pages = static_cast<std::uint64_t>(query.getColumn(3).getInt64()),
                 .rows = std::nullopt});
        report.dbstat_available = true;
        return;
    } catch (const SQLite::Exception& failure) {
        if (std::string(failure.what()).find("dbstat") == std::string::npos)
            throw;
    }
    // No dbstat in this SQLite: row counts per table instead.
    std::vector<std::string> tables;
    SQLite::Statement list(connection, "SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite_%'");
    while (list.executeStep())
        tables.push_back(list.getColumn(0).getString());
    for (const auto& table : tables)
        report.largest.push_back({.name = table,
                                  .type = "table",
                                  .bytes = std::nullopt,
                                  .pages = std::nullopt,
                                  .rows = row_count(connection, table)});
    std::sort(report.largest.begin(), report.largest.end(),
              [](const object_size& a, const object_size& b) { return a.rows > b.rows; });
    if (report.largest.size() > 10)
        report.largest.resize(10);
}

} // namespace

check_report check_database(const std::filesystem::path& path) {
    std::error_code ignored;
    if (!std::filesystem::is_regular_file(path, ignored))
        throw fatal("database " + path.string() +
                    " does not exist (check --run-name and --output-root)");
    check_report report;
    report.path = path;
    report.file_bytes = size_of(path);
    auto wal = path;
    wal += "-wal";
    report.wal_bytes = size_of(wal);
    try {
        SQLite::Database connection(read_only_uri(path), SQLite::OPEN_READONLY | SQLite::OPEN_URI |
                                                             SQLite::OPEN_NOMUTEX);
        connection.exec("PRAGMA busy_timeout = 5000");
        report.page_size = pragma_number(connection, "page_size");
        report.page_count = pragma_number(connection, "page_count");
        report.freelist_count = pragma_number(connection, "freelist_count");
        {
            SQLite::Statement integrity(connection, "PRAGMA integrity_check(100)");
            while (integrity.executeStep()) {
                std::string line = integrity.getColumn(0).getString();
                if (line != "ok")
                    report.problems.push_back(line);
            }
        }
        report.books = row_count(connection, "books");
        report.status_history = row_count(connection, "book_status_history");
        read_sizes(connection, report);
    } catch (const SQLite::Exception& failure) {
        report.problems.push_back(failure.what());
    }
    report.ok = report.problems.empty();
    return report;
}

nlohmann::json to_json(const check_report& report) {
    nlohmann::json largest = nlohmann::json::array();
    for (const auto& object : report.largest) {
        nlohmann::json entry = {{"name", object.name}, {"type", object.type}};
        if (object.bytes)
            entry["bytes"] = *object.bytes;
        if (object.pages)
            entry["pages"] = *object.pages;
        if (object.rows)
            entry["rows"] = *object.rows;
        largest.push_back(std::move(entry));
    }
    auto optional = [](const std::optional<std::uint64_t>& value) {
        return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
    };
    return {{"path", report.path.string()},
            {"ok", report.ok},
            {"integrity", report.ok ? "ok" : "problems"},
            {"problems", report.problems},
            {"page_size", report.page_size},
            {"page_count", report.page_count},
            {"freelist_count", report.freelist_count},
            {"file_bytes", report.file_bytes},
            {"wal_bytes", report.wal_bytes},
            {"rows",
             {{"books", optional(report.books)},
              {"book_status_history", optional(report.status_history)}}},
            {"sizes_from", report.dbstat_available ? "dbstat" : "row counts (no dbstat)"},
            {"largest", largest}};
}

std::string to_text(const check_report& report) {
    std::ostringstream out;
    out << "Database: " << report.path.string() << '\n';
    if (report.ok) {
        out << "Integrity: ok\n";
    } else {
        out << "Integrity: PROBLEMS FOUND\n";
        for (const auto& problem : report.problems)
            out << "  " << problem << '\n';
    }
    out << "Pages: " << report.page_count << " x " << report.page_size << " bytes ("
        << human(report.page_count * report.page_size) << "), " << report.freelist_count
        << " free\n";
    out << "File: " << human(report.file_bytes)
        << ", WAL: " << (report.wal_bytes ? human(report.wal_bytes) : std::string("none")) << '\n';
    auto count = [](const std::optional<std::uint64_t>& value) {
        return value ? std::to_string(*value) : std::string("(no table)");
    };
    out << "Rows: books " << count(report.books) << ", book_status_history "
        << count(report.status_history) << '\n';
    if (!report.largest.empty()) {
        out << (report.dbstat_available
                    ? "Largest tables and indexes (dbstat):\n"
                    : "Largest tables by rows (this SQLite has no dbstat table, so sizes per "
                      "table and index are not available):\n");
        for (const auto& object : report.largest) {
            out << "  " << object.type << ' ' << object.name << ": ";
            if (object.bytes)
                out << human(*object.bytes) << " (" << *object.pages << " pages)";
            else if (object.rows)
                out << *object.rows << " rows";
            out << '\n';
        }
    }
    return out.str();
}

} // namespace grin::db
