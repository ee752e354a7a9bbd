#include <grin/core/time.hpp>

#include <gtest/gtest.h>

using namespace std::chrono;

TEST(time, iso8601_matches_python_isoformat) {
    grin::system_time when = grin::system_time{seconds{1756721700}} + microseconds{123456};
    EXPECT_EQ(grin::format_iso8601_utc(when), "2025-09-01T10:15:00.123456+00:00");
    EXPECT_EQ(grin::format_compact_utc(when), "20250901_101500");
}

TEST(time, durations_read_like_the_progress_line) {
    EXPECT_EQ(grin::format_duration(milliseconds{250}), "250ms");
    EXPECT_EQ(grin::format_duration(seconds{45}), "45.0s");
    EXPECT_EQ(grin::format_duration(seconds{66}), "1m 6s");
    EXPECT_EQ(grin::format_duration(seconds{32 * 3600 + 54 * 60 + 12}), "32h 54m");
    EXPECT_EQ(grin::format_duration(seconds{3 * 86400 + 4 * 3600}), "76h 0m");
    EXPECT_EQ(grin::format_duration(seconds{-5}), "0ms");
}
