#include <grin/sync/async_gate.hpp>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

#include <algorithm>
#include <stdexcept>

namespace grin::sync {
namespace asio = boost::asio;

gate_permit& gate_permit::operator=(gate_permit&& other) noexcept {
    if (this != &other) {
        release();
        gate_ = other.gate_;
        other.gate_ = nullptr;
    }
    return *this;
}

void gate_permit::release() noexcept {
    if (gate_ != nullptr) {
        gate_->release();
        gate_ = nullptr;
    }
}

async_gate::async_gate(asio::any_io_executor executor, std::size_t limit)
    : executor_(std::move(executor)), limit_(limit) {
    if (limit_ == 0)
        throw std::invalid_argument("async_gate limit must be at least 1");
}

asio::awaitable<gate_permit> async_gate::acquire() {
    if (in_use_ < limit_ && waiters_.empty()) {
        ++in_use_;
        co_return gate_permit(this);
    }
    // A cancelled coroutine would otherwise throw from the co_await below before this
    // frame could leave the queue (and a slot handed over at that moment would be lost).
    const bool throwing = co_await asio::this_coro::throw_if_cancelled();
    co_await asio::this_coro::throw_if_cancelled(false);
    asio::steady_timer timer(executor_, asio::steady_timer::time_point::max());
    waiter self{.timer = &timer};
    waiters_.push_back(&self);
    boost::system::error_code woken;
    // The wait ends by release() cancelling the timer (granted) or by the caller's
    // cancellation (not granted); both report operation_aborted.
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, woken));
    co_await asio::this_coro::throw_if_cancelled(throwing); // the setting is the book's
    if (self.granted)
        co_return gate_permit(this);
    waiters_.remove(&self);
    throw boost::system::system_error(asio::error::operation_aborted, "waiting for a stage slot");
}

void async_gate::release() noexcept {
    if (!waiters_.empty()) {
        waiter* next = waiters_.front();
        waiters_.pop_front();
        next->granted = true; // the slot passes on; in_use_ stays
        next->timer->cancel();
        return;
    }
    if (in_use_ > 0)
        --in_use_;
}

} // namespace grin::sync
