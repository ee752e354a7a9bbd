// --metrics-port end to end: a real `grin sync pipeline` of 200 books against a slowed-down
// emulator is scraped while it runs; the exposition must pass a strict text-format parser
// (prometheus_parser.hpp) and agree with the database at the end. Also: the bind-address
// guard and `grin db check`.
#include <grin/core/error.hpp>

#include <iostream>
#include <regex>
#include <thread>

#include "../../support/sync_fixture.hpp"
#include "prometheus_parser.hpp"

using namespace grin;
using namespace std::chrono_literals;
using test::sync_fixture;

namespace {

struct http_result {
    int status = 0;
    std::string body;
};

// GET with curl: the body, then the status code on a line of its own.
http_result http_get(const std::string& url) {
    auto result = test::run_command("curl -s --max-time 5 -w '\\n%{http_code}' '" + url + "'", 10s);
    http_result out;
    auto newline = result.output.rfind('\n');
    if (newline == std::string::npos)
        return out;
    out.status = std::atoi(result.output.c_str() + newline + 1);
    out.body = result.output.substr(0, newline);
    return out;
}

std::uint64_t synced_in_db(const std::filesystem::path& db_file) {
    SQLite::Database db(db_file.string(), SQLite::OPEN_READONLY);
    return static_cast<std::uint64_t>(
        db.execAndGet("SELECT COUNT(DISTINCT barcode) FROM book_status_history WHERE "
                      "status_type = 'sync' AND status_value = 'completed'")
            .getInt64());
}

class metrics_sync : public sync_fixture {};

} // namespace

TEST(metrics_parser, rejects_what_the_format_does_not_allow) {
    using test::parse_prometheus;
    EXPECT_NO_THROW(parse_prometheus("# HELP a_total x\n# TYPE a_total counter\na_total 1\n"));
    EXPECT_THROW(parse_prometheus("a_total 1\n"), std::runtime_error); // no TYPE
    EXPECT_THROW(parse_prometheus("# TYPE a gauge\na{x=\"1\"} one\n"), std::runtime_error);
    EXPECT_THROW(parse_prometheus("# TYPE a gauge\na{x=\"\\t\"} 1\n"), std::runtime_error);
    EXPECT_THROW(parse_prometheus("# TYPE a gauge\na{1x=\"1\"} 1\n"), std::runtime_error);
    EXPECT_THROW(parse_prometheus("# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n"),
                 std::runtime_error); // family split
    EXPECT_THROW(parse_prometheus("# random comment\n"), std::runtime_error);
    EXPECT_THROW(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                  "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n"),
                 std::runtime_error); // not cumulative
    EXPECT_THROW(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
                                  "h_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 3\n"),
                 std::runtime_error); // +Inf != count
    EXPECT_THROW(parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n"),
                 std::runtime_error); // no +Inf
}

