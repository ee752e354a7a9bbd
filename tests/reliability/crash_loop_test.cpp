// The crash loop (issue #8, part 2): 30 `kill -9` at seeded random moments, first across
// `grin collect` (its list pages slowed down so that kills land mid-listing), then across
// `grin sync pipeline` (archives bandwidth-limited so that kills land mid-transfer), each
// followed by a rerun; the last runs go to the end. Afterwards every book is synced
// exactly once, byte-identical to the emulator's plaintext, integrity_check ok, at most
// 10 database backups. GRIN_TEST_SEED=<n> replays one run's timings.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <random>
#include <thread>

#include "reliability_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

std::uint64_t test_seed() {
    if (const char* given = std::getenv("GRIN_TEST_SEED"))
        return std::strtoull(given, nullptr, 10);
    return std::random_device{}();
}

class crash_loop : public test::reliability_fixture {};

TEST_F(crash_loop, thirty_kills_across_collect_and_sync_lose_no_book) {
    constexpr int collect_kills = 8, sync_kills = 22;
    describe_case("crash loop", std::to_string(collect_kills + sync_kills) + " x kill -9 (" +
                                    std::to_string(collect_kills) + " in collect, " +
                                    std::to_string(sync_kills) + " in sync)");
    shape.books = 60;
    // Each list page waits 150 ms; each ~20 KB archive takes ~0.5 s at 40 KB/s, so the 60
    // books need ~8 s of transfers with 4 downloads at once. A killed sync lives 0.3-1.2 s:
    // some finish a few books, none finishes the library, with or without sanitizers
    // slowing start-up.
    start_emulator({"--bandwidth", "40000", "--fault",
                    "route=all_books,fault=stall_before_headers,stall_ms=150,p=1"});
    const std::uint64_t seed = test_seed();
    std::mt19937_64 rng(seed);
    std::cout << "[crash loop] seed " << seed << " (GRIN_TEST_SEED=" << seed << " to replay)"
              << std::endl;
    auto pause = [&](double low, double high) {
        std::uniform_real_distribution<double> seconds(low, high);
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds(rng)));
    };

    std::vector<std::string> collect_args = {"collect",
                                             "--run-name",
                                             run_name,
                                             "--output-root",
                                             output_root().string(),
                                             "--library-directory",
                                             shape.library,
                                             "--grin-base-url",
                                             emulator.url + "/libraries/",
                                             "--ca-file",
                                             emulator.ca_file,
                                             "--storage",
                                             "local",
                                             "--storage-path",
                                             storage_root().string(),
                                             "--page-size",
                                             "5"};
    int killed = 0, finished_early = 0;
    auto kill_one = [&](std::unique_ptr<test::child_process> grin, double low, double high) {
        pause(low, high);
        grin->signal(SIGKILL);
        int code = grin->wait(30s);
        if (code == 128 + SIGKILL) {
            ++killed;
        } else {
            // The run ended before the signal: it must have ended well.
            EXPECT_EQ(code, 0) << tail(grin->output());
            ++finished_early;
        }
        if (std::filesystem::exists(database()))
            EXPECT_EQ(integrity_check(), "ok") << "after kill " << killed;
    };

    for (int round = 0; round < collect_kills; ++round)
        kill_one(start_grin(collect_args), 0.1, 1.2);
    auto collected = grin(collect_args, 120s);
    ASSERT_EQ(collected.exit_code, 0) << tail(collected.output);

    std::uint64_t synced_before_last = 0;
    for (int round = 0; round < sync_kills; ++round)
        kill_one(start_sync({"--queue", "converted"}), 0.3, 1.2);
    synced_before_last = completed_counts().size();
    auto result = sync({"--queue", "converted"}, 120s);
    ASSERT_EQ(result.exit_code, 0) << tail(result.output);

    std::size_t backups = 0;
    if (std::filesystem::exists(run_dir() / "backups"))
        for ([[maybe_unused]] const auto& entry :
             std::filesystem::directory_iterator(run_dir() / "backups"))
            ++backups;
    EXPECT_LE(backups, 10u);
    EXPECT_GE(killed, (collect_kills + sync_kills) / 2) << "most signals came too late";
    EXPECT_LT(synced_before_last, shape.books) << "the kills came too late to test much";
    verify_complete();
    outcome = std::to_string(killed) + " killed mid-run, " + std::to_string(finished_early) +
              " finished first; seed " + std::to_string(seed) + "; " +
              std::to_string(synced_before_last) + "/60 synced before the last run; " +
              std::to_string(backups) + " backups";
}

} // namespace
