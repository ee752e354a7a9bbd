#pragma once
// What one _barcode_search answer means for the books it was asked about
// (grin-transfer-behaviour.md 1.6, grin-protocol.md 1.6): each returned row becomes one
// update of the 24 mapped columns with grin-transfer's COALESCE semantics, and every asked
// barcode GRIN did not return is "attempted": its enrichment_timestamp is set, no data.
// Pure functions, thread-safe.
#include <grin/api/tsv.hpp>
#include <grin/db/queries.hpp>

#include <span>
#include <string>
#include <vector>

namespace grin::enrich {

struct book_update {
    std::string barcode;
    // All 24 mapped columns, in api::barcode_search_db_columns order. A column in the TSV
    // header carries its cell (an empty cell is "" and overwrites, as the reference does;
    // a short row's missing cells are ""); a column GRIN did not send is nullopt, which
    // COALESCE(?, col) turns into "keep the stored value".
    std::vector<db::queries::column_value> columns;
};

struct batch_updates {
    std::vector<book_update> found;     // one per asked barcode GRIN returned, in its order
    std::vector<std::string> not_found; // asked, not returned: marked attempted
};

// Rows for barcodes that were not asked for are ignored; a barcode returned twice is
// updated once (the first row wins).
batch_updates updates_for(const api::enrichment_table& table, std::span<const std::string> asked);

} // namespace grin::enrich
