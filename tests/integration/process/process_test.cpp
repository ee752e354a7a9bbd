// `grin process request` and `grin process monitor` end to end: the real grin and
// grin-emulator binaries over TLS, after a real `grin collect`. Expected figures come from
// the emulator (its stats, its catalogue and its control endpoints) and the database.
#include <csignal>
#include <thread>

#include "sync_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;
using test::sync_fixture;

namespace {

std::uint64_t count_rows(const std::filesystem::path& db_file, const std::string& sql) {
    SQLite::Database db(db_file.string(), SQLite::OPEN_READONLY);
    return static_cast<std::uint64_t>(db.execAndGet(sql).getInt64());
}

std::uint64_t conversion_rows(const std::filesystem::path& db_file, const std::string& value) {
    return count_rows(db_file, "SELECT count(*) FROM book_status_history WHERE status_type = "
                               "'conversion' AND status_value = '" +
                                   value + "'");
}

class process_fixture : public sync_fixture {
public:
    test::run_result process(std::vector<std::string> extra) {
        std::vector<std::string> args = {"process", extra.at(0),     "--run-name",
                                         run_name,  "--output-root", output_root().string()};
        args.insert(args.end(), extra.begin() + 1, extra.end());
        return grin(args, 120s);
    }

    std::uint64_t process_calls() {
        return emulator_stats()["requests"]["process"].get<std::uint64_t>();
    }
    std::uint64_t grin_in_process() {
        return emulator_stats()["libraries"][shape.library]["in_process"].get<std::uint64_t>();
    }
    nlohmann::json summary_stage(const std::string& stage) {
        std::ifstream in(run_dir() / "process_summary.json");
        auto summary = nlohmann::json::parse(in, nullptr, false);
        return summary["stages"][stage];
    }
};

} // namespace

// With 10 books already in GRIN's queue and a cap of 30, exactly 20 are requested; the
// run says the queue is full and exits 0; every answer is recorded as sync records it; a
// rerun while the queue is full asks GRIN nothing.
TEST_F(process_fixture, request_stops_at_the_queue_cap) {
    shape.books = 120;
    shape.converted = 0.2;
    start_emulator({"--queue-cap", "30"});
    collect();
    ASSERT_GT(count_rows(database(), "SELECT count(*) FROM books WHERE converted_date IS NULL AND "
                                     "grin_state NOT IN ('CHECKED_IN', "
                                     "'NOT_AVAILABLE_FOR_DOWNLOAD')"),
              40u);

    // --limit: exactly 10 books asked.
    auto first = process({"request", "--queue", "unconverted", "--limit", "10", "--queue-cap", "30",
                          "--concurrency", "3"});
    ASSERT_EQ(first.exit_code, 0) << first.output;
    EXPECT_EQ(process_calls(), 10u);
    EXPECT_EQ(grin_in_process(), 10u);
    EXPECT_NE(first.output.find("GRIN queue: 0 in process"), std::string::npos) << first.output;

    auto second = process({"request", "--queue", "unconverted", "--queue-cap", "30"});
    EXPECT_EQ(second.exit_code, 0) << second.output;
    EXPECT_NE(second.output.find("GRIN queue: 10 in process, 20 available space"),
              std::string::npos)
        << second.output;
    EXPECT_NE(second.output.find("GRIN's conversion queue is full (30): 20 requested this run"),
              std::string::npos)
        << second.output;
    EXPECT_NE(second.output.find("grin process monitor --run-name " + run_name), std::string::npos)
        << second.output;
    EXPECT_EQ(process_calls(), 30u); // no 429: the cap was respected
    EXPECT_EQ(grin_in_process(), 30u);
    EXPECT_EQ(conversion_rows(database(), "requested"), 30u);
    EXPECT_EQ(count_rows(database(), "SELECT count(*) FROM books WHERE "
                                     "processing_request_timestamp IS NOT NULL"),
              30u);
    // The rows sync writes (book_job.cpp via conversion_record.hpp).
    {
        SQLite::Database db(database().string(), SQLite::OPEN_READONLY);
        auto meta = nlohmann::json::parse(
            db.execAndGet("SELECT metadata FROM book_status_history WHERE status_type = "
                          "'conversion' ORDER BY id LIMIT 1")
                .getString());
        EXPECT_EQ(meta, (nlohmann::json{{"conversion_status", "requested"},
                                        {"grin_response", "Success"},
                                        {"reason", "success"},
                                        {"request_count", 1}}));
    }

    // The queue is full: nothing is asked, and that is still exit 0.
    auto third = process({"request", "--queue", "unconverted", "--queue-cap", "30"});
    EXPECT_EQ(third.exit_code, 0) << third.output;
    EXPECT_NE(third.output.find("GRIN's conversion queue is full (30): 0 requested this run"),
              std::string::npos)
        << third.output;
    EXPECT_EQ(process_calls(), 30u);
    EXPECT_EQ(conversion_rows(database(), "requested"), 30u);

    auto stage = summary_stage("process_request");
    EXPECT_EQ(stage["runs"], 3);
    EXPECT_EQ(stage["counters"]["requested"], 30);
    EXPECT_EQ(stage["last_run"]["counters"]["requested"], 0);
}

