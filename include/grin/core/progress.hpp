#pragma once
// Progress lines for long runs (grin-transfer-behaviour.md section 5):
// "20/36,048 (0.1%) - 0.3 books/sec - elapsed: 1m 6s (ETA: 32h 54m) [downloads: 1/5, ...]"
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>

namespace grin {

// Books/sec over a sliding window of progress samples, smoothed with an exponential
// moving average (weight 0.1 for the newest window), so that one slow book does not
// swing the ETA. With fewer than two samples: the overall average since start.
class rate_calculator {
public:
    using clock = std::chrono::steady_clock;

    explicit rate_calculator(std::size_t window = 20, clock::time_point start = clock::now());
    void add(clock::time_point when, std::uint64_t done);
    double rate() const noexcept { return smoothed_; }

private:
    std::size_t window_;
    clock::time_point start_;
    std::deque<std::pair<clock::time_point, std::uint64_t>> samples_;
    double smoothed_ = 0;
    bool have_smoothed_ = false;
};

// "36,048"
std::string with_thousands(std::uint64_t value);

// The head of the progress line, without the bracketed queue part:
// "20/36,048 (0.1%) - 0.3 books/sec - elapsed: 1m 6s (ETA: 32h 54m)"; the ETA is left
// out when the rate is zero or nothing remains.
std::string progress_head(std::uint64_t done,
                          std::uint64_t total,
                          double rate,
                          std::chrono::duration<double> elapsed);

} // namespace grin
