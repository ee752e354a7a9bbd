#include <grin/sync/async_gate.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "io_fixture.hpp"

using namespace grin::sync;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

asio::awaitable<void>
hold(async_gate& gate, int& active, int& peak, std::vector<int>& order, int id) {
    gate_permit permit = co_await gate.acquire();
    order.push_back(id);
    ++active;
    peak = std::max(peak, active);
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(5ms);
    co_await timer.async_wait(asio::use_awaitable);
    --active;
}

asio::awaitable<void> take(async_gate* gate, gate_permit* out) {
    *out = co_await gate->acquire();
}

asio::awaitable<void> take_and_drop(async_gate* gate, bool* got) {
    gate_permit permit = co_await gate->acquire();
    *got = true;
}

} // namespace

TEST(async_gate, never_admits_more_than_its_limit_and_serves_in_arrival_order) {
    grin::test::io_fixture fixture;
    async_gate gate(fixture.io.get_executor(), 3);
    int active = 0, peak = 0, finished = 0;
    std::vector<int> order;
    for (int id = 0; id < 12; ++id)
        asio::co_spawn(fixture.io, hold(gate, active, peak, order, id),
                       [&](std::exception_ptr error) {
                           EXPECT_FALSE(error);
                           ++finished;
                       });
    fixture.io.run_for(5s);
    EXPECT_EQ(finished, 12);
    EXPECT_EQ(peak, 3);
    std::vector<int> expected(12);
    for (int i = 0; i < 12; ++i)
        expected[i] = i;
    EXPECT_EQ(order, expected);
    EXPECT_EQ(gate.in_use(), 0u);
    EXPECT_EQ(gate.waiting(), 0u);
}

TEST(async_gate, a_cancelled_waiter_leaves_the_queue_and_the_slot_passes_on) {
    grin::test::io_fixture fixture;
    async_gate gate(fixture.io.get_executor(), 1);
    auto first = std::make_unique<gate_permit>();
    bool cancelled_threw = false, third_got_it = false;
    asio::cancellation_signal cancel;
    asio::co_spawn(fixture.io, take(&gate, first.get()), asio::detached);
    fixture.io.run_for(10ms);
    ASSERT_TRUE(*first);
    gate_permit never;
    asio::co_spawn(fixture.io, take(&gate, &never),
                   asio::bind_cancellation_slot(cancel.slot(), [&](std::exception_ptr error) {
                       try {
                           if (error)
                               std::rethrow_exception(error);
                       } catch (const boost::system::system_error& e) {
                           cancelled_threw = e.code() == asio::error::operation_aborted;
                       }
                   }));
    asio::co_spawn(fixture.io, take_and_drop(&gate, &third_got_it), asio::detached);
    fixture.io.restart();
    fixture.io.run_for(10ms);
    EXPECT_EQ(gate.waiting(), 2u);
    cancel.emit(asio::cancellation_type::terminal);
    fixture.io.restart();
    fixture.io.run_for(10ms);
    EXPECT_TRUE(cancelled_threw);
    EXPECT_EQ(gate.waiting(), 1u);
    EXPECT_FALSE(third_got_it);
    first.reset(); // releases: the slot goes to the third, not to the cancelled one
    fixture.io.restart();
    fixture.io.run_for(10ms);
    EXPECT_TRUE(third_got_it);
    EXPECT_EQ(gate.in_use(), 0u);
}
