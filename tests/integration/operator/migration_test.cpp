// Switching tools mid-collection: a run directory and books.db written by grin-transfer
// (its schema from the reference column list, its run_config.json, its status rows) is
// synced further by `grin sync pipeline`; then grin-transfer's admin queries
// (docs/sql-queries.md: latest status per barcode with window functions, counts by
// grin_state, velocity, running totals, a barcode list for --barcodes-file) run against
// the database both tools wrote.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>

#include "sync_fixture.hpp"

namespace grin::test {
namespace {

// grin-transfer's docs/schema.sql (grin-transfer-behaviour.md 3.1), written out here so
// that the test does not depend on our own schema code.
constexpr const char* grin_transfer_schema[] = {
    R"(CREATE TABLE IF NOT EXISTS books (
    barcode TEXT PRIMARY KEY, title TEXT,
    scanned_date TEXT, converted_date TEXT, downloaded_date TEXT, processed_date TEXT,
    analyzed_date TEXT, ocr_date TEXT, google_books_link TEXT,
    processing_request_timestamp TEXT,
    grin_state TEXT, grin_viewability TEXT, grin_opted_out TEXT, grin_conditions TEXT,
    grin_scannable TEXT, grin_tagging TEXT, grin_audit TEXT, grin_material_error_percent TEXT,
    grin_overall_error_percent TEXT, grin_claimed TEXT, grin_ocr_analysis_score TEXT,
    grin_ocr_gtd_score TEXT, grin_digitization_method TEXT, grin_check_in_date TEXT,
    grin_source_library_bibkey TEXT, grin_rubbish TEXT, grin_allow_download_updated_date TEXT,
    grin_viewability_updated_date TEXT, enrichment_timestamp TEXT,
    marc_control_number TEXT, marc_date_type TEXT, marc_date_1 TEXT, marc_date_2 TEXT,
    marc_language TEXT, marc_lccn TEXT, marc_lc_call_number TEXT, marc_isbn TEXT,
    marc_oclc_numbers TEXT, marc_title TEXT, marc_title_remainder TEXT,
    marc_author_personal TEXT, marc_author_corporate TEXT, marc_author_meeting TEXT,
    marc_subjects TEXT, marc_genres TEXT, marc_general_note TEXT,
    marc_extraction_timestamp TEXT,
    storage_path TEXT, last_etag_check TEXT, encrypted_etag TEXT,
    is_decrypted BOOLEAN DEFAULT FALSE, sync_timestamp TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL))",
    "CREATE TABLE IF NOT EXISTS processed (barcode TEXT PRIMARY KEY, timestamp TEXT NOT NULL, "
    "session_id INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS failed (barcode TEXT PRIMARY KEY, timestamp TEXT NOT NULL, "
    "session_id INTEGER NOT NULL, error_message TEXT)",
    "CREATE TABLE IF NOT EXISTS book_status_history (id INTEGER PRIMARY KEY AUTOINCREMENT, "
    "barcode TEXT NOT NULL, status_type TEXT NOT NULL, status_value TEXT NOT NULL, timestamp "
    "TEXT NOT NULL, session_id TEXT, metadata TEXT, FOREIGN KEY(barcode) REFERENCES "
    "books(barcode))",
    "CREATE INDEX IF NOT EXISTS idx_books_grin_state ON books(grin_state)",
    "CREATE INDEX IF NOT EXISTS idx_processed_session ON processed(session_id)",
    "CREATE INDEX IF NOT EXISTS idx_failed_session ON failed(session_id)",
    "CREATE INDEX IF NOT EXISTS idx_status_history_type ON book_status_history(status_type)",
    "CREATE INDEX IF NOT EXISTS idx_status_history_sync_completed ON "
    "book_status_history(status_type, status_value, barcode)",
};

constexpr std::uint64_t already_synced = 20; // by "grin-transfer", before the switch

// grin-transfer stores GRIN dates as naive ISO ("2024-01-15T10:30:00").
std::string iso(const std::optional<emulator::grin_time>& when) {
    if (!when)
        return "";
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:00", when->year, when->month,
                  when->day, when->hour, when->minute);
    return text;
}

class migration_fixture : public sync_fixture {
public:
    std::vector<std::string> columns_before;

    void SetUp() override {
        shape.books = 60;
        shape.converted = 1.0;
        start_emulator();
    }

