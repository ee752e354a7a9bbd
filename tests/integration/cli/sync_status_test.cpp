// `grin sync status` end to end: the built binary on a run directory whose books.db holds
// the hand-counted scenario (sync_status_scenario.hpp). It must print those numbers, in
// text and in JSON, and leave the run directory exactly as it was.
#include <grin/core/atomic_file.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <thread>

#include "child_process.hpp"
#include "sync_status_scenario.hpp"
#include "test_support.hpp"

using namespace grin;
using namespace std::chrono_literals;
using grin::test::sync_status_expected;

namespace {

class sync_status : public ::testing::Test {
public:
    test::temp_dir work;
    std::filesystem::path run_dir = work / "output" / "lib_run";

    // A run directory as collect and sync leave it (books.db in WAL mode, closed).
    void make_run() {
        std::filesystem::create_directories(run_dir / "backups");
        write_file_atomically(run_dir / "run_config.json", R"({"run_name": "lib_run"})");
        write_file_atomically(run_dir / "books_export.csv", "Barcode\r\n");
        write_file_atomically(run_dir / "session.lock", "");
        write_file_atomically(run_dir / "backups" / "books_backup_20250101_000000.db", "x");
        SQLite::Database connection((run_dir / "books.db").string(),
                                    SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        connection.exec("PRAGMA journal_mode = WAL");
        test::write_sync_status_scenario(connection);
    }

    std::pair<int, std::string> grin(std::vector<std::string> args) {
        args.insert(args.begin(), test::built_binary("grin").string());
        test::child_process process(args);
        int code = process.wait(60s);
        return {code, process.output()};
    }

    std::pair<int, std::string> status(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"sync",    "status",        "--run-name",
                                         "lib_run", "--output-root", (work / "output").string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return grin(args);
    }

    // The listing after the mtime clock (coarse, a few ms) has moved on, so that any
    // write afterwards shows.
    std::vector<test::file_state> settled_state() {
        std::this_thread::sleep_for(30ms);
        return test::directory_state(run_dir);
    }
};

// "  Synced:                  10 (30.3%)" -> 10; -1 when the label is missing.
std::int64_t number_after(const std::string& output, const std::string& label) {
    std::smatch match;
    std::regex pattern("\\n  " + label + ":\\s+([0-9,]+)");
    if (!std::regex_search(output, match, pattern))
        return -1;
    std::string digits = match[1];
    digits.erase(std::remove(digits.begin(), digits.end(), ','), digits.end());
    return std::stoll(digits);
}

void expect_text_numbers(const std::string& output) {
    EXPECT_EQ(number_after(output, "Books"), sync_status_expected::total_books) << output;
    EXPECT_EQ(number_after(output, "Synced"), sync_status_expected::synced) << output;
    EXPECT_EQ(number_after(output, "Failed"), sync_status_expected::failed) << output;
    EXPECT_EQ(number_after(output, "Skipped"), sync_status_expected::skipped) << output;
    EXPECT_EQ(number_after(output, "Conversion pending"), sync_status_expected::conversion_pending)
        << output;
    EXPECT_EQ(number_after(output, "Conversion limit reached"),
              sync_status_expected::conversion_limit_reached)
        << output;
    EXPECT_EQ(number_after(output, "Conversion unavailable"),
              sync_status_expected::conversion_unavailable)
        << output;
    EXPECT_EQ(number_after(output, "Conversion failed"), sync_status_expected::conversion_failed)
        << output;
    EXPECT_EQ(number_after(output, "Never attempted"), sync_status_expected::never_attempted)
        << output;
    for (const auto& [status, books] : sync_status_expected::latest_sync())
        EXPECT_EQ(number_after(output, status), books) << status << "\n" << output;
}

} // namespace

TEST_F(sync_status, prints_the_counts_and_writes_nothing) {
    make_run();
    auto before = settled_state();

    auto [code, output] = status();

    EXPECT_EQ(code, 0) << output;
    expect_text_numbers(output);
    EXPECT_NE(output.find("(30.3%)"), std::string::npos) << output; // 10 of 33 synced
    // The five reasons, most books first.
    auto reasons = sync_status_expected::reasons();
    std::size_t last = output.find("Top failure reasons:");
    ASSERT_NE(last, std::string::npos) << output;
    for (const auto& reason : reasons) {
        auto text = "  " + std::to_string(reason.books) + "  " + reason.status + ": " +
                    (reason.reason.empty() ? "(no reason recorded)" : reason.reason) + "\n";
        auto at = output.find(text, last);
        EXPECT_NE(at, std::string::npos) << text << "in\n" << output;
        last = at == std::string::npos ? last : at;
    }
    auto after = test::directory_state(run_dir);
    EXPECT_EQ(after, before) << "before:\n"
                             << test::describe(before) << "after:\n"
                             << test::describe(after);
}

TEST_F(sync_status, json_has_the_same_numbers) {
    make_run();
    auto before = settled_state();

    auto [text_code, text] = status({"--top", "2"});
    auto [code, output] = status({"--format", "json", "--top", "2"});

    ASSERT_EQ(code, 0) << output;
    ASSERT_EQ(text_code, 0) << text;
    auto json = nlohmann::json::parse(output, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << output;
    EXPECT_EQ(json["run_name"], "lib_run");
    EXPECT_EQ(json["total_books"], sync_status_expected::total_books);
    EXPECT_EQ(json["synced"], sync_status_expected::synced);
    EXPECT_EQ(json["failed"], sync_status_expected::failed);
    EXPECT_EQ(json["skipped"], sync_status_expected::skipped);
    EXPECT_EQ(json["conversion"]["pending"], sync_status_expected::conversion_pending);
    EXPECT_EQ(json["conversion"]["limit_reached"], sync_status_expected::conversion_limit_reached);
    EXPECT_EQ(json["conversion"]["unavailable"], sync_status_expected::conversion_unavailable);
    EXPECT_EQ(json["conversion"]["conversion_failed"], sync_status_expected::conversion_failed);
    EXPECT_EQ(json["never_attempted"], sync_status_expected::never_attempted);
    auto expected_latest = sync_status_expected::latest_sync();
    ASSERT_EQ(json["latest_sync_status"].size(), expected_latest.size()) << output;
    for (std::size_t i = 0; i < expected_latest.size(); ++i) {
        EXPECT_EQ(json["latest_sync_status"][i]["status"], expected_latest[i].first);
        EXPECT_EQ(json["latest_sync_status"][i]["books"], expected_latest[i].second);
        // The text printed the same number for the same status.
        EXPECT_EQ(number_after(text, expected_latest[i].first), expected_latest[i].second);
    }
    auto reasons = sync_status_expected::reasons();
    ASSERT_EQ(json["top_failure_reasons"].size(), 2u) << output;
    for (std::size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(json["top_failure_reasons"][i]["status"], reasons[i].status);
        EXPECT_EQ(json["top_failure_reasons"][i]["reason"], reasons[i].reason);
        EXPECT_EQ(json["top_failure_reasons"][i]["books"], reasons[i].books);
    }
    EXPECT_NE(text.find("\n  3  check_failed: HTTP 404\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("decrypt_failed: (no reason"), std::string::npos) << "--top 2 ignored";
    EXPECT_EQ(test::directory_state(run_dir), before);
}

TEST_F(sync_status, a_running_writer_is_read_through_its_wal_without_writing) {
    make_run();
    // Another process (a sync in progress) has committed a book the main file lacks.
    SQLite::Database writer((run_dir / "books.db").string(), SQLite::OPEN_READWRITE);
    writer.exec("INSERT INTO books (barcode, created_at, updated_at) VALUES ('NEW', 't', 't')");
    ASSERT_TRUE(std::filesystem::exists(run_dir / "books.db-wal"));
    ASSERT_TRUE(std::filesystem::exists(run_dir / "books.db-shm"));
    auto before = settled_state();

    auto [code, output] = status({"--format", "json"});

    ASSERT_EQ(code, 0) << output;
    auto json = nlohmann::json::parse(output, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << output;
    EXPECT_EQ(json["total_books"], sync_status_expected::total_books + 1);
    EXPECT_EQ(json["never_attempted"], sync_status_expected::never_attempted + 1);
    auto after = test::directory_state(run_dir);
    EXPECT_EQ(after, before) << "before:\n"
                             << test::describe(before) << "after:\n"
                             << test::describe(after);
}

TEST_F(sync_status, a_missing_run_or_database_exits_2_saying_what_to_do) {
    auto [code, output] = status();
    EXPECT_EQ(code, 2) << output;
    EXPECT_NE(output.find("no run directory " + run_dir.string()), std::string::npos) << output;
    EXPECT_NE(output.find("grin collect --run-name lib_run"), std::string::npos) << output;

    std::filesystem::create_directories(run_dir);
    auto before = settled_state();
    std::tie(code, output) = status();
    EXPECT_EQ(code, 2) << output;
    EXPECT_NE(output.find((run_dir / "books.db").string()), std::string::npos) << output;
    EXPECT_NE(output.find("run `grin collect` first"), std::string::npos) << output;
    EXPECT_EQ(test::directory_state(run_dir), before) << "created something";
}

TEST_F(sync_status, sync_needs_a_subcommand_and_status_needs_a_run_name) {
    auto [code, output] = grin({"sync"});
    EXPECT_NE(code, 0);
    EXPECT_NE(output.find("subcommand is required"), std::string::npos) << output;
    std::tie(code, output) = grin({"sync", "--help"});
    EXPECT_EQ(code, 0);
    EXPECT_NE(output.find("status"), std::string::npos) << output;
    std::tie(code, output) = grin({"sync", "status"});
    EXPECT_NE(code, 0);
    EXPECT_NE(output.find("--run-name"), std::string::npos) << output;
    std::tie(code, output) = grin({"sync", "status", "--run-name", "x", "--format", "xml"});
    EXPECT_NE(code, 0);
    EXPECT_NE(output.find("json"), std::string::npos) << output;
}
