#include <grin/core/atomic_file.hpp>
#include <grin/db/schema.hpp>
#include <grin/run/csv_export.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <map>

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

boost::asio::awaitable<std::uint64_t> export_books_csv(db::database& database,
                                                       std::filesystem::path target) {
    auto write_csv = [target](SQLite::Database& connection) -> std::uint64_t {
        auto columns = db::schema::book_columns();
        std::string select = "SELECT ";
        std::string line;
        for (std::size_t i = 0; i < columns.size(); ++i) {
            select += (i ? ", " : "") + std::string(columns[i]);
            line += (i ? "," : "") + csv_field(csv_label(columns[i]));
        }
        select += " FROM books ORDER BY rowid";
        atomic_file file(target);
        file.write(line + "\r\n");
        SQLite::Statement query(connection, select);
        std::uint64_t rows = 0;
        std::string chunk;
        while (query.executeStep()) {
            line.clear();
            for (int i = 0; i < query.getColumnCount(); ++i) {
                if (i)
                    line += ',';
                auto column = query.getColumn(i);
                if (column.isNull())
                    continue;
                if (columns[static_cast<std::size_t>(i)] == "is_decrypted")
                    line += column.getInt() ? "TRUE" : "FALSE";
                else
                    line += csv_field(column.getString());
            }
            chunk += line + "\r\n";
            if (chunk.size() > (1 << 20)) {
                file.write(chunk);
                chunk.clear();
            }
            ++rows;
        }
        file.write(chunk);
        file.commit();
        return rows;
    };
    co_return co_await database.read("export_csv", std::move(write_csv));
}

} // namespace grin::run
