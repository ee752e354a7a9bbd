#include <grin/metrics/prometheus.hpp>
#include <grin/metrics/registry.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace grin::metrics;

TEST(prometheus, counters_and_gauges_with_help_and_type) {
    registry metrics;
    metrics.counter("grin_downloaded_bytes_total", "Bytes received").with().inc(1536);
    metrics.gauge("grin_cpu_jobs_pending", "Jobs waiting").with().set(2.5);
    EXPECT_EQ(render_prometheus(metrics), "# HELP grin_downloaded_bytes_total Bytes received\n"
                                          "# TYPE grin_downloaded_bytes_total counter\n"
                                          "grin_downloaded_bytes_total 1536\n"
                                          "# HELP grin_cpu_jobs_pending Jobs waiting\n"
                                          "# TYPE grin_cpu_jobs_pending gauge\n"
                                          "grin_cpu_jobs_pending 2.5\n");
}

TEST(prometheus, labelled_series_are_sorted_and_escaped) {
    registry metrics;
    auto& requests = metrics.counter("grin_http_requests_total", "By host\\status\nline two",
                                     {"host", "status"});
    requests.with({"b.example", "200"}).inc(2);
    requests.with({"a.example", "503"}).inc();
    requests.with({"we\"ird\\host\n", "200"}).inc();
    EXPECT_EQ(render_prometheus(metrics),
              "# HELP grin_http_requests_total By host\\\\status\\nline two\n"
              "# TYPE grin_http_requests_total counter\n"
              "grin_http_requests_total{host=\"a.example\",status=\"503\"} 1\n"
              "grin_http_requests_total{host=\"b.example\",status=\"200\"} 2\n"
              "grin_http_requests_total{host=\"we\\\"ird\\\\host\\n\",status=\"200\"} 1\n");
}

TEST(prometheus, histogram_buckets_are_cumulative_and_end_in_inf) {
    registry metrics;
    auto& stages =
        metrics.histogram("grin_stage_duration_seconds", "Stage time", {"stage"}, {0.1, 1, 10});
    auto& check = stages.with({"check"});
    for (double value : {0.05, 0.1, 0.5, 2.0, 20.0, 30.0})
        check.observe(value);
    EXPECT_EQ(render_prometheus(metrics),
              "# HELP grin_stage_duration_seconds Stage time\n"
              "# TYPE grin_stage_duration_seconds histogram\n"
              "grin_stage_duration_seconds_bucket{stage=\"check\",le=\"0.1\"} 2\n"
              "grin_stage_duration_seconds_bucket{stage=\"check\",le=\"1\"} 3\n"
              "grin_stage_duration_seconds_bucket{stage=\"check\",le=\"10\"} 4\n"
              "grin_stage_duration_seconds_bucket{stage=\"check\",le=\"+Inf\"} 6\n"
              "grin_stage_duration_seconds_sum{stage=\"check\"} " +
                  format_value(0.05 + 0.1 + 0.5 + 2.0 + 20.0 + 30.0) +
                  "\n"
                  "grin_stage_duration_seconds_count{stage=\"check\"} 6\n");
}

TEST(prometheus, values_format_like_the_reference_client) {
    EXPECT_EQ(format_value(0), "0");
    EXPECT_EQ(format_value(42), "42");
    EXPECT_EQ(format_value(-3), "-3");
    EXPECT_EQ(format_value(0.25), "0.25");
    EXPECT_EQ(format_value(1e20), "1e+20");
    EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(prometheus, a_family_without_series_still_has_help_and_type) {
    registry metrics;
    metrics.counter("grin_books_total", "Books", {"outcome"});
    EXPECT_EQ(render_prometheus(metrics),
              "# HELP grin_books_total Books\n# TYPE grin_books_total counter\n");
}