TEST_F(metrics_sync, a_running_sync_serves_consistent_metrics) {
    shape.books = 200;
    // Each response waits 25 ms, and two checks / two downloads at a time: the sync takes
    // a few seconds, long enough to scrape it in the middle.
    start_emulator({"--latency", "25"});
    collect({"--metrics-port", "0"});
    auto sync = start_sync({"--queue", "converted", "--metrics-port", "0",
                            "--task-check-concurrency", "2", "--task-download-concurrency", "2"});
    std::string line = sync->wait_for_line("Metrics: http://", 30s);
    std::smatch match;
    ASSERT_TRUE(std::regex_search(line, match,
                                  std::regex(R"(Metrics: (http://127\.0\.0\.1:(\d+))/metrics)")))
        << line;
    const std::string base = match[1];
    ASSERT_NE(match[2], "0");

    auto health = http_get(base + "/healthz");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.body.rfind("ok", 0), 0u) << health.body;
    EXPECT_NE(health.body.find("uptime_seconds"), std::string::npos);
    EXPECT_EQ(http_get(base + "/nothing-here").status, 404);

    // Scrape until some books are synced, then once more later: the counter only grows.
    double first_synced = -1, last_synced = -1;
    test::prom_exposition last;
    int scrapes = 0;
    auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
        auto got = http_get(base + "/metrics");
        if (got.status != 200)
            break; // the sync finished and its server stopped
        ++scrapes;
        test::prom_exposition parsed;
        try {
            parsed = test::parse_prometheus(got.body);
        } catch (const std::exception& e) {
            FAIL() << e.what() << "\n" << got.body;
        }
        double synced = parsed.value("grin_books_total", {{"outcome", "synced"}}).value_or(-1);
        EXPECT_GE(synced, last_synced) << "books counter went down";
        if (first_synced < 0 && synced > 0)
            first_synced = synced;
        last_synced = synced;
        last = std::move(parsed);
        if (first_synced > 0 && synced >= 150)
            break; // near the end
        std::this_thread::sleep_for(150ms);
    }
    std::cout << "scrapes " << scrapes << ", first with synced books: " << first_synced
              << ", last: " << last_synced << std::endl;
    ASSERT_GT(scrapes, 1);
    ASSERT_GT(first_synced, 0) << "never saw a synced book mid-run";
    EXPECT_LT(first_synced, 200) << "the first scrape with synced books came after the end";
    EXPECT_GE(last_synced, first_synced);

    // HTTP requests by host and status, pool within its limit, database operations.
    EXPECT_GT(last.value("grin_http_requests_total", {{"host", "127.0.0.1"}, {"status", "200"}})
                  .value_or(0),
              0);
    auto peak = last.value("grin_pool_peak_open_connections");
    auto limit = last.value("grin_pool_max_connections_per_host");
    ASSERT_TRUE(peak && limit);
    EXPECT_GT(*peak, 0);
    EXPECT_LE(*peak, *limit);
    EXPECT_GT(last.value("grin_pool_connections_opened_total").value_or(0), 0);
    EXPECT_GT(last.sum("grin_db_operations_total"), 0);
    EXPECT_TRUE(last.value("grin_db_lock_retries_total").has_value());
    EXPECT_GT(last.value("grin_stage_duration_seconds_count", {{"stage", "download"}}).value_or(0),
              0);
    EXPECT_GT(last.value("grin_downloaded_bytes_total").value_or(0), 0);
    EXPECT_TRUE(last.value("grin_queue_books_waiting", {{"stage", "download"}}).has_value());
    EXPECT_TRUE(last.value("grin_cpu_jobs_pending").has_value());
    EXPECT_EQ(last.families.at("grin_stage_duration_seconds").type, "histogram");

    // The database report.
    auto report_reply = http_get(base + "/api/metrics/database");
    if (report_reply.status == 200) {
        auto report = nlohmann::json::parse(report_reply.body, nullptr, false);
        ASSERT_TRUE(report.is_object()) << report_reply.body;
        for (const char* field :
             {"total_operations", "error_count", "error_rate", "avg_duration_ms", "min_duration_ms",
              "max_duration_ms", "p50_duration_ms", "p95_duration_ms", "p99_duration_ms",
              "operations", "lock_retries"})
            EXPECT_TRUE(report.contains(field)) << field;
        EXPECT_GT(report["total_operations"].get<double>(), 0);
        EXPECT_TRUE(report["lock_retries"].contains("waited_ms"));
    }

    ASSERT_EQ(sync->wait(120s), 0) << sync->output();
    const auto synced = synced_in_db(database());
    EXPECT_EQ(synced, 200u);
    EXPECT_LE(last_synced, static_cast<double>(synced));

    // The same registry's final snapshot in process_summary.json equals the database.
    std::ifstream summary_file(run_dir() / "process_summary.json");
    auto summary = nlohmann::json::parse(summary_file, nullptr, false);
    ASSERT_TRUE(summary.is_object());
    const auto& sync_stage = summary["stages"]["sync"]["last_run"]["details"]["metrics"];
    ASSERT_TRUE(sync_stage.is_object() && sync_stage.contains("families"))
        << summary.dump(2).substr(0, 2000);
    double recorded = -1;
    for (const auto& series : sync_stage["families"]["grin_books_total"]["series"])
        if (series["labels"]["outcome"] == "synced")
            recorded = series["value"].get<double>();
    EXPECT_EQ(recorded, static_cast<double>(synced));
    EXPECT_TRUE(sync_stage.contains("database"));
    EXPECT_GT(sync_stage["database"]["total_operations"].get<double>(), 0);

    // collect ran with --metrics-port too: it printed its address and saved its snapshot.
    const auto& collect_metrics = summary["stages"]["collect"]["last_run"]["details"]["metrics"];
    ASSERT_TRUE(collect_metrics.is_object()) << summary.dump(2).substr(0, 2000);
    EXPECT_FALSE(collect_metrics["families"]["grin_http_requests_total"]["series"].empty());
    EXPECT_FALSE(collect_metrics["families"]["grin_db_operations_total"]["series"].empty());

    // grin db check: ok on the synced run, integrity problem on a corrupted copy.
    auto check =
        grin({"db", "check", "--run-name", run_name, "--output-root", output_root().string()});
    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_NE(check.output.find("Integrity: ok"), std::string::npos) << check.output;
    EXPECT_NE(check.output.find("books 200"), std::string::npos) << check.output;
    auto as_json = grin({"db", "check", "--run-name", run_name, "--output-root",
                         output_root().string(), "--format", "json"});
    EXPECT_EQ(as_json.exit_code, 0) << as_json.output;
    auto parsed = nlohmann::json::parse(as_json.output, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << as_json.output;
    EXPECT_EQ(parsed["integrity"], "ok");
    EXPECT_EQ(parsed["rows"]["books"], 200);
    EXPECT_GT(parsed["page_count"].get<int>(), 0);

    auto copy = work / "corrupt.db";
    std::filesystem::copy_file(database(), copy);
    {
        auto page = parsed["page_size"].get<std::size_t>();
        std::fstream file(copy, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(page * 3));
        std::string garbage(page * 4, '\x5a');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    auto broken = grin({"db", "check", "--database", copy.string()});
    EXPECT_EQ(broken.exit_code, 1) << broken.output;
    EXPECT_NE(broken.output.find("PROBLEMS"), std::string::npos) << broken.output;
}

TEST_F(metrics_sync, a_non_loopback_bind_needs_the_allow_flag) {
    auto refused =
        grin({"sync", "pipeline", "--run-name", "nothing", "--output-root", (work / "out").string(),
              "--queue", "converted", "--metrics-port", "0", "--metrics-bind", "0.0.0.0"});
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find("--metrics-allow-remote"), std::string::npos) << refused.output;
    EXPECT_NE(refused.output.find("no authentication"), std::string::npos) << refused.output;
    // With the flag the address is accepted (the run itself is missing: still exit 2, but
    // for that reason).
    auto allowed = grin({"sync", "pipeline", "--run-name", "nothing", "--output-root",
                         (work / "out").string(), "--queue", "converted", "--metrics-port", "0",
                         "--metrics-bind", "0.0.0.0", "--metrics-allow-remote"});
    EXPECT_EQ(allowed.exit_code, 2);
    EXPECT_EQ(allowed.output.find("--metrics-allow-remote"), std::string::npos) << allowed.output;
    EXPECT_NE(allowed.output.find("no run"), std::string::npos) << allowed.output;
}

