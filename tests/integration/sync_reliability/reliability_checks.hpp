#pragma once
// Checks shared by the sync reliability tests: the state a sync leaves behind (status
// rows, stored archives and OCR text, storage temporaries), read from the database and
// the storage directory, and compared with what the emulator built.
#include <grin/archive/gunzip.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sync_fixture.hpp"

namespace grin::test {

// Barcodes of the catalogue, by index.
inline std::vector<std::string> catalogue_barcodes(const library_shape& shape) {
    emulator::catalogue catalogue(shape.catalogue());
    std::vector<std::string> barcodes;
    for (std::uint64_t i = 0; i < catalogue.size(); ++i)
        barcodes.push_back(catalogue.barcode_at(i));
    return barcodes;
}

struct status_row {
    std::string type, value, metadata;
};

// Every book_status_history row of `barcode`, oldest first.
inline std::vector<status_row> status_rows(const std::filesystem::path& database,
                                           const std::string& barcode) {
    SQLite::Database db(database.string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(db, "SELECT status_type, status_value, coalesce(metadata, '') FROM "
                                "book_status_history WHERE barcode = ? ORDER BY id");
    query.bind(1, barcode);
    std::vector<status_row> rows;
    while (query.executeStep())
        rows.push_back({query.getColumn(0).getString(), query.getColumn(1).getString(),
                        query.getColumn(2).getString()});
    return rows;
}

// Barcodes with at least one status row.
inline std::set<std::string> barcodes_with_status(const std::filesystem::path& database) {
    SQLite::Database db(database.string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(db, "SELECT DISTINCT barcode FROM book_status_history");
    std::set<std::string> barcodes;
    while (query.executeStep())
        barcodes.insert(query.getColumn(0).getString());
    return barcodes;
}

// Storage temporaries: ".<name>.tmp.XXXXXX" anywhere under `root`.
inline std::set<std::filesystem::path> storage_temporaries(const std::filesystem::path& root) {
    std::set<std::filesystem::path> found;
    std::error_code ignored;
    if (!std::filesystem::exists(root, ignored))
        return found;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
        auto name = entry.path().filename().string();
        if (!name.empty() && name.front() == '.' && name.find(".tmp.") != std::string::npos)
            found.insert(entry.path());
    }
    return found;
}

// "" when `file` is gzip'd JSONL with at least one line, each line one JSON string (one
// page of text); otherwise what is wrong.
inline std::string ocr_problem(const std::filesystem::path& file) {
    std::error_code missing;
    if (!std::filesystem::is_regular_file(file, missing))
        return "missing: " + file.string();
    std::string text;
    try {
        text = archive::gunzip(sync_fixture::slurp(file));
    } catch (const std::exception& e) {
        return "not gzip: " + std::string(e.what());
    }
    if (text.empty())
        return "empty after gunzip";
    std::istringstream lines(text);
    std::string line;
    std::size_t count = 0;
    while (std::getline(lines, line)) {
        ++count;
        auto page = nlohmann::json::parse(line, nullptr, false);
        if (page.is_discarded() || !page.is_string())
            return "line " + std::to_string(count) + " is not a JSON string: " + line.substr(0, 80);
    }
    return count == 0 ? "no lines" : "";
}

} // namespace grin::test
