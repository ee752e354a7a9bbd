#include <grin/api/barcode.hpp>
#include <grin/core/error.hpp>
#include <grin/emulator/catalogue.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <set>

using namespace grin::emulator;

namespace {
catalogue_params params(std::uint64_t seed, std::uint64_t count) {
    catalogue_params p;
    p.seed = seed;
    p.book_count = count;
    p.converted_fraction = 0.5;
    p.failed_fraction = 0.1;
    return p;
}
} // namespace

TEST(catalogue, same_parameters_same_books) {
    catalogue a(params(42, 500)), b(params(42, 500));
    for (std::uint64_t i = 0; i < 500; i += 7) {
        auto x = a.at(i), y = b.at(i);
        EXPECT_EQ(x.barcode, y.barcode);
        EXPECT_EQ(x.title, y.title);
        EXPECT_EQ(x.state, y.state);
        EXPECT_EQ(x.scanned, y.scanned);
        EXPECT_EQ(x.google_books_id, y.google_books_id);
        EXPECT_EQ(x.enrichment.ocr_gtd_score, y.enrichment.ocr_gtd_score);
        EXPECT_EQ(x.pages, y.pages);
    }
}

TEST(catalogue, seed_and_library_change_the_books) {
    catalogue a(params(1, 100)), b(params(2, 100));
    auto other_library = params(1, 100);
    other_library.library = "NYPL";
    catalogue c(other_library);
    int same_ab = 0, same_ac = 0;
    for (std::uint64_t i = 0; i < 100; ++i) {
        same_ab += a.barcode_at(i) == b.barcode_at(i);
        same_ac += a.barcode_at(i) == c.barcode_at(i);
    }
    EXPECT_LT(same_ab, 3);
    EXPECT_LT(same_ac, 3);
}

TEST(catalogue, barcodes_are_unique_valid_and_reversible) {
    catalogue cat(params(7, 20000));
    std::set<std::string> seen;
    for (std::uint64_t i = 0; i < cat.size(); ++i) {
        auto barcode = cat.barcode_at(i);
        ASSERT_TRUE(grin::api::is_valid_barcode(barcode)) << barcode;
        ASSERT_EQ(barcode.size(), 6u);
        ASSERT_TRUE(seen.insert(barcode).second) << "duplicate " << barcode;
        ASSERT_EQ(cat.index_of(barcode), i);
    }
    EXPECT_FALSE(cat.index_of("abcdef")); // lower case is never generated
    EXPECT_FALSE(cat.index_of("ABC"));
    // Barcodes of the space that are not among the 20,000 books.
    int unknown = 0;
    for (auto candidate : {"000000", "ZZZZZZ", "HX4Q2A", "123ABC", "QQQQQQ"}) {
        unknown += !cat.index_of(candidate).has_value();
    }
    EXPECT_GE(unknown, 4);
    EXPECT_THROW(cat.at(20000), std::out_of_range);
}

TEST(catalogue, numeric_barcodes) {
    auto p = params(3, 1000);
    p.style = barcode_style::numeric14;
    catalogue cat(p);
    for (std::uint64_t i = 0; i < 1000; i += 37) {
        auto b = cat.barcode_at(i);
        EXPECT_EQ(b.size(), 14u);
        EXPECT_EQ(b.substr(0, 5), "33433");
        EXPECT_EQ(cat.index_of(b), i);
    }
}

TEST(catalogue, fractions_and_state_rules) {
    catalogue cat(params(11, 20000));
    std::uint64_t converted = 0, failed = 0;
    for (std::uint64_t i = 0; i < cat.size(); ++i) {
        auto b = cat.at(i);
        ASSERT_FALSE(b.converted && b.failed);
        ASSERT_EQ(b.converted, cat.is_converted(i));
        ASSERT_EQ(b.failed, cat.is_failed(i));
        converted += b.converted;
        failed += b.failed;
        if (b.converted) {
            ASSERT_TRUE(b.state == state_converted || b.state == state_previously_downloaded);
            ASSERT_TRUE(b.converted_at.has_value());
        }
        if (b.failed) {
            ASSERT_TRUE(b.convert_failed.has_value());
            ASSERT_FALSE(b.convert_failed_info.empty());
        }
        ASSERT_EQ(b.title.empty(), b.state == state_not_available) << b.barcode;
        ASSERT_GE(b.pages, cat.params().min_pages);
        ASSERT_LE(b.pages, cat.params().max_pages);
        // Text that must survive HTML and TSV unchanged: no tabs/newlines/double spaces.
        ASSERT_EQ(b.title.find_first_of("\t\n\r"), std::string::npos);
        ASSERT_EQ(b.title.find("  "), std::string::npos);
    }
    EXPECT_NEAR(static_cast<double>(converted) / 20000, 0.5, 0.02);
    EXPECT_NEAR(static_cast<double>(failed) / 20000, 0.1, 0.01);
}

TEST(catalogue, million_books_cost_nothing_up_front) {
    auto start = std::chrono::steady_clock::now();
    catalogue cat(params(5, 1'000'000));
    auto last = cat.at(999'999);
    EXPECT_EQ(cat.index_of(last.barcode), 999'999u);
    auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_LT(elapsed, std::chrono::milliseconds(200));
}

TEST(catalogue, dates_format) {
    grin_time t{2008, 3, 4, 5, 6};
    EXPECT_EQ(t.full(), "2008/03/04 05:06");
    EXPECT_EQ(t.date_only(), "2008/03/04");
}

TEST(catalogue, bad_parameters_are_fatal) {
    auto p = params(1, 10);
    p.converted_fraction = 0.8;
    p.failed_fraction = 0.3;
    EXPECT_THROW(catalogue{p}, grin::fatal);
    p = params(1, 10);
    p.library = "a/b";
    EXPECT_THROW(catalogue{p}, grin::fatal);
    p = params(1, 3'000'000'000ULL);
    EXPECT_THROW(catalogue{p}, grin::fatal);
}
