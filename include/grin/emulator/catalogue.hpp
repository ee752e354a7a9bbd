#pragma once
// The emulator's book catalogue for one library directory: a pure function of
// (seed, library, book count, converted fraction, failed fraction). Book i and the
// index of a barcode are computed in O(1) from the seed; nothing is generated up front,
// so a catalogue of 1,000,000 books costs nothing to create (DESIGN section 8).
// This is the STATIC catalogue; conversion requests and re-conversions live in
// library_state (router side).
// Immutable after construction: every const member is thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace grin::emulator {

enum class barcode_style {
    alphanumeric6, // "HX4Q2A" (Harvard-like), up to 36^6 books
    numeric14,     // "33433012345678" (NYPL-like), up to 10^9 books
};

struct catalogue_params {
    std::uint64_t seed = 1;
    std::string library = "Harvard"; // validated like a library directory
    std::uint64_t book_count = 100;
    double converted_fraction = 0.5; // share of books whose archive is downloadable
    double failed_fraction = 0.05;   // share listed in _failed (disjoint from converted)
    barcode_style style = barcode_style::alphanumeric6;
    // Pages per archive, uniformly in [min_pages, max_pages] (the archive size knob).
    std::uint32_t min_pages = 3;
    std::uint32_t max_pages = 12;
};

// Minute resolution, like GRIN.
struct grin_time {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0;
    std::string full() const;      // "2008/03/14 14:06" (TSV)
    std::string date_only() const; // "2008/03/14" (HTML lists)
    friend bool operator==(const grin_time&, const grin_time&) = default;
};

// States GRIN shows (grin-protocol.md 1.2, 7.1).
inline constexpr std::string_view state_new = "NEW";
inline constexpr std::string_view state_available = "AVAILABLE";
inline constexpr std::string_view state_checked_in = "CHECKED_IN";
inline constexpr std::string_view state_converted = "CONVERTED";
inline constexpr std::string_view state_previously_downloaded = "PREVIOUSLY_DOWNLOADED";
inline constexpr std::string_view state_not_available = "NOT_AVAILABLE_FOR_DOWNLOAD";
inline constexpr std::string_view state_in_process = "IN_PROCESS";

struct enrichment_fields {
    std::string viewability; // VIEW_FULL|VIEW_METADATA|VIEW_NONE|VIEW_SNIPPET
    std::string conditions;  // "11", "11,25", ""
    std::string scannable, opted_out, tagging, claimed, rubbish; // "true"|"false"|""
    std::string audit;                                           // "" or "5%"
    std::string material_error, overall_error;                   // "0%".."3%"
    std::string ocr_gtd_score, ocr_analysis_score;               // "70".."100"
    std::string digitization_method; // NON_DESTRUCTIVE|SHEETFED|DIGIFEED
    std::string source_library_bibkey;
    std::optional<grin_time> allow_download_updated, viewability_updated;
};

struct book {
    std::string library;
    std::uint64_t index = 0;
    std::string barcode;
    std::string title; // plain text; empty for NOT_AVAILABLE_FOR_DOWNLOAD
    std::string state;
    bool converted = false; // archive downloadable
    bool failed = false;    // listed in _failed
    std::optional<grin_time> check_in, scanned, processed, analyzed, converted_at, downloaded, ocr;
    std::string google_books_id; // "" when GRIN has no Google Books page yet
    std::optional<grin_time> convert_failed;
    std::string convert_failed_info, detailed_convert_failed_info;
    enrichment_fields enrichment;
    std::uint32_t pages = 0;
    std::string marc_control_number; // 18 digits, for the archive's METS
    std::string lccn;
    std::string oclc_number;
    std::string language; // MARC 008[35:38]
    int publication_year = 0;

    std::string google_books_link() const; // "" when google_books_id is
};

class catalogue {
public:
    // Throws grin::fatal when the parameters are unusable (fractions outside [0,1] or
    // summing above 1, more books than the barcode style can name, bad library name).
    explicit catalogue(catalogue_params params);

    const catalogue_params& params() const noexcept { return params_; }
    std::uint64_t size() const noexcept { return params_.book_count; }

    // Book i (0 <= i < size()); throws std::out_of_range otherwise.
    book at(std::uint64_t index) const;
    std::string barcode_at(std::uint64_t index) const;
    // The index of a barcode, or nullopt if it is not in this catalogue.
    std::optional<std::uint64_t> index_of(std::string_view barcode) const;
    // Whether book i is converted / failed, without building the whole record.
    bool is_converted(std::uint64_t index) const;
    bool is_failed(std::uint64_t index) const;

private:
    std::uint64_t class_draw(std::uint64_t index) const; // 0..999999

    catalogue_params params_;
    std::uint64_t library_key_ = 0;
    std::uint64_t domain_ = 0; // number of possible barcodes
    std::uint64_t multiplier_ = 0, multiplier_inverse_ = 0, offset_ = 0;
    std::uint64_t converted_ppm_ = 0, failed_ppm_ = 0;
};

} // namespace grin::emulator
