#pragma once
// The enrichment TSV of `_barcode_search?...&format=text&mode=full` (grin-protocol.md
// 1.6): line 1 is the header, every further line one book, first column the barcode.
// Columns are found by header NAME, so GRIN may add, drop or reorder columns. Pure
// functions, thread-safe.
#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grin::api {

// The 25 columns in the order GRIN (and the emulator) sends them.
inline constexpr std::array<std::string_view, 25> barcode_search_columns{
    "Barcode",
    "Check-In Date",
    "State",
    "Viewability",
    "Conditions",
    "Scannable",
    "Opted-Out (post-scan)",
    "Tagging",
    "Audit",
    "Material Error%",
    "Overall Error%",
    "Scanned Date",
    "Processed Date",
    "Analyzed Date",
    "Converted Date",
    "Allow Download Updated Date",
    "Viewability Updated Date",
    "Source Library Bibkey",
    "Rubbish",
    "Downloaded Date",
    "Claimed",
    "OCR GTD Score",
    "OCR Analysis Score",
    "Digitization Method",
    "OCR'd Date",
};

// TSV header -> `books` column that enrichment writes (grin-transfer's BookRecord grin_tsv
// metadata). "Barcode" is the key, not a column.
inline constexpr std::array<std::pair<std::string_view, std::string_view>, 24>
    barcode_search_db_columns{{
        {"State", "grin_state"},
        {"Viewability", "grin_viewability"},
        {"Opted-Out (post-scan)", "grin_opted_out"},
        {"Conditions", "grin_conditions"},
        {"Scannable", "grin_scannable"},
        {"Tagging", "grin_tagging"},
        {"Audit", "grin_audit"},
        {"Material Error%", "grin_material_error_percent"},
        {"Overall Error%", "grin_overall_error_percent"},
        {"Claimed", "grin_claimed"},
        {"OCR Analysis Score", "grin_ocr_analysis_score"},
        {"OCR GTD Score", "grin_ocr_gtd_score"},
        {"Digitization Method", "grin_digitization_method"},
        {"Check-In Date", "grin_check_in_date"},
        {"Source Library Bibkey", "grin_source_library_bibkey"},
        {"Rubbish", "grin_rubbish"},
        {"Allow Download Updated Date", "grin_allow_download_updated_date"},
        {"Viewability Updated Date", "grin_viewability_updated_date"},
        {"Scanned Date", "scanned_date"},
        {"Converted Date", "converted_date"},
        {"Downloaded Date", "downloaded_date"},
        {"Processed Date", "processed_date"},
        {"Analyzed Date", "analyzed_date"},
        {"OCR'd Date", "ocr_date"},
    }};

struct enrichment_row {
    std::string barcode;
    // Header name -> value for EVERY header column (short rows padded with ""): an empty
    // string is GRIN saying "empty" and overwrites; a column GRIN did not send is absent
    // and keeps the stored value (1.6, COALESCE).
    std::map<std::string, std::string> fields;

    std::optional<std::string> field(const std::string& header) const;
};

struct enrichment_table {
    std::vector<std::string> header;
    std::vector<enrichment_row> rows; // rows with a valid barcode, in body order
    std::vector<std::string> invalid_barcodes;
};

// Surrounding whitespace of the body is ignored; lines end in LF or CRLF (the '\r' is
// dropped, unlike Python which kept it in the last column); empty lines are skipped;
// cells are kept verbatim apart from that; long rows are truncated to the header.
// Non-UTF-8 bytes are replaced (Latin-1 reading, see text_util). Header-only and empty
// bodies give no rows. Never throws (std::bad_alloc aside).
enrichment_table parse_barcode_search(std::string_view body);

} // namespace grin::api
