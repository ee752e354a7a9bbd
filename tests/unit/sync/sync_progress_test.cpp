#include <grin/sync/sync_progress.hpp>

#include <gtest/gtest.h>

using namespace grin::sync;
using namespace std::chrono_literals;

TEST(sync_progress, the_line_has_the_reference_format) {
    stage_snapshot stages{.downloads_active = 1,
                          .downloads_limit = 5,
                          .processing = 29,
                          .waiting_to_download = 100,
                          .waiting_to_be_processed = 0};
    EXPECT_EQ(format_progress_line(20, 36048, 0.3, 66s, stages),
              "20/36,048 (0.1%) - 0.3 books/sec - elapsed: 1m 6s (ETA: 33h 21m) [downloads: "
              "1/5, processing: 29, waiting to download: 100, waiting to be processed: 0]");
}

TEST(sync_progress, prints_every_n_books_and_at_the_last_one) {
    std::vector<std::pair<std::string, bool>> printed;
    progress_reporter reporter(
        45, [&](const std::string& line, bool live) { printed.emplace_back(line, live); }, 20,
        std::chrono::seconds(3600));
    for (int i = 0; i < 45; ++i)
        reporter.book_done({});
    ASSERT_EQ(printed.size(), 3u);
    EXPECT_EQ(printed[0].first.rfind("20/45 (44.4%)", 0), 0u) << printed[0].first;
    EXPECT_EQ(printed[1].first.rfind("40/45", 0), 0u);
    EXPECT_EQ(printed[2].first.rfind("45/45 (100.0%)", 0), 0u);
    EXPECT_TRUE(printed[0].second);  // live while books remain
    EXPECT_FALSE(printed[2].second); // the last line stays
    reporter.tick({});
    EXPECT_EQ(printed.size(), 3u); // nothing new within the interval
}

TEST(sync_progress, a_tick_prints_when_nothing_was_printed_for_the_interval) {
    int printed = 0;
    progress_reporter reporter(
        10, [&](const std::string&, bool) { ++printed; }, 20, std::chrono::seconds(0));
    reporter.tick({});
    EXPECT_EQ(printed, 1);
}
