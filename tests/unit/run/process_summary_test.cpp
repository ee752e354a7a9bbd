#include <grin/core/atomic_file.hpp>
#include <grin/run/process_summary.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace grin;
using namespace std::chrono_literals;

TEST(process_summary, counters_add_up_over_runs_and_the_last_run_is_kept) {
    test::temp_dir dir;
    auto file = dir / "process_summary.json";
    auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));
    run::record_stage_run(file, "r1",
                          {.stage = "sync",
                           .started = t0,
                           .finished = t0 + 10s,
                           .counters = {{"synced", 5}, {"failed", 1}},
                           .errors = {"1 x decrypt: MDC mismatch"},
                           .details_json = R"({"queues":["converted"]})"});
    run::record_stage_run(file, "r1",
                          {.stage = "sync",
                           .started = t0 + 60s,
                           .finished = t0 + 90s,
                           .counters = {{"synced", 7}, {"skipped", 5}}});
    run::record_stage_run(file, "r1",
                          {.stage = "collect",
                           .started = t0 - 60s,
                           .finished = t0 - 50s,
                           .counters = {{"collected", 12}}});
    auto summary = nlohmann::json::parse(read_file(file));
    EXPECT_EQ(summary["run_name"], "r1");
    const auto& sync = summary["stages"]["sync"];
    EXPECT_EQ(sync["runs"], 2);
    EXPECT_EQ(sync["counters"]["synced"], 12);
    EXPECT_EQ(sync["counters"]["failed"], 1);
    EXPECT_EQ(sync["counters"]["skipped"], 5);
    EXPECT_DOUBLE_EQ(sync["total_duration_seconds"].get<double>(), 40.0);
    EXPECT_EQ(sync["last_run"]["counters"]["synced"], 7);
    EXPECT_TRUE(sync["last_run"]["errors"].empty());
    EXPECT_EQ(sync["first_start_time"].get<std::string>().substr(0, 19), "2023-11-14T22:13:20");
    EXPECT_EQ(summary["stages"]["collect"]["counters"]["collected"], 12);
    EXPECT_EQ(summary["run_start_time"].get<std::string>().substr(0, 19), "2023-11-14T22:13:20");
}

TEST(process_summary, a_damaged_file_is_kept_aside_and_a_new_one_started) {
    test::temp_dir dir;
    auto file = dir / "process_summary.json";
    write_file_atomically(file, "{not json");
    auto now = std::chrono::system_clock::now();
    run::record_stage_run(
        file, "r1",
        {.stage = "sync", .started = now, .finished = now, .counters = {{"synced", 1}}});
    EXPECT_EQ(read_file(dir / "process_summary.json.corrupt"), "{not json");
    auto summary = nlohmann::json::parse(read_file(file));
    EXPECT_EQ(summary["stages"]["sync"]["counters"]["synced"], 1);
}
