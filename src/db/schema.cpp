#include <grin/db/schema.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <array>
#include <string>

namespace grin::db::schema {
namespace {

constexpr std::array<std::string_view, 54> books_columns = {
    "barcode",
    "title",
    "scanned_date",
    "converted_date",
    "downloaded_date",
    "processed_date",
    "analyzed_date",
    "ocr_date",
    "google_books_link",
    "processing_request_timestamp",
    "grin_state",
    "grin_viewability",
    "grin_opted_out",
    "grin_conditions",
    "grin_scannable",
    "grin_tagging",
    "grin_audit",
    "grin_material_error_percent",
    "grin_overall_error_percent",
    "grin_claimed",
    "grin_ocr_analysis_score",
    "grin_ocr_gtd_score",
    "grin_digitization_method",
    "grin_check_in_date",
    "grin_source_library_bibkey",
    "grin_rubbish",
    "grin_allow_download_updated_date",
    "grin_viewability_updated_date",
    "enrichment_timestamp",
    "marc_control_number",
    "marc_date_type",
    "marc_date_1",
    "marc_date_2",
    "marc_language",
    "marc_lccn",
    "marc_lc_call_number",
    "marc_isbn",
    "marc_oclc_numbers",
    "marc_title",
    "marc_title_remainder",
    "marc_author_personal",
    "marc_author_corporate",
    "marc_author_meeting",
    "marc_subjects",
    "marc_genres",
    "marc_general_note",
    "marc_extraction_timestamp",
    "storage_path",
    "last_etag_check",
    "encrypted_etag",
    "is_decrypted",
    "sync_timestamp",
    "created_at",
    "updated_at",
};

// Same statements (and column types) as grin-transfer's docs/schema.sql at HEAD.
constexpr std::array<std::string_view, 9> grin_transfer_ddl = {
    R"sql(CREATE TABLE IF NOT EXISTS books (
    barcode TEXT PRIMARY KEY,
    title TEXT,
    scanned_date TEXT,
    converted_date TEXT,
    downloaded_date TEXT,
    processed_date TEXT,
    analyzed_date TEXT,
    ocr_date TEXT,
    google_books_link TEXT,
    processing_request_timestamp TEXT,
    grin_state TEXT,
    grin_viewability TEXT,
    grin_opted_out TEXT,
    grin_conditions TEXT,
    grin_scannable TEXT,
    grin_tagging TEXT,
    grin_audit TEXT,
    grin_material_error_percent TEXT,
    grin_overall_error_percent TEXT,
    grin_claimed TEXT,
    grin_ocr_analysis_score TEXT,
    grin_ocr_gtd_score TEXT,
    grin_digitization_method TEXT,
    grin_check_in_date TEXT,
    grin_source_library_bibkey TEXT,
    grin_rubbish TEXT,
    grin_allow_download_updated_date TEXT,
    grin_viewability_updated_date TEXT,
    enrichment_timestamp TEXT,
    marc_control_number TEXT,
    marc_date_type TEXT,
    marc_date_1 TEXT,
    marc_date_2 TEXT,
    marc_language TEXT,
    marc_lccn TEXT,
    marc_lc_call_number TEXT,
    marc_isbn TEXT,
    marc_oclc_numbers TEXT,
    marc_title TEXT,
    marc_title_remainder TEXT,
    marc_author_personal TEXT,
    marc_author_corporate TEXT,
    marc_author_meeting TEXT,
    marc_subjects TEXT,
    marc_genres TEXT,
    marc_general_note TEXT,
    marc_extraction_timestamp TEXT,
    storage_path TEXT,
    last_etag_check TEXT,
    encrypted_etag TEXT,
    is_decrypted BOOLEAN DEFAULT FALSE,
    sync_timestamp TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
))sql",
    R"sql(CREATE TABLE IF NOT EXISTS processed (
    barcode TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    session_id INTEGER NOT NULL
))sql",
    R"sql(CREATE TABLE IF NOT EXISTS failed (
    barcode TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL,
    session_id INTEGER NOT NULL,
    error_message TEXT
))sql",
    R"sql(CREATE TABLE IF NOT EXISTS book_status_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    barcode TEXT NOT NULL,
    status_type TEXT NOT NULL,
    status_value TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    session_id TEXT,
    metadata TEXT,
    FOREIGN KEY (barcode) REFERENCES books(barcode)
))sql",
    "CREATE INDEX IF NOT EXISTS idx_books_grin_state ON books(grin_state)",
    "CREATE INDEX IF NOT EXISTS idx_processed_session ON processed(session_id)",
    "CREATE INDEX IF NOT EXISTS idx_failed_session ON failed(session_id)",
    "CREATE INDEX IF NOT EXISTS idx_status_history_type ON book_status_history(status_type)",
    "CREATE INDEX IF NOT EXISTS idx_status_history_sync_completed ON "
    "book_status_history(status_type, status_value, barcode)",
};

constexpr std::array<migration, 1> all_migrations = {{
    {1, "index for the latest status of one book (queries::latest_status)",
     "CREATE INDEX IF NOT EXISTS idx_grin_sync_status_barcode_type "
     "ON book_status_history(barcode, status_type, id)"},
}};

bool has_table(SQLite::Database& connection, const char* name) {
    SQLite::Statement query(connection,
                            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
    query.bind(1, name);
    return query.executeStep();
}

} // namespace

std::span<const std::string_view> book_columns() {
    return books_columns;
}
std::span<const std::string_view> grin_transfer_statements() {
    return grin_transfer_ddl;
}
std::span<const migration> migrations() {
    return all_migrations;
}
int latest_version() {
    return all_migrations.empty() ? 0 : all_migrations.back().version;
}

int version(SQLite::Database& connection) {
    if (!has_table(connection, "grin_sync_schema"))
        return 0;
    SQLite::Statement query(connection, "SELECT MAX(version) FROM grin_sync_schema");
    if (!query.executeStep() || query.getColumn(0).isNull())
        return 0;
    return query.getColumn(0).getInt();
}

int apply(SQLite::Database& connection) {
    SQLite::Transaction transaction(connection, SQLite::TransactionBehavior::IMMEDIATE);
    for (std::string_view statement : grin_transfer_ddl)
        connection.exec(std::string(statement));
    connection.exec("CREATE TABLE IF NOT EXISTS grin_sync_schema ("
                    "version INTEGER NOT NULL, applied_at TEXT NOT NULL, description TEXT)");
    int current = version(connection);
    for (const migration& step : all_migrations) {
        if (step.version <= current)
            continue;
        connection.exec(std::string(step.sql));
        SQLite::Statement record(connection,
                                 "INSERT INTO grin_sync_schema (version, applied_at, description) "
                                 "VALUES (?, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), ?)");
        record.bind(1, step.version);
        record.bind(2, std::string(step.description));
        record.exec();
        current = step.version;
    }
    transaction.commit();
    return current;
}

} // namespace grin::db::schema
