#include <grin/api/tsv.hpp>

#include <gtest/gtest.h>

using namespace grin::api;

TEST(barcode_search_tsv, reference_row) {
    std::string header;
    for (auto c : barcode_search_columns) {
        header += (header.empty() ? "" : "\t") + std::string(c);
    }
    std::string row =
        "HX4Q2A\t2008/03/07 07:42\tCONVERTED\tVIEW_FULL\t11\ttrue\tfalse\ttrue\t\t0%\t0%\t"
        "2008/03/14 14:06\t2024/11/19 00:19\t2024/11/19 01:10\t2025/06/17 19:02\t\t"
        "2009/03/26 01:24\t\t\t2025/07/17 11:53\tfalse\t96\t96\tNON_DESTRUCTIVE\t2024/11/19 00:40";
    auto t = parse_barcode_search(header + "\n" + row + "\n");
    ASSERT_EQ(t.header.size(), 25u);
    ASSERT_EQ(t.rows.size(), 1u);
    const auto& r = t.rows[0];
    EXPECT_EQ(r.barcode, "HX4Q2A");
    EXPECT_EQ(r.field("State"), "CONVERTED");
    EXPECT_EQ(r.field("Check-In Date"), "2008/03/07 07:42");
    EXPECT_EQ(r.field("Audit"), "");
    EXPECT_EQ(r.field("OCR'd Date"), "2024/11/19 00:40");
    EXPECT_EQ(r.field("Digitization Method"), "NON_DESTRUCTIVE");
    EXPECT_EQ(r.field("Claimed"), "false");
    EXPECT_FALSE(r.field("Nonexistent"));
    EXPECT_EQ(r.fields.size(), 24u);
}

TEST(barcode_search_tsv, by_name_padding_truncation_crlf_blank_lines) {
    auto t = parse_barcode_search("  \r\nBarcode\tViewability\tState\r\n"
                                  "AAA111\tVIEW_NONE\r\n"
                                  "\r\n"
                                  "BBB222\tVIEW_FULL\tNEW\textra\tcells\r\n"
                                  "bad barcode\tx\ty\n"
                                  "CCC333\t\t\n\n");
    EXPECT_EQ(t.header, (std::vector<std::string>{"Barcode", "Viewability", "State"}));
    ASSERT_EQ(t.rows.size(), 3u);
    EXPECT_EQ(t.rows[0].field("State"), ""); // padded
    EXPECT_EQ(t.rows[0].field("Viewability"), "VIEW_NONE");
    EXPECT_EQ(t.rows[1].field("State"), "NEW"); // no '\r', extra cells dropped
    EXPECT_EQ(t.rows[1].fields.size(), 2u);
    EXPECT_EQ(t.rows[2].barcode, "CCC333");
    EXPECT_EQ(t.invalid_barcodes, std::vector<std::string>{"bad barcode"});
}

TEST(barcode_search_tsv, header_only_and_empty) {
    EXPECT_TRUE(parse_barcode_search("Barcode\tState\n").rows.empty());
    auto empty = parse_barcode_search("");
    EXPECT_TRUE(empty.rows.empty());
    EXPECT_TRUE(empty.header.empty());
}

TEST(barcode_search_tsv, db_column_map_covers_every_non_key_column) {
    for (std::size_t i = 1; i < barcode_search_columns.size(); ++i) {
        bool found = false;
        for (auto& [tsv, db] : barcode_search_db_columns) {
            found = found || tsv == barcode_search_columns[i];
        }
        EXPECT_TRUE(found) << barcode_search_columns[i];
    }
}