// GRIN's queue is smaller than we think: its 429 stops the run at once, the book that got
// it is recorded as limit_reached, and the run ends normally with a clear message.
TEST_F(process_fixture, a_429_stops_every_request_at_once) {
    shape.books = 60;
    shape.converted = 0.2;
    start_emulator({"--queue-cap", "5"});
    collect();

    // A dry run reads only: no request, no row.
    auto plan = process({"request", "--queue", "unconverted", "--dry-run", "--limit", "3"});
    ASSERT_EQ(plan.exit_code, 0) << plan.output;
    EXPECT_NE(plan.output.find("DRY RUN COMPLETE"), std::string::npos) << plan.output;
    EXPECT_NE(plan.output.find("would request conversion"), std::string::npos) << plan.output;
    EXPECT_EQ(process_calls(), 0u);
    EXPECT_EQ(count_rows(database(), "SELECT count(*) FROM book_status_history"), 0u);

    auto run = process({"request", "--queue", "unconverted", "--concurrency", "1"});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("GRIN answered HTTP 429: its conversion queue is full. Stopped at "
                              "once: 5 requested this run"),
              std::string::npos)
        << run.output;
    EXPECT_EQ(process_calls(), 6u); // 5 accepted + the one 429, then nothing more
    EXPECT_EQ(conversion_rows(database(), "requested"), 5u);
    EXPECT_EQ(conversion_rows(database(), "limit_reached"), 1u);
    EXPECT_EQ(count_rows(database(), "SELECT count(*) FROM book_status_history WHERE "
                                     "status_type = 'conversion' AND status_value = "
                                     "'limit_reached' AND json_extract(metadata, '$.reason') = "
                                     "'fail_queue_limit_reached'"),
              1u);
    EXPECT_EQ(summary_stage("process_request")["last_run"]["counters"]["limit_reached"], 1);
}

