// A DB batch as _barcode_search URLs, each with the barcodes it asks for; the lines enrich
// prints.
#include <grin/enrich/progress.hpp>
#include <grin/enrich/url_batches.hpp>

#include <gtest/gtest.h>

using namespace grin;

TEST(enrich_url_batches, every_barcode_in_exactly_one_url_in_order) {
    std::vector<std::string> barcodes;
    for (int i = 0; i < 2000; ++i)
        barcodes.push_back("33433" + std::to_string(100000000 + i));
    auto batches = enrich::url_batches("https://books.google.com/libraries/", "Harvard", barcodes);
    ASSERT_GT(batches.size(), 2u);
    std::vector<std::string> seen;
    for (const auto& batch : batches) {
        EXPECT_LE(batch.url.size(), api::default_barcode_search_url_chars);
        std::string joined;
        for (const auto& b : batch.barcodes)
            joined += (joined.empty() ? "" : "+") + b;
        EXPECT_TRUE(batch.url.ends_with("barcodes=" + joined));
        seen.insert(seen.end(), batch.barcodes.begin(), batch.barcodes.end());
    }
    EXPECT_EQ(seen, barcodes);
}

TEST(enrich_progress, progress_and_completed_lines) {
    EXPECT_EQ(enrich::progress_line({.processed = 1200,
                                     .total = 5000,
                                     .books_per_second = 240.0,
                                     .requests_per_second = 3.1}),
              "Progress: 1,200/5,000 processed (240.0 books/sec, 3.1 req/s) ETA 16s");
    EXPECT_EQ(enrich::progress_line({.processed = 5000, .total = 5000, .books_per_second = 10}),
              "Progress: 5,000/5,000 processed (10.0 books/sec, 0.0 req/s)");
    auto done = enrich::completed_line({.processed = 5000,
                                        .enriched = 4990,
                                        .not_found = 10,
                                        .failed = 0,
                                        .failed_batches = 0,
                                        .requests = 12,
                                        .elapsed = std::chrono::seconds(4)});
    EXPECT_EQ(done, "Completed: 5,000 processed, 4,990 enriched, 0 failed in 4.0s (1250.0 "
                    "books/sec, 12 requests; 10 not known to GRIN)");
    auto failing = enrich::completed_line({.processed = 5000,
                                           .enriched = 4000,
                                           .failed = 1000,
                                           .failed_batches = 2,
                                           .requests = 12,
                                           .elapsed = std::chrono::seconds(4)});
    EXPECT_NE(failing.find("1,000 failed (2 requests failed after retries; rerun to retry them)"),
              std::string::npos)
        << failing;
}
