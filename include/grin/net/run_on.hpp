#pragma once
// run_on(executor, work): runs a plain function (CPU work: decryption, inflation, hashing;
// or blocking file work) on another executor, such as the CPU thread pool, and resumes
// the awaiting coroutine on its own executor with the result or the exception.
//
// Why not `co_await asio::post(pool, use_awaitable)` (DESIGN section 2's first idea): the
// continuation of that await is dispatched back to the coroutine's own executor, so the
// code after it still runs on the I/O thread. tests/unit/net/run_on_test.cpp shows both.
// Cancellation: the work, once started, runs to completion.
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>

namespace grin::net {

namespace detail {

template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> invoke_here(F work) {
    co_return work();
}

} // namespace detail

template <class Executor, class F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_on(Executor executor, F work) {
    auto task = detail::invoke_here(std::move(work));
    // Not connected to the caller's cancellation slot: Asio 1.81's co_spawn performs its
    // first co_await (the hop onto `executor`) outside its try block, so a child cancelled
    // before it starts throws on the pool thread and terminates the process (seen under
    // the second Ctrl-C). The caller still sees its own cancellation at its next await.
    auto not_cancellable = boost::asio::bind_cancellation_slot(boost::asio::cancellation_slot(),
                                                               boost::asio::use_awaitable);
    co_return co_await boost::asio::co_spawn(executor, std::move(task), not_cancellable);
}

} // namespace grin::net