// Three polls one second apart; conversions completed between the first two show up as
// a change in both counts, and the figures are the emulator's.
TEST_F(process_fixture, monitor_prints_one_line_per_poll_with_the_emulators_counts) {
    shape.books = 40;
    shape.converted = 0.5;
    start_emulator();
    collect();
    ASSERT_EQ(process({"request", "--queue", "unconverted", "--limit", "4"}).exit_code, 0);
    ASSERT_EQ(grin_in_process(), 4u);
    std::uint64_t converted_before = 0;
    emulator::catalogue catalogue(shape.catalogue());
    for (std::uint64_t i = 0; i < shape.books; ++i)
        converted_before += catalogue.at(i).converted ? 1 : 0;

    auto monitor =
        start_grin({"process", "monitor", "--run-name", run_name, "--output-root",
                    output_root().string(), "--interval", "1", "--count", "3", "--format", "json"});
    auto first = nlohmann::json::parse(monitor->wait_for_line("\"time\""));
    EXPECT_EQ(first["in_process"], 4);
    EXPECT_EQ(first["converted"], converted_before);
    EXPECT_EQ(first["requested"], 4);
    EXPECT_EQ(first["requested_converted"], 0);
    EXPECT_TRUE(first["converted_change"].is_null());
    EXPECT_EQ(control("advance", "library=" + shape.library)["completed"], 4);

    auto second = nlohmann::json::parse(monitor->wait_for_line("\"time\""));
    EXPECT_EQ(second["in_process"], 0);
    EXPECT_EQ(second["in_process_change"], -4);
    EXPECT_EQ(second["converted"], converted_before + 4);
    EXPECT_EQ(second["converted_change"], 4);
    EXPECT_GT(second["converted_per_hour"].get<double>(), 0.0);
    EXPECT_EQ(second["requested_converted"], 4);
    EXPECT_GT(second["seconds_since_previous"].get<double>(), 0.5);

    auto third = nlohmann::json::parse(monitor->wait_for_line("\"time\""));
    EXPECT_EQ(third["converted"], converted_before + 4);
    EXPECT_EQ(third["converted_change"], 0);
    EXPECT_EQ(monitor->wait(30s), 0) << monitor->output();

    // Text lines, and Ctrl-C ends monitoring cleanly.
    auto text = start_grin({"process", "monitor", "--run-name", run_name, "--output-root",
                            output_root().string(), "--interval", "30"});
    auto line = text->wait_for_line("in process: ");
    EXPECT_NE(line.find("in process: 0  converted: " + std::to_string(converted_before + 4)),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("requested by this run: 4, converted: 4 (first poll)"), std::string::npos)
        << line;
    text->signal(SIGINT);
    EXPECT_EQ(text->wait(30s), 0) << text->output();
    EXPECT_EQ(summary_stage("process_monitor")["runs"], 2);
    EXPECT_EQ(summary_stage("process_monitor")["counters"]["polls"], 4);
}

// Ctrl-C once: no new request is sent, the one in flight (GRIN answers it after 2 s)
// finishes and is recorded, and the run ends as interrupted (130) saying how to continue.
TEST_F(process_fixture, first_ctrl_c_finishes_the_request_in_flight_and_stops) {
    shape.books = 40;
    shape.converted = 0.2;
    start_emulator({"--fault", "route=process,fault=stall_before_headers,stall_ms=2000,first=1"});
    collect();
    auto run = start_grin({"process", "request", "--run-name", run_name, "--output-root",
                           output_root().string(), "--queue", "unconverted", "--concurrency", "1"});
    run->wait_for_line("---");
    std::this_thread::sleep_for(300ms);
    run->signal(SIGINT);
    EXPECT_EQ(run->wait(30s), 130) << run->output();
    EXPECT_NE(run->output().find("Interrupted: "), std::string::npos) << run->output();
    EXPECT_EQ(process_calls(), 1u);
    EXPECT_EQ(conversion_rows(database(), "requested"), 1u);
    EXPECT_EQ(summary_stage("process_request")["last_run"]["counters"]["requested"], 1);
}

// Bad flags stop at once with exit 2.
TEST_F(process_fixture, refuses_bad_flags_and_missing_runs) {
    start_emulator();
    auto missing = process({"request"});
    EXPECT_EQ(missing.exit_code, 2) << missing.output;
    EXPECT_NE(missing.output.find("grin collect"), std::string::npos) << missing.output;
    collect();
    auto interval = process({"monitor", "--interval", "0"});
    EXPECT_EQ(interval.exit_code, 2) << interval.output;
}
