#include <grin/core/atomic_file.hpp>
#include <grin/db/schema.hpp>
#include <grin/run/csv_export.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <nlohmann/json.hpp>

#include <map>
#include <span>

namespace grin::run {

std::string_view csv_label(std::string_view column) {
    static const std::map<std::string_view, std::string_view> labels = {
        {"barcode", "Barcode"},
        {"title", "Title"},
        {"scanned_date", "Scanned Date"},
        {"converted_date", "Converted Date"},
        {"downloaded_date", "Downloaded Date"},
        {"processed_date", "Processed Date"},
        {"analyzed_date", "Analyzed Date"},
        {"ocr_date", "OCR Date"},
        {"google_books_link", "Google Books Link"},
        {"processing_request_timestamp", "Processing Request Timestamp"},
        {"grin_state", "GRIN State"},
        {"grin_viewability", "GRIN Viewability"},
        {"grin_opted_out", "GRIN Opted Out"},
        {"grin_conditions", "GRIN Conditions"},
        {"grin_scannable", "GRIN Scannable"},
        {"grin_tagging", "GRIN Tagging"},
        {"grin_audit", "GRIN Audit"},
        {"grin_material_error_percent", "GRIN Material Error %"},
        {"grin_overall_error_percent", "GRIN Overall Error %"},
        {"grin_claimed", "GRIN Claimed"},
        {"grin_ocr_analysis_score", "GRIN OCR Analysis Score"},
        {"grin_ocr_gtd_score", "GRIN OCR GTD Score"},
        {"grin_digitization_method", "GRIN Digitization Method"},
        {"grin_check_in_date", "GRIN Check-In Date"},
        {"grin_source_library_bibkey", "GRIN Source Library Bibkey"},
        {"grin_rubbish", "GRIN Rubbish"},
        {"grin_allow_download_updated_date", "GRIN Allow Download Updated Date"},
        {"grin_viewability_updated_date", "GRIN Viewability Updated Date"},
        {"enrichment_timestamp", "Enrichment Timestamp"},
        {"marc_control_number", "MARC Control Number"},
        {"marc_date_type", "MARC Date Type"},
        {"marc_date_1", "MARC Date 1"},
        {"marc_date_2", "MARC Date 2"},
        {"marc_language", "MARC Language"},
        {"marc_lccn", "MARC LCCN"},
        {"marc_lc_call_number", "MARC LC Call Number"},
        {"marc_isbn", "MARC ISBN"},
        {"marc_oclc_numbers", "MARC OCLC Numbers"},
        {"marc_title", "MARC Title"},
        {"marc_title_remainder", "MARC Title Remainder"},
        {"marc_author_personal", "MARC Author Personal"},
        {"marc_author_corporate", "MARC Author Corporate"},
        {"marc_author_meeting", "MARC Author Meeting"},
        {"marc_subjects", "MARC Subjects"},
        {"marc_genres", "MARC Genres"},
        {"marc_general_note", "MARC General Note"},
        {"marc_extraction_timestamp", "MARC Extraction Timestamp"},
        {"storage_path", "Storage Path"},
        {"last_etag_check", "Last ETag Check"},
        {"encrypted_etag", "Encrypted ETag"},
        {"is_decrypted", "Is Decrypted"},
        {"sync_timestamp", "Sync Timestamp"},
        {"created_at", "Created At"},
        {"updated_at", "Updated At"},
    };
    auto found = labels.find(column);
    return found == labels.end() ? column : found->second;
}

std::string csv_field(std::string_view value) {
    if (value.find_first_of(",\"\r\n") == std::string_view::npos)
        return std::string(value);
    std::string quoted = "\"";
    for (char c : value) {
        if (c == '"')
            quoted += '"';
        quoted += c;
    }
    return quoted + "\"";
}

namespace {

// Streams every book in rowid order through `format_row` into `target`, in 1 MiB writes.
template <typename RowFormatter>
std::uint64_t write_books(SQLite::Database& connection,
                          const std::filesystem::path& target,
                          std::string header,
                          RowFormatter format_row) {
    auto columns = db::schema::book_columns();
    std::string select = "SELECT ";
    for (std::size_t i = 0; i < columns.size(); ++i)
        select += (i ? ", " : "") + std::string(columns[i]);
    select += " FROM books ORDER BY rowid";
    atomic_file file(target);
    std::string chunk = std::move(header);
    SQLite::Statement query(connection, select);
    std::uint64_t rows = 0;
    while (query.executeStep()) {
        format_row(query, columns, chunk);
        if (chunk.size() > (1 << 20)) {
            file.write(chunk);
            chunk.clear();
        }
        ++rows;
    }
    file.write(chunk);
    file.commit();
    return rows;
}

void append_csv_row(SQLite::Statement& query,
                    std::span<const std::string_view> columns,
                    std::string& out) {
    for (int i = 0; i < query.getColumnCount(); ++i) {
        if (i)
            out += ',';
        auto column = query.getColumn(i);
        if (column.isNull())
            continue;
        if (columns[static_cast<std::size_t>(i)] == "is_decrypted")
            out += column.getInt() ? "TRUE" : "FALSE";
        else
            out += csv_field(column.getString());
    }
    out += "\r\n";
}

void append_json_row(SQLite::Statement& query,
                     std::span<const std::string_view> columns,
                     std::string& out) {
    nlohmann::ordered_json row = nlohmann::ordered_json::object();
    for (int i = 0; i < query.getColumnCount(); ++i) {
        std::string name(columns[static_cast<std::size_t>(i)]);
        auto column = query.getColumn(i);
        if (column.isNull())
            row[name] = nullptr;
        else if (name == "is_decrypted")
            row[name] = column.getInt() != 0;
        else
            row[name] = column.getString();
    }
    out += row.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    out += '\n';
}

} // namespace

boost::asio::awaitable<std::uint64_t> export_books_csv(db::database& database,
                                                       std::filesystem::path target) {
    auto write_csv = [target](SQLite::Database& connection) -> std::uint64_t {
        std::string header;
        auto columns = db::schema::book_columns();
        for (std::size_t i = 0; i < columns.size(); ++i)
            header += (i ? "," : "") + csv_field(csv_label(columns[i]));
        return write_books(connection, target, header + "\r\n", append_csv_row);
    };
    co_return co_await database.read("export_csv", std::move(write_csv));
}

boost::asio::awaitable<std::uint64_t> export_books_jsonl(db::database& database,
                                                         std::filesystem::path target) {
    auto write_jsonl = [target](SQLite::Database& connection) -> std::uint64_t {
        return write_books(connection, target, "", append_json_row);
    };
    co_return co_await database.read("export_jsonl", std::move(write_jsonl));
}

} // namespace grin::run
