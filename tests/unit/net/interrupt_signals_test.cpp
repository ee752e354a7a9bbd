// net::interrupt_signals: the first signal calls `first`, the second `second`, later ones
// are ignored (the process survives them); stop_loop_after stops the loop.
#include <grin/net/interrupt_signals.hpp>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <csignal>
#include <vector>

using namespace std::chrono_literals;

TEST(interrupt_signals, first_then_second_then_ignored) {
    boost::asio::io_context io;
    std::vector<std::string> calls;
    grin::net::interrupt_signals signals(
        io, [&](int number) { calls.push_back("first " + std::to_string(number)); },
        [&](int number) {
            calls.push_back("second " + std::to_string(number));
            std::raise(SIGINT); // a third one: ignored, and it must not kill the process
            signals.stop_loop_after(50ms);
        });
    boost::asio::post(io, [] { std::raise(SIGINT); });
    boost::asio::steady_timer later(io, 20ms);
    later.async_wait([](const boost::system::error_code&) { std::raise(SIGTERM); });
    const auto started = std::chrono::steady_clock::now();
    io.run_for(5s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s) << "stop_loop_after did not stop";
    EXPECT_EQ(calls, (std::vector<std::string>{"first " + std::to_string(SIGINT),
                                               "second " + std::to_string(SIGTERM)}));
    EXPECT_EQ(signals.count(), 3);
}

TEST(interrupt_signals, cancel_lets_the_loop_end) {
    boost::asio::io_context io;
    bool called = false;
    grin::net::interrupt_signals signals(
        io, [&](int) { called = true; }, [&](int) { called = true; });
    boost::asio::post(io, [&] { signals.cancel(); });
    const auto started = std::chrono::steady_clock::now();
    io.run_for(5s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
    EXPECT_FALSE(called);
}