    // What grin-transfer leaves after `collect` and a sync of the first books.
    void write_grin_transfer_run() {
        std::filesystem::create_directories(run_dir());
        std::filesystem::create_directories(storage_root());
        nlohmann::ordered_json config = {
            {"run_name", run_name},
            {"library_directory", shape.library},
            {"output_directory", run_dir().string()},
            {"sqlite_db_path", database().string()},
            {"storage_config",
             {{"type", "local"},
              {"protocol", "file"},
              {"config", {{"base_path", storage_root().string()}}},
              {"prefix", ""}}},
            {"sync_config",
             {{"task_check_concurrency", 2},
              {"task_download_concurrency", 4},
              {"task_decrypt_concurrency", 40},
              {"task_upload_concurrency", 20},
              {"task_unpack_concurrency", 20},
              {"task_extract_marc_concurrency", 20},
              {"task_extract_ocr_concurrency", 20},
              {"task_export_csv_concurrency", 20},
              {"task_cleanup_concurrency", 20},
              {"staging_dir", nullptr},
              {"disk_space_threshold", 0.9},
              {"compression_full_enabled", true},
              {"compression_meta_enabled", true}}},
            {"log_file",
             (work / "logs" / ("grin_pipeline_" + run_name + "_20250901_101500.log")).string()},
            {"secrets_dir", nullptr},
            // The only keys grin-transfer does not write: they point the run at the
            // emulator instead of books.google.com (absent, the real GRIN is used).
            {"grin_base_url", emulator.url + "/libraries/"},
            {"ca_file", emulator.ca_file}};
        std::ofstream(run_dir() / "run_config.json") << config.dump(2);

        SQLite::Database db(database().string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("PRAGMA journal_mode=WAL");
        for (const char* statement : grin_transfer_schema)
            db.exec(statement);
        emulator::catalogue catalogue(shape.catalogue());
        SQLite::Transaction transaction(db);
        SQLite::Statement book(db, "INSERT INTO books (barcode, title, scanned_date, "
                                   "converted_date, grin_state, created_at, updated_at) VALUES "
                                   "(?, ?, ?, ?, ?, ?, ?)");
        SQLite::Statement processed(db, "INSERT INTO processed VALUES (?, ?, 1756721700)");
        SQLite::Statement history(db, "INSERT INTO book_status_history (barcode, status_type, "
                                      "status_value, timestamp, session_id, metadata) VALUES "
                                      "(?, 'sync', ?, ?, NULL, ?)");
        for (std::uint64_t i = 0; i < catalogue.size(); ++i) {
            auto b = catalogue.at(i);
            book.bind(1, b.barcode);
            book.bind(2, b.title);
            book.bind(3, iso(b.scanned));
            book.bind(4, iso(b.converted_at));
            book.bind(5, b.state);
            book.bind(6, "2025-09-01T10:15:00.123456+00:00");
            book.bind(7, "2025-09-01T10:15:00.123456+00:00");
            book.exec();
            book.reset();
            processed.bind(1, b.barcode);
            processed.bind(2, "2025-09-01T10:15:00.123456+00:00");
            processed.exec();
            processed.reset();
            if (i >= already_synced)
                continue;
            // grin-transfer's sync of this book, an hour apart from the next ones.
            for (const char* value :
                 {"checked", "downloaded", "decrypted", "uploaded", "completed"}) {
                history.bind(1, b.barcode);
                history.bind(2, value);
                history.bind(3, "2025-09-01T0" + std::to_string(i % 3) + ":20:00.000000+00:00");
                history.bind(4, R"({"etag": "\"abc\""})");
                history.exec();
                history.reset();
            }
        }
        transaction.commit();
        SQLite::Statement info(db, "PRAGMA table_info(books)");
        while (info.executeStep())
            columns_before.push_back(info.getColumn(1).getString());
    }

    std::int64_t scalar(const std::string& sql) {
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        return db.execAndGet(sql).getInt64();
    }
};

