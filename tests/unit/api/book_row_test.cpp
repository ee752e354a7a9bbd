#include <grin/api/book_row.hpp>

#include <gtest/gtest.h>

using namespace grin::api;

TEST(book_row, date_conversion) {
    EXPECT_EQ(convert_grin_date("2008/03/14 14:06"), "2008-03-14T14:06:00");
    EXPECT_EQ(convert_grin_date("2008/3/4 1:06"), "2008-03-04T01:06:00");
    EXPECT_EQ(convert_grin_date("2024/02/29 23:59"), "2024-02-29T23:59:00");
    // Verbatim: date-only, invalid calendar values, other formats, trailing junk.
    for (std::string v :
         {"2008/03/14", "2023/02/29 10:00", "2008/13/01 10:00", "2008/03/14 24:00",
          "2023-01-01 12:00", "2008/03/14 14:06:30", "", "garbage", "2008/03/14 14:6x"}) {
        EXPECT_EQ(convert_grin_date(v), v);
    }
}

TEST(book_row, maps_columns_by_substring_in_rule_order) {
    list_row row;
    row.barcode = "HX4Q2A";
    row.values = {
        {"title", "Annals"},         {"scanned_date", "2008/03/14 14:06"},
        {"converted", "2025/06/17"}, {"downloaded", "2019/05/02"},
        {"processed", "2024/11/18"}, {"analyzed", "2024/11/19 01:10"},
        {"ocrd_date", "2024/11/19"}, {"google_books", "https://books.google.com/books?id=X"},
        {"status", "CONVERTED"},     {"checkbox_junk", "on"}};
    auto b = to_book_row(row);
    EXPECT_EQ(b.barcode, "HX4Q2A");
    EXPECT_EQ(b.title, "Annals");
    EXPECT_EQ(b.scanned_date, "2008-03-14T14:06:00");
    EXPECT_EQ(b.converted_date, "2025/06/17");
    EXPECT_EQ(b.downloaded_date, "2019/05/02");
    EXPECT_EQ(b.processed_date, "2024/11/18");
    EXPECT_EQ(b.analyzed_date, "2024-11-19T01:10:00");
    EXPECT_EQ(b.ocr_date, "2024/11/19");
    EXPECT_EQ(b.google_books_link, "https://books.google.com/books?id=X");
    EXPECT_EQ(b.grin_state, "CONVERTED");
}

TEST(book_row, link_needs_http_and_missing_fields_stay_empty) {
    list_row row;
    row.barcode = "ABC";
    row.values = {{"google_books", "View"}, {"state", "NEW"}};
    auto b = to_book_row(row);
    EXPECT_FALSE(b.google_books_link);
    EXPECT_FALSE(b.title);
    EXPECT_EQ(b.grin_state, "NEW");
    EXPECT_TRUE(title_unexpectedly_missing(b));
    b.grin_state = "NOT_AVAILABLE_FOR_DOWNLOAD";
    EXPECT_FALSE(title_unexpectedly_missing(b));
}

TEST(book_row, title_rule_beats_later_rules) {
    // "title_state" contains both "title" and "state": the first rule wins.
    list_row row;
    row.barcode = "ABC";
    row.values = {{"title_state", "x"}, {"ocr_books", "https://b/"}};
    auto b = to_book_row(row);
    EXPECT_EQ(b.title, "x");
    EXPECT_FALSE(b.grin_state);
    EXPECT_EQ(b.ocr_date, "https://b/");
    EXPECT_FALSE(b.google_books_link);
}
