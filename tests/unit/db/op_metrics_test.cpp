#include <grin/db/op_metrics.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <vector>

using namespace std::chrono;

TEST(op_metrics, percentile_interpolates_between_ranks) {
    std::vector<double> four = {1, 2, 3, 4};
    EXPECT_DOUBLE_EQ(grin::db::percentile(four, 0.5), 2.5);
    EXPECT_DOUBLE_EQ(grin::db::percentile(four, 0.0), 1);
    EXPECT_DOUBLE_EQ(grin::db::percentile(four, 1.0), 4);

    std::vector<double> hundred;
    for (int i = 1; i <= 100; ++i)
        hundred.push_back(i);
    // numpy.percentile(range(1, 101), [50, 95, 99]) == [50.5, 95.05, 99.01]
    EXPECT_DOUBLE_EQ(grin::db::percentile(hundred, 0.50), 50.5);
    EXPECT_NEAR(grin::db::percentile(hundred, 0.95), 95.05, 1e-9);
    EXPECT_NEAR(grin::db::percentile(hundred, 0.99), 99.01, 1e-9);

    std::vector<double> one = {7};
    EXPECT_DOUBLE_EQ(grin::db::percentile(one, 0.99), 7);
    EXPECT_DOUBLE_EQ(grin::db::percentile({}, 0.5), 0);
}

TEST(op_metrics, summary_reports_counts_errors_and_percentiles) {
    grin::db::op_metrics metrics;
    // 1..100 ms, shuffled order must not matter; every 10th is an error.
    for (int i = 100; i >= 1; --i)
        metrics.record("append_status", milliseconds(i), i % 10 != 0);
    auto summary = metrics.find("append_status");
    ASSERT_TRUE(summary.has_value());
    EXPECT_EQ(summary->count, 100u);
    EXPECT_EQ(summary->errors, 10u);
    EXPECT_DOUBLE_EQ(summary->error_rate, 0.1);
    EXPECT_EQ(summary->min, milliseconds(1));
    EXPECT_EQ(summary->max, milliseconds(100));
    EXPECT_EQ(summary->avg, microseconds(50500));
    EXPECT_EQ(summary->p50, microseconds(50500));
    EXPECT_EQ(summary->p95, microseconds(95050));
    EXPECT_EQ(summary->p99, microseconds(99010));
    EXPECT_FALSE(metrics.find("other").has_value());
}

TEST(op_metrics, percentiles_cover_the_recent_window_totals_cover_everything) {
    grin::db::op_metrics metrics(10);
    for (int i = 0; i < 90; ++i)
        metrics.record("read", seconds(1), true);
    for (int i = 0; i < 10; ++i)
        metrics.record("read", milliseconds(1), true);
    auto summary = metrics.find("read");
    ASSERT_TRUE(summary.has_value());
    EXPECT_EQ(summary->count, 100u);
    EXPECT_EQ(summary->max, seconds(1));
    EXPECT_EQ(summary->p99, milliseconds(1)); // the old slow samples left the window
}

TEST(op_metrics, json_has_one_object_per_name) {
    grin::db::op_metrics metrics;
    metrics.record("b", milliseconds(2), true);
    metrics.record("a", milliseconds(4), false);
    auto snapshot = metrics.snapshot();
    ASSERT_EQ(snapshot.size(), 2u);
    EXPECT_EQ(snapshot[0].name, "a");
    auto json = grin::db::to_json(snapshot);
    EXPECT_EQ(json["a"]["errors"], 1);
    EXPECT_DOUBLE_EQ(json["a"]["error_rate"].get<double>(), 1.0);
    EXPECT_DOUBLE_EQ(json["b"]["p99_ms"].get<double>(), 2.0);
}
