#include <grin/metrics/endpoint.hpp>
#include <grin/metrics/registry.hpp>
#include <grin/metrics/server.hpp>
#include <grin/metrics/snapshot.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <thread>
#include <vector>

using namespace grin::metrics;

TEST(metrics_registry, families_are_found_again_by_name_and_checked) {
    registry metrics;
    auto& first = metrics.counter("grin_books_total", "Books", {"outcome"});
    auto& again = metrics.counter("grin_books_total", "Books", {"outcome"});
    EXPECT_EQ(&first, &again);
    EXPECT_THROW(metrics.gauge("grin_books_total", "Books", {"outcome"}), std::invalid_argument);
    EXPECT_THROW(metrics.counter("grin_books_total", "Books", {"other"}), std::invalid_argument);
    EXPECT_THROW(metrics.counter("1bad", "x"), std::invalid_argument);
    EXPECT_THROW(metrics.counter("grin_ok", "x", {"__reserved"}), std::invalid_argument);
    EXPECT_THROW(metrics.histogram("grin_h", "x", {"le"}), std::invalid_argument);
    EXPECT_THROW(first.with({}), std::invalid_argument); // one label value expected
    EXPECT_EQ(&first.with({"synced"}), &first.with({"synced"}));
}

TEST(metrics_registry, concurrent_updates_from_many_threads_add_up) {
    registry metrics;
    auto& books = metrics.counter("grin_books_total", "Books", {"outcome"});
    auto& sizes = metrics.histogram("grin_size_seconds", "Sizes", {}, {1, 2, 3});
    auto& level = metrics.gauge("grin_level", "Level").with();
    constexpr int threads = 8;
    constexpr int per_thread = 20000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                books.with({t % 2 ? "synced" : "failed"}).inc();
                sizes.with().observe(static_cast<double>(i % 4) + 0.5);
                level.add(1);
                level.add(-1);
            }
        });
    // Scrapes while the writers run must stay consistent (+Inf bucket == count).
    for (int i = 0; i < 50; ++i) {
        for (const auto& family : metrics.collect())
            for (const auto& series : family.series)
                if (family.type == metric_type::histogram) {
                    EXPECT_EQ(series.cumulative.back(), series.count);
                    for (std::size_t b = 1; b < series.cumulative.size(); ++b)
                        EXPECT_LE(series.cumulative[b - 1], series.cumulative[b]);
                }
    }
    for (auto& worker : workers)
        worker.join();
    EXPECT_EQ(books.with({"synced"}).value() + books.with({"failed"}).value(),
              double(threads * per_thread));
    EXPECT_EQ(sizes.with().count(), std::uint64_t(threads * per_thread));
    EXPECT_DOUBLE_EQ(sizes.with().sum(), threads * per_thread / 4 * (0.5 + 1.5 + 2.5 + 3.5));
    EXPECT_EQ(level.value(), 0);
}

TEST(metrics_registry, collectors_run_before_each_snapshot) {
    registry metrics;
    auto& mirrored = metrics.counter("grin_mirrored_total", "Copied").with();
    int source = 0;
    auto id = metrics.add_collector([&] { mirrored.set_total(++source); });
    auto json = to_json(metrics);
    EXPECT_EQ(json["grin_mirrored_total"]["series"][0]["value"], 1);
    json = to_json(metrics);
    EXPECT_EQ(json["grin_mirrored_total"]["series"][0]["value"], 2);
    metrics.remove_collector(id);
    json = to_json(metrics);
    EXPECT_EQ(json["grin_mirrored_total"]["series"][0]["value"], 2);
}

TEST(metrics_registry, json_snapshot_has_labels_and_buckets) {
    registry metrics;
    metrics.counter("grin_books_total", "Books", {"outcome"}).with({"synced"}).inc(3);
    metrics.histogram("grin_stage_duration_seconds", "Stages", {"stage"}, {0.5, 1})
        .with({"check"})
        .observe(0.7);
    auto json = to_json(metrics);
    EXPECT_EQ(json["grin_books_total"]["type"], "counter");
    EXPECT_EQ(json["grin_books_total"]["series"][0]["labels"]["outcome"], "synced");
    EXPECT_EQ(json["grin_books_total"]["series"][0]["value"], 3);
    const auto& stage = json["grin_stage_duration_seconds"]["series"][0];
    EXPECT_EQ(stage["count"], 1);
    EXPECT_EQ(stage["buckets"]["0.5"], 0);
    EXPECT_EQ(stage["buckets"]["1"], 1);
    EXPECT_EQ(stage["buckets"]["+Inf"], 1);
}

TEST(metrics_bind, only_loopback_unless_allowed) {
    EXPECT_TRUE(is_loopback_address("127.0.0.1"));
    EXPECT_TRUE(is_loopback_address("127.1.2.3"));
    EXPECT_TRUE(is_loopback_address("::1"));
    EXPECT_TRUE(is_loopback_address("::ffff:127.0.0.1"));
    EXPECT_TRUE(is_loopback_address("localhost"));
    EXPECT_FALSE(is_loopback_address("0.0.0.0"));
    EXPECT_FALSE(is_loopback_address("192.168.1.10"));
    EXPECT_FALSE(is_loopback_address("::"));
    EXPECT_NO_THROW(check_bind_address("127.0.0.1", false));
    EXPECT_THROW(check_bind_address("0.0.0.0", false), std::exception);
    EXPECT_NO_THROW(check_bind_address("0.0.0.0", true));
    EXPECT_THROW(check_bind_address("metrics.example.org", true), std::exception);
}

TEST(metrics_endpoint, routes_answer_metrics_database_health_and_404) {
    registry metrics;
    metrics.counter("grin_books_total", "Books", {"outcome"}).with({"synced"}).inc();
    database_reporter database = [] { return nlohmann::json{{"total_operations", 3}}; };
    auto handle = make_handler(metrics, database, std::chrono::steady_clock::now());
    auto scraped = handle("GET", "/metrics");
    EXPECT_EQ(scraped.status, 200);
    EXPECT_EQ(scraped.content_type, "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(scraped.body.find("grin_books_total{outcome=\"synced\"} 1\n"), std::string::npos);
    auto report = handle("GET", "/api/metrics/database");
    EXPECT_EQ(report.status, 200);
    EXPECT_EQ(nlohmann::json::parse(report.body)["total_operations"], 3);
    auto health = handle("GET", "/healthz?verbose=1");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body.rfind("ok\nuptime_seconds ", 0), 0u);
    EXPECT_EQ(handle("GET", "/").status, 404);
    EXPECT_EQ(handle("POST", "/metrics").status, 405);
    auto without_database = make_handler(metrics, {}, std::chrono::steady_clock::now());
    EXPECT_EQ(without_database("GET", "/api/metrics/database").status, 404);
}
