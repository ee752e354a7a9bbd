#include <grin/net/awaitable.hpp>
#include <grin/net/rate_limiter.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>

namespace grin::net {
namespace asio = boost::asio;

rate_limiter::rate_limiter(asio::any_io_executor executor, double per_second, double burst)
    : executor_(std::move(executor)), per_second_(per_second > 0 ? per_second : 0.0) {
    if (per_second_ > 0) {
        interval_ = std::chrono::duration_cast<clock::duration>(
            std::chrono::duration<double>(1.0 / per_second_));
        if (interval_ <= clock::duration::zero())
            interval_ = clock::duration(1);
        const double extra = std::max(0.0, burst - 1.0);
        burst_allowance_ = std::chrono::duration_cast<clock::duration>(interval_ * extra);
    }
}

namespace {

asio::awaitable<boost::system::error_code> sleep_until(asio::any_io_executor executor,
                                                       rate_limiter::clock::time_point when) {
    asio::steady_timer timer(executor, when);
    auto [failed] = co_await timer.async_wait(use_nothrow);
    co_return failed;
}

} // namespace

asio::awaitable<void> rate_limiter::acquire() {
    if (unlimited())
        co_return;
    auto now = clock::now();
    const auto arrival = std::max(next_, now);
    const auto slot = std::max(now, arrival - burst_allowance_);
    next_ = arrival + interval_;
    if (slot > now) {
        ++waits_;
        const auto reserved_until = next_;
        auto failed = co_await sleep_until(executor_, slot);
        if (failed) {
            // Nobody reserved after us: the slot is free again.
            if (next_ == reserved_until)
                next_ = reserved_until - interval_;
            throw boost::system::system_error(failed, "rate limiter wait");
        }
    }
    if (burst_allowance_ != clock::duration::zero())
        co_return;
    // Without a burst, releases stay one interval apart as the server sees them, even
    // when a busy loop wakes several reserved callers late at the same moment.
    for (now = clock::now(); released_any_ && now < last_release_ + interval_; now = clock::now()) {
        auto failed = co_await sleep_until(executor_, last_release_ + interval_);
        if (failed)
            throw boost::system::system_error(failed, "rate limiter wait");
    }
    released_any_ = true;
    last_release_ = now;
    next_ = std::max(next_, now + interval_);
}

} // namespace grin::net
