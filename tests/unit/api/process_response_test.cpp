#include <grin/api/process_response.hpp>
#include <grin/core/error.hpp>

#include <gtest/gtest.h>

using namespace grin::api;

TEST(process_response, classification_of_real_and_fixture_wordings) {
    EXPECT_EQ(classify_process_status("Success"), process_outcome::requested);
    EXPECT_EQ(classify_process_status(" success "), process_outcome::requested);
    EXPECT_EQ(classify_process_status("Already available for download"),
              process_outcome::already_available);
    EXPECT_EQ(classify_process_status("Book is already in process for conversion"),
              process_outcome::in_process);
    EXPECT_EQ(classify_process_status("Already in process"), process_outcome::in_process);
    // Our deliberate decision (grin-transfer says "unavailable" here).
    EXPECT_EQ(classify_process_status("Already being converted"), process_outcome::in_process);
    EXPECT_EQ(classify_process_status("Not allowed to be downloaded"),
              process_outcome::unavailable);
    EXPECT_EQ(classify_process_status("Other error"), process_outcome::unavailable);
    EXPECT_EQ(classify_process_status("Book not available for conversion"),
              process_outcome::unavailable);
    EXPECT_EQ(classify_process_status("Successful?"), process_outcome::unavailable);
    EXPECT_EQ(to_string(process_outcome::in_process), "in_process");
}

TEST(process_response, parses_rows_in_order) {
    auto e = parse_process_response(
        "Barcode\tStatus\r\nAAA111\tSuccess\r\nBBB222\t Already being converted \n\n");
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].barcode, "AAA111");
    EXPECT_EQ(e[0].outcome, process_outcome::requested);
    EXPECT_EQ(e[1].status, "Already being converted");
    EXPECT_EQ(e[1].outcome, process_outcome::in_process);
    EXPECT_TRUE(parse_process_response("barcode\tstatus\n").empty());
}

TEST(process_response, malformed_bodies_throw_parse_errors) {
    for (std::string body : {"", "Barcode Status\nA\tSuccess", "Name\tStatus\nAAA111\tSuccess",
                             "Barcode\tStatus\nAAA111", "Barcode\tStatus\nAAA111\tSuccess\tmore",
                             "Barcode\tStatus\n../x\tSuccess"}) {
        try {
            parse_process_response(body);
            FAIL() << "accepted: " << body;
        } catch (const grin::error& e) {
            EXPECT_EQ(e.context().step, "parse");
        }
    }
}

TEST(process_response, single_barcode_contract) {
    EXPECT_EQ(parse_single_process_response("Barcode\tStatus\nAAA111\tSuccess\n", "AAA111").outcome,
              process_outcome::requested);
    EXPECT_THROW(parse_single_process_response("Barcode\tStatus\n", "AAA111"), grin::error);
    EXPECT_THROW(parse_single_process_response("Barcode\tStatus\nBBB222\tSuccess\n", "AAA111"),
                 grin::error);
    EXPECT_THROW(parse_single_process_response(
                     "Barcode\tStatus\nAAA111\tSuccess\nAAA111\tSuccess\n", "AAA111"),
                 grin::error);
}
