#pragma once
// sync::async_gate: a counting semaphore for coroutines of one executor (the I/O thread),
// used to admit books into the bounded stages of the pipeline (downloads, uploads,
// conversion requests). Waiters are served in arrival order, so no book starves.
//
// acquire() returns a permit whose destructor releases the slot; a permit moved into a
// book's frame is released however that book ends. A waiter whose coroutine is
// cancelled (asio cancellation, e.g. the second Ctrl-C) leaves the queue and the await
// throws boost::system::system_error(operation_aborted); a slot handed over at the same
// moment is kept by it (it is then released by its permit as usual).
//
// Threads: all members on the gate's executor only (no locking).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <list>

namespace grin::sync {

class async_gate;

class gate_permit {
public:
    gate_permit() = default;
    explicit gate_permit(async_gate* gate) : gate_(gate) {}
    gate_permit(gate_permit&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    gate_permit& operator=(gate_permit&& other) noexcept;
    gate_permit(const gate_permit&) = delete;
    gate_permit& operator=(const gate_permit&) = delete;
    ~gate_permit() { release(); }

    void release() noexcept;
    explicit operator bool() const noexcept { return gate_ != nullptr; }

private:
    async_gate* gate_ = nullptr;
};

class async_gate {
public:
    async_gate(boost::asio::any_io_executor executor, std::size_t limit);
    async_gate(const async_gate&) = delete;
    async_gate& operator=(const async_gate&) = delete;

    boost::asio::awaitable<gate_permit> acquire();

    std::size_t limit() const noexcept { return limit_; }
    std::size_t in_use() const noexcept { return in_use_; }
    std::size_t waiting() const noexcept { return waiters_.size(); }

private:
    friend class gate_permit;
    struct waiter {
        boost::asio::steady_timer* timer = nullptr;
        bool granted = false;
    };

    void release() noexcept;

    boost::asio::any_io_executor executor_;
    std::size_t limit_;
    std::size_t in_use_ = 0;
    std::list<waiter*> waiters_;
};

} // namespace grin::sync
