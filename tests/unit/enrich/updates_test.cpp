// A _barcode_search answer -> the books.db updates (grin-transfer's COALESCE semantics).
#include <grin/enrich/updates.hpp>

#include <gtest/gtest.h>

using namespace grin;

namespace {

std::optional<std::string> column(const enrich::book_update& update, std::string_view name) {
    for (const auto& c : update.columns)
        if (c.name == name)
            return c.value;
    ADD_FAILURE() << "no column " << name;
    return std::nullopt;
}

std::string full_header() {
    std::string header;
    for (auto name : api::barcode_search_columns)
        header += (header.empty() ? "" : "\t") + std::string(name);
    return header + "\n";
}

} // namespace

TEST(enrich_updates, every_mapped_column_is_written_from_its_header) {
    std::string row = "B001";
    for (std::size_t i = 1; i < api::barcode_search_columns.size(); ++i)
        row += "\tv" + std::to_string(i);
    auto table = api::parse_barcode_search(full_header() + row + "\n");
    std::vector<std::string> asked{"B001"};
    auto updates = enrich::updates_for(table, asked);
    ASSERT_EQ(updates.found.size(), 1u);
    EXPECT_TRUE(updates.not_found.empty());
    const auto& update = updates.found[0];
    EXPECT_EQ(update.barcode, "B001");
    ASSERT_EQ(update.columns.size(), 24u);
    // Each DB column carries the cell under its header, wherever that header sits.
    for (const auto& [header, db_column] : api::barcode_search_db_columns) {
        auto at = std::find(api::barcode_search_columns.begin(), api::barcode_search_columns.end(),
                            header) -
                  api::barcode_search_columns.begin();
        EXPECT_EQ(column(update, db_column), "v" + std::to_string(at)) << header;
    }
}

// "" overwrites (GRIN said empty); a column GRIN did not send is nullopt (keep the value).
TEST(enrich_updates, empty_cell_overwrites_missing_column_preserves) {
    auto table = api::parse_barcode_search("Barcode\tState\tAudit\nB001\tCONVERTED\t\n");
    std::vector<std::string> asked{"B001"};
    auto updates = enrich::updates_for(table, asked);
    ASSERT_EQ(updates.found.size(), 1u);
    EXPECT_EQ(column(updates.found[0], "grin_state"), "CONVERTED");
    EXPECT_EQ(column(updates.found[0], "grin_audit"), "");
    EXPECT_EQ(column(updates.found[0], "grin_viewability"), std::nullopt);
    EXPECT_EQ(column(updates.found[0], "ocr_date"), std::nullopt);
}

// A short row is padded with "": its trailing columns are written empty.
TEST(enrich_updates, short_row_pads_with_empty_strings) {
    auto table = api::parse_barcode_search("Barcode\tState\tViewability\tRubbish\nB001\tNEW\n");
    std::vector<std::string> asked{"B001"};
    auto updates = enrich::updates_for(table, asked);
    ASSERT_EQ(updates.found.size(), 1u);
    EXPECT_EQ(column(updates.found[0], "grin_state"), "NEW");
    EXPECT_EQ(column(updates.found[0], "grin_viewability"), "");
    EXPECT_EQ(column(updates.found[0], "grin_rubbish"), "");
    EXPECT_EQ(column(updates.found[0], "grin_claimed"), std::nullopt);
}

TEST(enrich_updates, unreturned_barcodes_are_attempted_and_unasked_rows_ignored) {
    auto table =
        api::parse_barcode_search("Barcode\tState\nB002\tNEW\nZZZ9\tNEW\nB002\tCONVERTED\n");
    std::vector<std::string> asked{"B001", "B002", "B003"};
    auto updates = enrich::updates_for(table, asked);
    ASSERT_EQ(updates.found.size(), 1u);
    EXPECT_EQ(updates.found[0].barcode, "B002");
    EXPECT_EQ(column(updates.found[0], "grin_state"), "NEW"); // the first row wins
    EXPECT_EQ(updates.not_found, (std::vector<std::string>{"B001", "B003"}));
}

TEST(enrich_updates, header_only_answer_marks_everything_attempted) {
    auto table = api::parse_barcode_search(full_header());
    std::vector<std::string> asked{"B001", "B002"};
    auto updates = enrich::updates_for(table, asked);
    EXPECT_TRUE(updates.found.empty());
    EXPECT_EQ(updates.not_found, asked);
}
