#pragma once
// Two-step Ctrl-C for the long commands (collect, sync, enrich, process): the first
// SIGINT/SIGTERM calls `first` (stop admitting work, let what is in flight finish), the
// second calls `second` (cancel what is in flight); later signals are ignored. Each
// command says in its callbacks what the steps mean for it. cancel() stops listening once
// the command's work is done, so that the event loop can end.
// Threads: the callbacks run on the io_context's thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>

namespace grin::net {

class interrupt_signals {
public:
    using handler = std::function<void(int signal_number)>;

    interrupt_signals(boost::asio::io_context& io, handler first, handler second);
    interrupt_signals(const interrupt_signals&) = delete;
    interrupt_signals& operator=(const interrupt_signals&) = delete;

    // Stops listening; also cancels a pending stop_loop_after(). Required before the loop
    // can end on its own (the signal wait keeps it busy).
    void cancel();
    int count() const noexcept { return count_; }

    // For `second`: gives the cancelled work `grace` to unwind, then stops the loop (the
    // command then leaves without unwinding frames that are still suspended).
    void stop_loop_after(std::chrono::steady_clock::duration grace);

private:
    void wait();

    boost::asio::io_context& io_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer force_stop_;
    handler first_, second_;
    int count_ = 0;
};

} // namespace grin::net