TEST_F(migration_fixture, a_grin_transfer_run_is_synced_further_and_its_admin_queries_work) {
    write_grin_transfer_run();
    ASSERT_EQ(columns_before.size(), 54u);

    auto status = grin({"sync", "status", "--run-name", run_name, "--output-root",
                        output_root().string(), "--format", "json"});
    ASSERT_EQ(status.exit_code, 0) << status.output;
    auto counts = nlohmann::json::parse(status.output, nullptr, false);
    ASSERT_TRUE(counts.is_object()) << status.output;
    EXPECT_EQ(counts["synced"], already_synced) << status.output;

    auto result = sync({"--queue", "converted"});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    // Books grin-transfer completed are not downloaded again; every other one is, once.
    EXPECT_EQ(archive_downloads(), shape.books - already_synced);
    auto completed = completed_counts();
    ASSERT_EQ(completed.size(), shape.books);
    for (const auto& [barcode, rows] : completed)
        EXPECT_EQ(rows, 1) << barcode;
    EXPECT_EQ(integrity_check(), "ok");
    emulator::catalogue catalogue(shape.catalogue());
    for (std::uint64_t i = already_synced; i < shape.books; i += 7)
        EXPECT_EQ(slurp(archive_path(catalogue.barcode_at(i))), expected_archive(i));

    // grin-transfer can still read the database: its 54 columns first, in its order
    // (positional BookRecord(*row)), and its deprecated tables kept.
    SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
    SQLite::Statement info(db, "PRAGMA table_info(books)");
    std::vector<std::string> columns_after;
    while (info.executeStep())
        columns_after.push_back(info.getColumn(1).getString());
    ASSERT_GE(columns_after.size(), columns_before.size());
    EXPECT_TRUE(std::equal(columns_before.begin(), columns_before.end(), columns_after.begin()));
    EXPECT_EQ(db.execAndGet("SELECT COUNT(*) FROM processed").getInt64(), 60);
    EXPECT_TRUE(db.tableExists("failed"));

    // docs/sql-queries.md: the latest sync status of every book, with a window function.
    SQLite::Statement latest(db, R"(
        SELECT status_value, COUNT(*) FROM (
            SELECT barcode, status_value,
                   ROW_NUMBER() OVER (PARTITION BY barcode ORDER BY timestamp DESC, id DESC) AS rn
            FROM book_status_history WHERE status_type = 'sync')
        WHERE rn = 1 GROUP BY status_value)");
    std::map<std::string, std::int64_t> latest_counts;
    while (latest.executeStep())
        latest_counts[latest.getColumn(0).getString()] = latest.getColumn(1).getInt64();
    EXPECT_EQ(latest_counts, (std::map<std::string, std::int64_t>{{"completed", 60}}));

    // Counts by grin_state agree with the catalogue GRIN served.
    std::map<std::string, std::int64_t> expected_states;
    for (std::uint64_t i = 0; i < catalogue.size(); ++i)
        ++expected_states[catalogue.at(i).state];
    SQLite::Statement states(db, "SELECT grin_state, COUNT(*) AS books FROM books GROUP BY "
                                 "grin_state ORDER BY books DESC");
    std::map<std::string, std::int64_t> state_counts;
    while (states.executeStep())
        state_counts[states.getColumn(0).getString()] = states.getColumn(1).getInt64();
    EXPECT_EQ(state_counts, expected_states);

    // Velocity: books completed per hour, and the running total over the hours. The rows
    // of both tools sort together because both write ISO 8601 UTC timestamps.
    SQLite::Statement velocity(db, R"(
        SELECT hour, books, SUM(books) OVER (ORDER BY hour) AS running_total FROM (
            SELECT strftime('%Y-%m-%d %H:00', timestamp) AS hour, COUNT(DISTINCT barcode) AS books
            FROM book_status_history
            WHERE status_type = 'sync' AND status_value = 'completed'
            GROUP BY hour) ORDER BY hour)");
    std::int64_t hours = 0, sum = 0, running = 0;
    std::string first_hour;
    while (velocity.executeStep()) {
        if (hours++ == 0)
            first_hour = velocity.getColumn(0).getString();
        sum += velocity.getColumn(1).getInt64();
        running = velocity.getColumn(2).getInt64();
    }
    EXPECT_GE(hours, 4); // grin-transfer's three hours and ours
    EXPECT_EQ(first_hour, "2025-09-01 00:00");
    EXPECT_EQ(sum, 60);
    EXPECT_EQ(running, 60);

    // A barcode list for --barcodes-file, taken from the database by a query.
    SQLite::Statement list(db, "SELECT barcode FROM books WHERE barcode IN (SELECT barcode FROM "
                               "book_status_history WHERE status_type = 'sync' AND "
                               "status_value = 'completed' AND timestamp < '2026') ORDER BY "
                               "barcode");
    std::ofstream barcodes(work / "barcodes.txt");
    int listed = 0;
    while (list.executeStep()) {
        barcodes << list.getColumn(0).getString() << '\n';
        ++listed;
    }
    barcodes.close();
    EXPECT_EQ(listed, static_cast<int>(already_synced));
    auto planned = sync({"--barcodes-file", (work / "barcodes.txt").string(), "--dry-run"});
    EXPECT_EQ(planned.exit_code, 0) << planned.output;
}

} // namespace
} // namespace grin::test
