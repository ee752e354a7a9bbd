#include <grin/net/retry.hpp>

#include <gtest/gtest.h>

using namespace std::chrono_literals;
using grin::net::backoff_delay;
using grin::net::retry_policy;

TEST(retry_policy, delays_double_and_are_capped) {
    retry_policy policy{.base_delay = 100ms, .max_delay = 1s, .jitter = 0.0};
    EXPECT_EQ(backoff_delay(policy, 1, std::nullopt, 0.5), 100ms);
    EXPECT_EQ(backoff_delay(policy, 2, std::nullopt, 0.5), 200ms);
    EXPECT_EQ(backoff_delay(policy, 3, std::nullopt, 0.5), 400ms);
    EXPECT_EQ(backoff_delay(policy, 10, std::nullopt, 0.5), 1s);
}

TEST(retry_policy, jitter_spreads_within_bounds) {
    retry_policy policy{.base_delay = 1s, .jitter = 0.25};
    EXPECT_EQ(backoff_delay(policy, 1, std::nullopt, 0.0), 750ms);
    EXPECT_EQ(backoff_delay(policy, 1, std::nullopt, 1.0), 1250ms);
}

TEST(retry_policy, retry_after_wins_but_is_capped) {
    retry_policy policy{.base_delay = 1s, .max_delay = 30s};
    EXPECT_EQ(backoff_delay(policy, 1, 7s, 0.5), 7s);
    EXPECT_EQ(backoff_delay(policy, 1, 600s, 0.5), 30s);
    policy.honour_retry_after = false;
    policy.jitter = 0;
    EXPECT_EQ(backoff_delay(policy, 1, 7s, 0.5), 1s);
}

TEST(retry_policy, parses_retry_after_seconds_and_dates) {
    auto now = std::chrono::system_clock::from_time_t(1445412480); // Wed, 21 Oct 2015 07:28:00
    EXPECT_EQ(grin::net::parse_retry_after(" 120 ", now), std::optional<grin::net::duration>(120s));
    EXPECT_EQ(grin::net::parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now),
              std::optional<grin::net::duration>(30s));
    EXPECT_EQ(grin::net::parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
              std::optional<grin::net::duration>(0s));
    EXPECT_FALSE(grin::net::parse_retry_after("soon", now));
    EXPECT_FALSE(grin::net::parse_retry_after("-5", now));
}
