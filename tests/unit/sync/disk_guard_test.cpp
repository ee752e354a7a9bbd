#include <grin/sync/disk_guard.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <gtest/gtest.h>

#include "io_fixture.hpp"
#include "test_support.hpp"

using namespace grin::sync;
namespace asio = boost::asio;
using namespace std::chrono_literals;

TEST(disk_guard, reads_the_usage_of_a_real_file_system) {
    grin::test::temp_dir dir;
    auto ratio = disk_usage_ratio(dir.path());
    ASSERT_TRUE(ratio);
    EXPECT_GE(*ratio, 0.0);
    EXPECT_LE(*ratio, 1.0);
    EXPECT_FALSE(disk_usage_ratio(dir / "no" / "such" / "dir"));
}

namespace {
asio::awaitable<void> wait_then_mark(disk_guard* guard, bool* passed) {
    co_await guard->wait_until_below();
    *passed = true;
}
} // namespace

TEST(disk_guard, new_downloads_wait_while_the_disk_is_over_the_threshold) {
    grin::test::io_fixture fixture;
    double usage = 0.95;
    disk_guard guard(fixture.io.get_executor(),
                     {.path = "/", .threshold = 0.9, .poll_interval = 5ms, .recheck_bytes = 100},
                     [&usage] { return std::optional<double>(usage); });
    bool passed = false;
    asio::co_spawn(fixture.io, wait_then_mark(&guard, &passed), asio::detached);
    fixture.io.run_for(50ms);
    EXPECT_FALSE(passed);
    EXPECT_TRUE(guard.paused());
    EXPECT_EQ(guard.waiting(), 1u);
    usage = 0.5;
    fixture.io.restart();
    fixture.io.run_for(50ms);
    EXPECT_TRUE(passed);
    EXPECT_FALSE(guard.paused());
    EXPECT_EQ(guard.waiting(), 0u);
    EXPECT_EQ(guard.pauses(), 1u);
}

TEST(disk_guard, a_running_download_pauses_new_ones_once_the_disk_fills) {
    grin::test::io_fixture fixture;
    double usage = 0.5;
    int probes = 0;
    disk_guard guard(fixture.io.get_executor(),
                     {.path = "/", .threshold = 0.9, .recheck_bytes = 1000}, [&] {
                         ++probes;
                         return std::optional<double>(usage);
                     });
    guard.note_bytes(999);
    EXPECT_EQ(probes, 0); // not yet recheck_bytes
    usage = 0.97;
    guard.note_bytes(1);
    EXPECT_EQ(probes, 1);
    EXPECT_TRUE(guard.paused());
}

TEST(disk_guard, a_threshold_of_one_disables_it) {
    grin::test::io_fixture fixture;
    disk_guard guard(fixture.io.get_executor(), {.path = "/", .threshold = 1.0},
                     [] { return std::optional<double>(1.0); });
    fixture.run(guard.wait_until_below(), std::chrono::seconds(5));
    EXPECT_FALSE(guard.paused());
}
