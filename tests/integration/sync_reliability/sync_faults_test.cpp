// `grin sync pipeline` against an emulator that injects faults: transient failures
// (503s, resets, truncated bodies) are retried until every good book is stored exactly
// once and byte for byte; a corrupt archive fails its own book only, with its reason
// recorded and nothing published; and a run of failures stops the admission of books.
#include <gtest/gtest.h>

#include <iostream>
#include <regex>

#include "reliability_checks.hpp"
#include "sync_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

std::uint64_t route_requests(const nlohmann::json& stats, const char* route) {
    return stats["requests"][route].get<std::uint64_t>();
}

class sync_faults : public test::sync_fixture {};

TEST_F(sync_faults, transient_faults_are_retried_and_a_corrupt_archive_fails_alone) {
    shape.books = 150;
    shape.archive_size = 16 * 1024;
    start_emulator({"--fault-5xx", "0.05", "--fault-reset", "0.02", "--fault-truncate", "0.02",
                    "--corrupt-archives", "1"});
    collect();
    // --corrupt-archives damages the first converted book (every book is converted here).
    emulator::catalogue catalogue(shape.catalogue());
    std::uint64_t corrupt_index = 0;
    while (!catalogue.is_converted(corrupt_index))
        ++corrupt_index;
    const auto barcodes = test::catalogue_barcodes(shape);
    const std::string corrupt = barcodes.at(corrupt_index);

    auto before = emulator_stats();
    auto started = std::chrono::steady_clock::now();
    auto result = sync({"--queue", "converted"}, 80s);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    auto after = emulator_stats();
    // 1: one book failed (0 would hide the corrupt archive, anything else is a crash).
    ASSERT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("149 synced"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find(", 1 failed"), std::string::npos) << result.output;

    // Every good book: exactly one sync:completed, the exact plaintext, its OCR text.
    auto completed = completed_counts();
    std::size_t verified = 0;
    for (std::uint64_t i = 0; i < barcodes.size(); ++i) {
        const std::string& barcode = barcodes[i];
        if (barcode == corrupt)
            continue;
        EXPECT_EQ(completed[barcode], 1) << barcode;
        EXPECT_TRUE(slurp(archive_path(barcode)) == expected_archive(i))
            << barcode << ": stored archive differs from the emulator's plaintext";
        EXPECT_EQ(test::ocr_problem(ocr_path(barcode)), "") << barcode;
        ++verified;
    }

    // The corrupt book: no completion, a recorded decrypt failure with its reason, and
    // nothing published under its key.
    EXPECT_EQ(completed.count(corrupt), 0u);
    std::size_t decrypt_failures = 0;
    for (const auto& row : test::status_rows(database(), corrupt)) {
        EXPECT_FALSE(row.type == "sync" && row.value == "completed");
        if (row.type != "sync" || row.value != "decrypt_failed")
            continue;
        ++decrypt_failures;
        auto meta = nlohmann::json::parse(row.metadata, nullptr, false);
        ASSERT_TRUE(meta.is_object()) << row.metadata;
        ASSERT_TRUE(meta.contains("error") && meta["error"].is_string()) << row.metadata;
        EXPECT_FALSE(meta["error"].get<std::string>().empty()) << row.metadata;
    }
    EXPECT_EQ(decrypt_failures, 1u);
    EXPECT_FALSE(std::filesystem::exists(archive_path(corrupt)));
    EXPECT_FALSE(std::filesystem::exists(ocr_path(corrupt)));
    auto temporaries = test::storage_temporaries(storage_root());
    EXPECT_TRUE(temporaries.empty())
        << temporaries.size() << " temporaries, e.g. " << temporaries.begin()->string();

    // The faults happened and were survived by retrying.
    const std::uint64_t gets =
        route_requests(after, "archive_get") - route_requests(before, "archive_get");
    const std::uint64_t heads =
        route_requests(after, "archive_head") - route_requests(before, "archive_head");
    const std::uint64_t injected = after["faults_injected"].get<std::uint64_t>() -
                                   before["faults_injected"].get<std::uint64_t>();
    EXPECT_GT(gets, shape.books) << after.dump();
    EXPECT_GT(injected, 0u) << after.dump();
    std::smatch retries;
    ASSERT_TRUE(std::regex_search(result.output, retries, std::regex("([0-9,]+) download retries")))
        << result.output;
    EXPECT_NE(retries[1].str(), "0") << "the pipeline reports no download retry";
    std::cout << "[faults] case=5xx 0.05+reset 0.02+truncate 0.02+1 corrupt books=" << shape.books
              << " injected=" << injected << " archive_get=" << gets << " archive_head=" << heads
              << " download retries=" << retries[1].str() << " outcome: exit " << result.exit_code
              << ", " << verified << " verified byte-identical, corrupt " << corrupt
              << " recorded decrypt_failed; books lost = 0; sync took " << took.count() << " s"
              << std::endl;
}

