// `grin sync pipeline` interrupted at random moments, then resumed: one graceful Ctrl-C
// (books in flight finish, teardown runs, exit 0), one double Ctrl-C (books in flight
// cancelled, exit 130), then a run to the end. No book may be lost or recorded twice,
// the database must stay sound, every stored archive must be the emulator's exact
// plaintext, and no storage temporary may stay behind. (kill -9 is the reliability
// suite's crash loop: tests/reliability/crash_loop_test.cpp, 30 kills across collect and
// sync.) The emulator's bandwidth cap keeps books in flight long enough for the signals
// to land mid-transfer. GRIN_TEST_SEED=<n> replays one run's timings.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <iostream>
#include <random>
#include <thread>

#include "reliability_checks.hpp"
#include "sync_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

std::uint64_t test_seed() {
    if (const char* given = std::getenv("GRIN_TEST_SEED"))
        return std::strtoull(given, nullptr, 10);
    return std::random_device{}();
}

class sync_crash : public test::sync_fixture {
public:
    std::mt19937_64 rng;

    void pause(double low_seconds, double high_seconds) {
        std::uniform_real_distribution<double> seconds(low_seconds, high_seconds);
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds(rng)));
    }

    // Starts a sync and returns once its queue is running (books being admitted).
    std::unique_ptr<test::child_process> start_queue() {
        auto grin = start_sync({"--queue", "converted"});
        grin->wait_for_line("---", 30s);
        return grin;
    }

    std::size_t synced_books() { return completed_counts().size(); }
};

TEST_F(sync_crash, killed_and_interrupted_runs_lose_no_book) {
    shape.books = 150;
    shape.archive_size = 16 * 1024;
    // ~20 KB archives at 50 KB/s: each download takes ~0.4 s, so signals land mid-transfer.
    start_emulator({"--bandwidth", "50000"});
    collect();
    const std::uint64_t seed = test_seed();
    rng.seed(seed);
    std::cout << "[crash] seed " << seed << " (GRIN_TEST_SEED=" << seed << " to replay)"
              << std::endl;
    std::string progress;

    // 1. One Ctrl-C: the books in flight finish, teardown runs, exit 0.
    {
        auto before = test::storage_temporaries(storage_root());
        auto grin = start_queue();
        pause(0.2, 1.0);
        grin->signal(SIGINT);
        grin->wait_for_line("Received signal", 30s);
        int code = grin->wait(60s);
        ASSERT_EQ(code, 0) << grin->output();
        EXPECT_NE(grin->output().find("Sync finished:"), std::string::npos) << grin->output();
        EXPECT_NE(grin->output().find("Teardown: exported"), std::string::npos) << grin->output();
        EXPECT_NE(grin->output().find(" 0 failed"), std::string::npos) << grin->output();
        EXPECT_EQ(grin->output().find(" cancelled"), std::string::npos)
            << "one Ctrl-C lets the books in flight finish:\n"
            << grin->output();
        EXPECT_EQ(test::storage_temporaries(storage_root()), before)
            << "a graceful stop must leave no temporary";
        ASSERT_EQ(integrity_check(), "ok");
        progress += " sigint:" + std::to_string(synced_books());
    }

    // 2. Ctrl-C twice: the books in flight are cancelled, the database closed, exit 130.
    {
        auto before = test::storage_temporaries(storage_root());
        auto grin = start_queue();
        pause(0.2, 1.0);
        grin->signal(SIGINT);
        grin->wait_for_line("Received signal", 30s);
        grin->signal(SIGINT);
        auto second = std::chrono::steady_clock::now();
        int code = grin->wait(60s);
        std::chrono::duration<double> exit_took = std::chrono::steady_clock::now() - second;
        ASSERT_EQ(code, 130) << grin->output();
        EXPECT_LT(exit_took.count(), 15.0) << "the books in flight were not cancelled";
        progress +=
            " (exit 130 " + std::to_string(exit_took.count()).substr(0, 4) + " s after the 2nd)";
        EXPECT_NE(grin->output().find("Received second signal"), std::string::npos)
            << grin->output();
        EXPECT_EQ(test::storage_temporaries(storage_root()), before)
            << "cancelled books must remove their temporaries";
        ASSERT_EQ(integrity_check(), "ok");
        progress += " sigint x2:" + std::to_string(synced_books());
    }
    ASSERT_LT(synced_books(), shape.books) << "the interruptions came too late to test much";

    // 3. Run to the end.
    auto result = sync({"--queue", "converted"}, 90s);
    ASSERT_EQ(result.exit_code, 0) << result.output;

    // Every book exactly once, intact, with its OCR text and metadata sidecar.
    ASSERT_EQ(integrity_check(), "ok");
    auto completed = completed_counts();
    const auto barcodes = test::catalogue_barcodes(shape);
    for (std::uint64_t i = 0; i < barcodes.size(); ++i) {
        const std::string& barcode = barcodes[i];
        EXPECT_EQ(completed[barcode], 1) << barcode;
        EXPECT_TRUE(slurp(archive_path(barcode)) == expected_archive(i))
            << barcode << ": stored archive differs from the emulator's plaintext";
        EXPECT_EQ(test::ocr_problem(ocr_path(barcode)), "") << barcode;
        auto sidecar = archive_path(barcode).parent_path() / ("." + barcode + ".tar.gz.meta.json");
        auto meta = nlohmann::json::parse(slurp(sidecar), nullptr, false);
        EXPECT_TRUE(meta.is_object() && meta.contains("metadata") &&
                    meta["metadata"].contains("encrypted_etag"))
            << barcode << ": sidecar " << sidecar;
    }
    EXPECT_EQ(completed.size(), barcodes.size());

    // Neither a graceful stop nor a cancelled book may leave a temporary.
    auto temporaries = test::storage_temporaries(storage_root());
    EXPECT_TRUE(temporaries.empty())
        << temporaries.size() << " temporaries, e.g. " << temporaries.begin()->string();

    if (std::filesystem::exists(test::source_dir() / "include/grin/run/database_backup.hpp")) {
        std::size_t backups = 0;
        for ([[maybe_unused]] const auto& entry :
             std::filesystem::directory_iterator(run_dir() / "backups"))
            ++backups;
        EXPECT_GE(backups, 1u);
        EXPECT_LE(backups, 10u);
    }

    std::cout << "[crash] case=150 books, SIGINT + SIGINT x2 + resume, seed " << seed
              << "; synced after each step:" << progress << " final:" << completed.size()
              << "; outcome: every book completed exactly once, byte-identical, OCR present, "
                 "integrity ok, no temporaries; books lost = 0"
              << std::endl;
}

} // namespace
