#pragma once
// archive::extract_marc: the MARC fields grin-transfer's EXTRACT_MARC reads from a METS
// document (grin-protocol.md 3.5), as the books table's marc_* columns.
//
// The record is the first `.//mets:dmdSec/mets:mdWrap/mets:xmlData/slim:record` below the
// root element (namespaces by URI, prefixes irrelevant; each step a direct child), parsed
// with pugixml. Values are stripped of surrounding whitespace (Python's str.strip set);
// repeated fields are joined with ", "; 650/655 lose trailing dots; 035 keeps values with
// "(OCoLC)"; 008 positions are read only when the field has at least 40 bytes.
// Deliberate fix (grin-transfer-behaviour.md, bug 28): a date in 008[7:11]/[11:15] is kept
// when it is four ASCII digits other than "9999"; grin-transfer also dropped every year
// containing "999", e.g. 1999.
//
// Never throws for bad input (only std::bad_alloc): a document that is not well-formed or
// has no record gives found == false with the reason in `problem`.
// Thread-safe (no shared state).
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grin::archive {

// Same shape as db::queries::column_value, so the caller converts field by field.
struct marc_field {
    std::string column; // "marc_title", ...
    std::optional<std::string> value;
};

struct marc_result {
    bool found = false;                       // a MARC record was found
    std::string problem;                      // why not, when !found
    std::vector<marc_field> fields;           // every column of marc_columns(), in that order
    std::size_t field_count() const noexcept; // fields with a value
};

// The 17 columns filled here (marc_extraction_timestamp is the caller's).
const std::array<std::string_view, 17>& marc_columns() noexcept;

marc_result extract_marc(std::string_view mets_xml);

} // namespace grin::archive