TEST_F(sync_faults, sequential_failures_stop_admitting_books) {
    shape.books = 60;
    constexpr std::uint64_t max_failures = 10, max_in_flight = 4;
    // Every archive is corrupt: each book downloads once and fails to decrypt (a failure
    // that is not retried), so the failures come fast and in a row.
    start_emulator({"--corrupt-archives", std::to_string(shape.books)});
    collect();
    const auto barcodes = test::catalogue_barcodes(shape);
    auto before_rows = test::barcodes_with_status(database());

    auto before = emulator_stats();
    auto result =
        sync({"--queue", "converted", "--max-sequential-failures", std::to_string(max_failures),
              "--max-in-flight", std::to_string(max_in_flight)},
             60s);
    auto after = emulator_stats();
    ASSERT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find("consecutive failures"), std::string::npos) << result.output;

    const std::uint64_t gets =
        route_requests(after, "archive_get") - route_requests(before, "archive_get");
    const std::uint64_t heads =
        route_requests(after, "archive_head") - route_requests(before, "archive_head");
    // The 10th failure stops admission; only the books already in flight may follow.
    EXPECT_GE(gets, max_failures);
    EXPECT_LE(gets, max_failures + max_in_flight);
    EXPECT_LE(heads, max_failures + max_in_flight);

    // The admitted books each failed once, recorded; the others were never touched.
    auto touched = test::barcodes_with_status(database());
    for (const auto& barcode : before_rows)
        touched.erase(barcode);
    EXPECT_EQ(touched.size(), gets) << "each admitted book is fetched exactly once";
    std::size_t untouched = 0;
    for (const auto& barcode : barcodes) {
        if (!touched.contains(barcode)) {
            EXPECT_TRUE(test::status_rows(database(), barcode).empty()) << barcode;
            EXPECT_FALSE(std::filesystem::exists(archive_path(barcode))) << barcode;
            ++untouched;
            continue;
        }
        bool decrypt_failed = false;
        for (const auto& row : test::status_rows(database(), barcode))
            decrypt_failed =
                decrypt_failed || (row.type == "sync" && row.value == "decrypt_failed");
        EXPECT_TRUE(decrypt_failed) << barcode;
        EXPECT_FALSE(std::filesystem::exists(archive_path(barcode))) << barcode;
    }
    EXPECT_GE(untouched, shape.books - max_failures - max_in_flight);
    EXPECT_TRUE(completed_counts().empty());
    std::cout << "[sequential failures] case=" << shape.books
              << " corrupt archives, --max-sequential-failures " << max_failures
              << " --max-in-flight " << max_in_flight << " injected=corrupt_openpgp x"
              << shape.books << " outcome: exit " << result.exit_code << ", archive_get=" << gets
              << " archive_head=" << heads << ", " << touched.size() << " books recorded failed, "
              << untouched << " never admitted (no status rows); books lost = 0" << std::endl;
}

} // namespace
