#include <grin/api/text_list.hpp>

#include <gtest/gtest.h>

using namespace grin::api;

TEST(text_list, in_process_mixed_forms) {
    auto l =
        parse_text_list("HX4Q2A.tar.gz.gpg\nHX4Q2B\r\n\n  HX4Q2C.tar.gz.gpg  \n../x\nab\nHX4Q2D");
    EXPECT_EQ(l.barcodes, (std::vector<std::string>{"HX4Q2A", "HX4Q2B", "HX4Q2C", "HX4Q2D"}));
    EXPECT_EQ(l.invalid, (std::vector<std::string>{"../x", "ab"}));
}

TEST(text_list, failed_text_rows_give_barcodes) {
    auto l = parse_text_list("TEST005\t2023/01/01 12:00\tProcess exceeded 3600s limit\n");
    EXPECT_EQ(l.barcodes, std::vector<std::string>{"TEST005"});
}

TEST(text_list, empty) {
    EXPECT_TRUE(parse_text_list("").barcodes.empty());
    EXPECT_TRUE(parse_text_list("\n\r\n  \n").barcodes.empty());
    EXPECT_TRUE(parse_text_list("\n\r\n  \n").invalid.empty());
}
