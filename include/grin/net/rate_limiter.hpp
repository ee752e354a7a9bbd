#pragma once
// net::rate_limiter: a token bucket on the executor's steady clock, shared by concurrent
// coroutines. acquire() completes when the caller may send one request: at most `burst`
// at once, then one every 1/per_second seconds, however many coroutines ask at the same
// time (each caller reserves the next free slot, then sleeps until it). per_second <= 0
// means unlimited: acquire() completes at once.
//
// It is a GCRA ("virtual scheduling") bucket: one time point, the theoretical arrival
// time of the next request, so there is no refill loop and no drift. With a burst of 1
// it also keeps the observed releases one interval apart: callers woken late together
// (a busy event loop) go one by one, so the server never sees more than the rate in any
// window.
//
// Cancellation: a caller cancelled while waiting throws boost::system::system_error
// (operation_aborted); if its slot was the last one handed out, the slot is given back,
// so cancelled callers do not slow the survivors down.
// Threads: use it from the coroutines of one executor (one I/O thread); not thread-safe.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>

namespace grin::net {

class rate_limiter {
public:
    using clock = std::chrono::steady_clock;

    rate_limiter(boost::asio::any_io_executor executor, double per_second, double burst = 1.0);

    boost::asio::awaitable<void> acquire();

    bool unlimited() const noexcept { return interval_ == clock::duration::zero(); }
    double per_second() const noexcept { return per_second_; }
    std::uint64_t waits() const noexcept { return waits_; } // acquires that had to sleep

private:
    boost::asio::any_io_executor executor_;
    double per_second_;
    clock::duration interval_{};        // one slot; zero when unlimited
    clock::duration burst_allowance_{}; // (burst - 1) slots that may be early
    clock::time_point next_{};          // theoretical arrival time of the next request
    clock::time_point last_release_{};  // when the last caller was let through
    bool released_any_ = false;
    std::uint64_t waits_ = 0;
};

} // namespace grin::net
