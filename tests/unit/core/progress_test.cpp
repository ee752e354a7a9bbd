#include <grin/core/progress.hpp>

#include <gtest/gtest.h>

using namespace std::chrono;

TEST(progress, line_matches_the_reference_format) {
    EXPECT_EQ(grin::progress_head(20, 36048, 0.3, seconds{66}),
              "20/36,048 (0.1%) - 0.3 books/sec - elapsed: 1m 6s (ETA: 33h 21m)");
    EXPECT_EQ(grin::progress_head(5, 5, 2.0, seconds{3}),
              "5/5 (100.0%) - 2.0 books/sec - elapsed: 3.0s");
    EXPECT_EQ(grin::progress_head(0, 10, 0.0, milliseconds{500}),
              "0/10 (0.0%) - 0.0 books/sec - elapsed: 500ms");
}

TEST(progress, thousands_separators) {
    EXPECT_EQ(grin::with_thousands(0), "0");
    EXPECT_EQ(grin::with_thousands(999), "999");
    EXPECT_EQ(grin::with_thousands(1000), "1,000");
    EXPECT_EQ(grin::with_thousands(1234567), "1,234,567");
}

TEST(progress, rate_uses_the_window_and_smooths_jumps) {
    auto start = steady_clock::time_point{};
    grin::rate_calculator rate(3, start);
    rate.add(start + seconds{10}, 10); // one sample: overall average 10/10 s
    EXPECT_DOUBLE_EQ(rate.rate(), 1.0);
    rate.add(start + seconds{20}, 30); // window: 20 books in 10 s = 2/s, EMA 0.1*2+0.9*1
    EXPECT_DOUBLE_EQ(rate.rate(), 1.1);
    rate.add(start + seconds{30}, 30);
    rate.add(start + seconds{40}, 30); // window now (20,30)..(40,30): 0/s
    EXPECT_LT(rate.rate(), 1.1);
    EXPECT_GT(rate.rate(), 0.0);
}

TEST(progress, short_runs_are_not_rounded_up_to_a_second) {
    auto start = steady_clock::time_point{};
    grin::rate_calculator rate(5, start);
    rate.add(start + milliseconds{500}, 100);
    EXPECT_DOUBLE_EQ(rate.rate(), 200.0);
}
