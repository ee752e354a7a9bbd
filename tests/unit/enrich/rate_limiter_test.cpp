// net::rate_limiter: one shared bucket paces concurrent callers; 0 is unlimited; a
// cancelled wait gives its slot back.
#include <grin/net/rate_limiter.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include <algorithm>

#include "io_fixture.hpp"

namespace asio = boost::asio;
using grin::net::rate_limiter;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

asio::awaitable<void> take(rate_limiter& limiter, std::vector<clock_type::time_point>& times) {
    co_await limiter.acquire();
    times.push_back(clock_type::now());
}

} // namespace

// 8 coroutines asking at once at 20/s: the first goes at once (burst 1), then one per 50 ms.
TEST(rate_limiter, spaces_concurrent_callers) {
    grin::test::io_fixture fx;
    rate_limiter limiter(fx.io.get_executor(), 20.0);
    std::vector<clock_type::time_point> times;
    const auto start = clock_type::now();
    std::vector<asio::awaitable<void>> works;
    for (int i = 0; i < 8; ++i)
        works.push_back(take(limiter, times));
    fx.run_all(std::move(works));
    ASSERT_EQ(times.size(), 8u);
    std::sort(times.begin(), times.end());
    EXPECT_LT(times.front() - start, 30ms);
    for (std::size_t i = 1; i < times.size(); ++i)
        EXPECT_GE(times[i] - times[i - 1], 48ms) << i; // releases are spaced by what happened
    EXPECT_GE(times.back() - start, 345ms);            // 7 intervals of 50 ms
    EXPECT_LT(times.back() - start, 1500ms);
    EXPECT_EQ(limiter.waits(), 7u);
}

// A burst of 3 lets three callers through at once, then the rate applies.
TEST(rate_limiter, burst_allows_that_many_at_once) {
    grin::test::io_fixture fx;
    rate_limiter limiter(fx.io.get_executor(), 10.0, 3.0);
    std::vector<clock_type::time_point> times;
    const auto start = clock_type::now();
    std::vector<asio::awaitable<void>> works;
    for (int i = 0; i < 4; ++i)
        works.push_back(take(limiter, times));
    fx.run_all(std::move(works));
    std::sort(times.begin(), times.end());
    EXPECT_LT(times[2] - start, 30ms);
    EXPECT_GE(times[3] - start, 95ms);
}

TEST(rate_limiter, zero_is_unlimited) {
    grin::test::io_fixture fx;
    rate_limiter limiter(fx.io.get_executor(), 0.0);
    EXPECT_TRUE(limiter.unlimited());
    std::vector<clock_type::time_point> times;
    const auto start = clock_type::now();
    std::vector<asio::awaitable<void>> works;
    for (int i = 0; i < 1000; ++i)
        works.push_back(take(limiter, times));
    fx.run_all(std::move(works));
    EXPECT_EQ(times.size(), 1000u);
    EXPECT_LT(clock_type::now() - start, 500ms);
    EXPECT_EQ(limiter.waits(), 0u);
}

// A caller waiting for its slot is cancelled: it fails with operation_aborted at once,
// and its slot goes to the next caller instead of being wasted.
TEST(rate_limiter, cancelled_wait_fails_at_once_and_frees_its_slot) {
    grin::test::io_fixture fx;
    rate_limiter limiter(fx.io.get_executor(), 2.0); // one slot per 500 ms
    const auto start = clock_type::now();
    std::optional<clock_type::duration> cancelled_after;
    bool aborted = false;
    std::optional<clock_type::duration> next_after;
    auto scenario = [&]() -> asio::awaitable<void> {
        co_await limiter.acquire(); // the burst: at once
        asio::cancellation_signal cancel;
        bool done = false;
        auto waiting = limiter.acquire(); // would wait ~500 ms
        asio::co_spawn(fx.io, std::move(waiting),
                       asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr e) {
                           done = true;
                           cancelled_after = clock_type::now() - start;
                           try {
                               if (e)
                                   std::rethrow_exception(e);
                           } catch (const boost::system::system_error& error) {
                               aborted = error.code() == asio::error::operation_aborted;
                           }
                       }));
        asio::steady_timer pause(fx.io, 50ms);
        co_await pause.async_wait(asio::use_awaitable);
        cancel.emit(asio::cancellation_type::terminal);
        while (!done) {
            asio::steady_timer tick(fx.io, 5ms);
            co_await tick.async_wait(asio::use_awaitable);
        }
        co_await limiter.acquire(); // takes the freed slot: ~500 ms after the first
        next_after = clock_type::now() - start;
    };
    fx.run(scenario());
    ASSERT_TRUE(cancelled_after);
    EXPECT_TRUE(aborted);
    EXPECT_LT(*cancelled_after, 300ms);
    ASSERT_TRUE(next_after);
    EXPECT_GE(*next_after, 490ms);
    EXPECT_LT(*next_after, 800ms); // not 1 s: the cancelled caller's slot was given back
}