TEST_F(metrics_sync, enrich_process_request_and_monitor_serve_and_stop_with_the_command) {
    shape.books = 40;
    shape.converted = 0.5;
    start_emulator();
    collect();
    const std::vector<std::string> common = {
        "--run-name", run_name, "--output-root", output_root().string(), "--metrics-port", "0"};
    auto with = [&common](std::vector<std::string> args) {
        args.insert(args.end(), common.begin(), common.end());
        return args;
    };
    for (const auto& args : {with({"enrich", "--limit", "20"}),
                             with({"process", "request", "--queue", "unconverted", "--limit", "5"}),
                             with({"process", "monitor", "--count", "1", "--interval", "1"})}) {
        auto result = grin(args, 60s);
        std::string name = args[0] + (args[0] == "process" ? " " + args[1] : "");
        EXPECT_EQ(result.exit_code, 0) << name << "\n" << result.output;
        EXPECT_NE(result.output.find("Metrics: http://127.0.0.1:"), std::string::npos)
            << name << "\n"
            << result.output;
    }
    std::ifstream summary_file(run_dir() / "process_summary.json");
    auto summary = nlohmann::json::parse(summary_file, nullptr, false);
    for (const char* stage : {"enrich", "process_request", "process_monitor"}) {
        const auto& families =
            summary["stages"][stage]["last_run"]["details"]["metrics"]["families"];
        ASSERT_TRUE(families.is_object()) << stage;
        EXPECT_FALSE(families["grin_http_requests_total"]["series"].empty()) << stage;
    }
}
