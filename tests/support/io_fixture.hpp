#pragma once
// Running coroutines in tests: every run has a hard time cap, and a run that does not
// finish inside it fails the test instead of hanging the suite.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <vector>

namespace grin::test {

class io_fixture {
public:
    boost::asio::io_context io;

    template <class T>
    T run(boost::asio::awaitable<T> work, std::chrono::seconds cap = std::chrono::seconds(30)) {
        std::optional<T> result;
        std::exception_ptr failure;
        bool done = false;
        auto finished = [&](std::exception_ptr error, T value) {
            done = true;
            failure = error;
            if (!error)
                result.emplace(std::move(value));
            io.stop();
        };
        boost::asio::co_spawn(io, std::move(work), finished);
        run_until(done, cap);
        if (failure)
            std::rethrow_exception(failure);
        return std::move(*result);
    }

    void run(boost::asio::awaitable<void> work,
             std::chrono::seconds cap = std::chrono::seconds(30)) {
        std::exception_ptr failure;
        bool done = false;
        auto finished = [&](std::exception_ptr error) {
            done = true;
            failure = error;
            io.stop();
        };
        boost::asio::co_spawn(io, std::move(work), finished);
        run_until(done, cap);
        if (failure)
            std::rethrow_exception(failure);
    }

    // Runs all concurrently; rethrows the first failure after all have finished.
    void run_all(std::vector<boost::asio::awaitable<void>> works,
                 std::chrono::seconds cap = std::chrono::seconds(60)) {
        std::size_t remaining = works.size();
        std::exception_ptr first_failure;
        bool done = remaining == 0;
        auto finished = [&](std::exception_ptr error) {
            if (error && !first_failure)
                first_failure = error;
            if (--remaining == 0) {
                done = true;
                io.stop();
            }
        };
        for (auto& work : works)
            boost::asio::co_spawn(io, std::move(work), finished);
        run_until(done, cap);
        if (first_failure)
            std::rethrow_exception(first_failure);
    }

private:
    void run_until(const bool& done, std::chrono::seconds cap) {
        io.restart();
        auto deadline = std::chrono::steady_clock::now() + cap;
        while (!done && std::chrono::steady_clock::now() < deadline) {
            io.run_for(std::chrono::milliseconds(100));
            if (!done)
                io.restart();
        }
        if (!done)
            throw std::runtime_error("test coroutine did not finish within its time cap");
    }
};

} // namespace grin::test
