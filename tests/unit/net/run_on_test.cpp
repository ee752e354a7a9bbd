#include <grin/net/run_on.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "io_fixture.hpp"

namespace asio = boost::asio;

namespace {

struct thread_trace {
    std::thread::id before, after_post, inside_run_on, after_run_on;
};

asio::awaitable<thread_trace> trace(asio::thread_pool& cpu) {
    thread_trace seen;
    seen.before = std::this_thread::get_id();
    co_await asio::post(cpu, asio::use_awaitable);
    seen.after_post = std::this_thread::get_id();
    auto where = [] { return std::this_thread::get_id(); };
    seen.inside_run_on = co_await grin::net::run_on(cpu.get_executor(), where);
    seen.after_run_on = std::this_thread::get_id();
    co_return seen;
}

asio::awaitable<int> failing(asio::thread_pool& cpu) {
    auto work = []() -> int { throw std::runtime_error("bad archive"); };
    co_return co_await grin::net::run_on(cpu.get_executor(), work);
}

} // namespace

TEST(run_on, work_runs_on_the_pool_and_the_caller_resumes_on_its_own_thread) {
    grin::test::io_fixture fixture;
    asio::thread_pool cpu(2);
    auto seen = fixture.run(trace(cpu));
    EXPECT_NE(seen.inside_run_on, seen.before);
    EXPECT_EQ(seen.after_run_on, seen.before);
    // The pitfall run_on exists for: post() to the pool comes straight back.
    EXPECT_EQ(seen.after_post, seen.before);
    cpu.join();
}

TEST(run_on, exceptions_reach_the_caller) {
    grin::test::io_fixture fixture;
    asio::thread_pool cpu(1);
    EXPECT_THROW(fixture.run(failing(cpu)), std::runtime_error);
    cpu.join();
}
