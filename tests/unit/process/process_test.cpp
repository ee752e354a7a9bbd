// The pure parts of `grin process request|monitor` and `grin extract`: the queue budget,
// which books are asked, why a run stopped and its exit code, the conversion rows shared
// with sync, the monitor's lines, and input naming / directory extraction.
#include <grin/archive/gunzip.hpp>
#include <grin/core/error.hpp>
#include <grin/process/conversion_requests.hpp>
#include <grin/process/ocr_extract.hpp>
#include <grin/process/queue_monitor.hpp>
#include <grin/sync/book_selection.hpp>
#include <grin/sync/conversion_record.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>

#include "test_support.hpp"

using namespace grin;
using namespace grin::process;

TEST(process_budget, is_the_cap_minus_the_books_in_process_never_negative) {
    EXPECT_EQ(sync::conversion_space(50'000, 0), 50'000u);
    EXPECT_EQ(sync::conversion_space(50'000, 49'990), 10u);
    EXPECT_EQ(sync::conversion_space(30, 10), 20u);
    EXPECT_EQ(sync::conversion_space(30, 30), 0u);
    EXPECT_EQ(sync::conversion_space(30, 31), 0u); // GRIN may hold more than its cap
}

TEST(process_plan, drops_converted_books_then_applies_the_limit) {
    request_report report;
    auto planned = plan_requests({"A01", "B02", "C03", "D04", "E05"}, {"B02", "Z99"}, 3, report);
    EXPECT_EQ(planned, (std::vector<std::string>{"A01", "C03", "D04"}));
    EXPECT_EQ(report.removed_converted, 1u);
    EXPECT_EQ(report.removed_by_limit, 1u);

    request_report unlimited;
    EXPECT_EQ(plan_requests({"A01", "B02"}, {}, std::nullopt, unlimited).size(), 2u);
    EXPECT_EQ(unlimited.removed_by_limit, 0u);
}

TEST(process_stop, names_why_the_run_ended) {
    request_tally all{.selected = 3, .requested = 2, .in_process = 1};
    EXPECT_EQ(final_stop(all, 5, false, false, false), stop_reason::finished);
    EXPECT_EQ(final_stop(all, 0, false, true, false), stop_reason::finished); // nothing left
    request_tally some{.selected = 10, .requested = 4};
    EXPECT_EQ(some.left(), 6u);
    EXPECT_EQ(final_stop(some, 0, false, false, false), stop_reason::queue_cap);
    EXPECT_EQ(final_stop(some, 3, true, false, false), stop_reason::queue_full);
    EXPECT_EQ(final_stop(some, 3, false, true, false), stop_reason::interrupted);
    EXPECT_EQ(final_stop(some, 3, false, true, true), stop_reason::cancelled);
}

TEST(process_stop, cap_and_429_are_normal_outcomes_failures_are_not) {
    request_report report;
    report.tally = {.selected = 10, .requested = 4};
    for (auto [stop, code] : {std::pair{stop_reason::finished, 0},
                              {stop_reason::queue_cap, 0},
                              {stop_reason::queue_full, 0},
                              {stop_reason::interrupted, 130},
                              {stop_reason::cancelled, 130}}) {
        report.stop = stop;
        EXPECT_EQ(exit_code_of(report), code) << to_string(stop);
    }
    report.stop = stop_reason::queue_cap;
    report.tally.failed = 1;
    EXPECT_EQ(exit_code_of(report), 1);
}

TEST(process_stop, the_cap_message_says_what_happened_and_what_to_do) {
    request_report report;
    report.tally = {.selected = 50, .requested = 20, .in_process = 2};
    report.stop = stop_reason::queue_cap;
    request_options options;
    auto text = describe_outcome(report, options, "r1");
    EXPECT_NE(text.find("GRIN's conversion queue is full (50,000): 20 requested this run, 28 "
                        "books left. This is a normal stop"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("`grin process monitor --run-name r1`"), std::string::npos) << text;
    EXPECT_NE(text.find("20 requested, 2 already in process, 0 already available, 0 "
                        "unavailable, 0 failed, 28 left"),
              std::string::npos)
        << text;
    report.stop = stop_reason::queue_full;
    EXPECT_NE(describe_outcome(report, options, "r1").find("HTTP 429"), std::string::npos);
}

TEST(conversion_record, writes_the_rows_sync_writes) {
    api::process_entry success{
        .barcode = "B01", .status = "Success", .outcome = api::process_outcome::requested};
    auto requested = sync::conversion_answer_record("B01", success);
    ASSERT_EQ(requested.updates.size(), 1u);
    EXPECT_EQ(requested.updates[0].status_type, "conversion");
    EXPECT_EQ(requested.updates[0].status_value, "requested");
    EXPECT_EQ(nlohmann::json::parse(*requested.updates[0].metadata_json),
              (nlohmann::json{{"conversion_status", "requested"},
                              {"grin_response", "Success"},
                              {"reason", "success"},
                              {"request_count", 1}}));
    ASSERT_EQ(requested.fields.size(), 1u);
    EXPECT_EQ(requested.fields[0].name, "processing_request_timestamp");

    struct expectation {
        api::process_outcome outcome;
        const char* value;
        const char* reason;
    };
    for (auto [outcome, value, reason] :
         {expectation{api::process_outcome::already_available, "skipped", "skip_already_available"},
          expectation{api::process_outcome::in_process, "in_process", "skip_already_in_process"},
          expectation{api::process_outcome::unavailable, "unavailable",
                      "skip_verified_unavailable"}}) {
        auto record = sync::conversion_answer_record("B01", {"B01", "x", outcome});
        EXPECT_EQ(record.updates.at(0).status_value, value);
        EXPECT_EQ(record.reason, reason);
        EXPECT_TRUE(record.fields.empty());
    }
    auto limit = sync::conversion_limit_record("B01");
    EXPECT_EQ(limit.updates.at(0).status_value, "limit_reached");
    EXPECT_EQ(nlohmann::json::parse(*limit.updates.at(0).metadata_json)["grin_response"],
              "HTTP 429");
    auto failed = sync::conversion_error_record("B01", "boom");
    EXPECT_EQ(failed.updates.at(0).status_value, "failed");
    EXPECT_EQ(nlohmann::json::parse(*failed.updates.at(0).metadata_json)["error"], "boom");
}

TEST(queue_monitor, lines_show_counts_changes_and_the_hourly_rate) {
    queue_sample first{.when = system_time{} + std::chrono::hours(1000),
                       .in_process = 10,
                       .converted = 1000,
                       .requested = 20,
                       .requested_converted = 0};
    queue_sample second = first;
    second.when += std::chrono::minutes(30);
    second.in_process = 4;
    second.converted = 1006;
    second.requested_converted = 6;
    EXPECT_DOUBLE_EQ(converted_per_hour(first, second), 12.0);
    auto text = format_sample_text(second, &first);
    EXPECT_NE(text.find("in process: 4 (-6)  converted: 1,006 (+6, 12.0/h)  requested by this "
                        "run: 20, converted: 6 (+6)"),
              std::string::npos)
        << text;
    EXPECT_NE(format_sample_text(first, nullptr).find("(first poll)"), std::string::npos);
    auto json = nlohmann::json::parse(format_sample_json(second, &first));
    EXPECT_EQ(json["in_process_change"], -6);
    EXPECT_EQ(json["converted_change"], 6);
    EXPECT_DOUBLE_EQ(json["seconds_since_previous"].get<double>(), 1800.0);
    EXPECT_TRUE(
        nlohmann::json::parse(format_sample_json(first, nullptr))["converted_change"].is_null());
}

TEST(ocr_extract, names_inputs_by_barcode) {
    EXPECT_EQ(barcode_of_input("/x/HX4Q2A.tar.gz.gpg"), "HX4Q2A");
    EXPECT_EQ(barcode_of_input("HX4Q2A.tar.gz"), "HX4Q2A");
    EXPECT_EQ(barcode_of_input("dir/32044012345678_extracted"), "32044012345678");
    EXPECT_EQ(barcode_of_input("dir/32044012345678_extracted/"), "32044012345678");
    EXPECT_EQ(barcode_of_input("B1.gpg"), "B1");
}

TEST(ocr_extract, reads_an_unpacked_directory_like_the_reference) {
    test::temp_dir work;
    auto book = work / "B1_extracted";
    std::filesystem::create_directories(book / "pages");
    std::ofstream(book / "pages" / "00000001.txt") << "first\r\npage";
    std::ofstream(book / "pages" / "00000003.txt") << "third";
    std::ofstream(book / "notes.txt") << "not a page";
    EXPECT_EQ(detect_input(book), input_kind::directory);
    auto result = extract_ocr(book, nullptr);
    EXPECT_EQ(result.page_count, 3u);
    EXPECT_EQ(archive::gunzip(result.jsonl_gz), "\"first\\npage\"\n\"\"\n\"third\"\n");

    auto empty = work / "empty";
    std::filesystem::create_directories(empty);
    EXPECT_THROW(extract_ocr(empty, nullptr), grin::error);
    std::ofstream(work / "x.tar.gz.gpg") << "not gzip";
    EXPECT_EQ(detect_input(work / "x.tar.gz.gpg"), input_kind::encrypted);
    EXPECT_THROW(extract_ocr(work / "x.tar.gz.gpg", nullptr), grin::error); // no key
}
