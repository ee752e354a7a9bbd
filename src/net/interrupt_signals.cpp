#include <grin/net/interrupt_signals.hpp>

#include <csignal>

namespace grin::net {

interrupt_signals::interrupt_signals(boost::asio::io_context& io, handler first, handler second)
    : io_(io)
    , signals_(io, SIGINT, SIGTERM)
    , force_stop_(io)
    , first_(std::move(first))
    , second_(std::move(second)) {
    wait();
}

void interrupt_signals::wait() {
    signals_.async_wait([this](const boost::system::error_code& failed, int number) {
        if (failed)
            return;
        ++count_;
        wait(); // later signals are counted and ignored, never the default action
        if (count_ == 1 && first_)
            first_(number);
        else if (count_ == 2 && second_)
            second_(number);
    });
}

void interrupt_signals::cancel() {
    signals_.cancel();
    force_stop_.cancel();
}

void interrupt_signals::stop_loop_after(std::chrono::steady_clock::duration grace) {
    force_stop_.expires_after(grace);
    force_stop_.async_wait([this](const boost::system::error_code& cancelled) {
        if (!cancelled)
            io_.stop();
    });
}

} // namespace grin::net
