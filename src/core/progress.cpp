#include <grin/core/progress.hpp>
#include <grin/core/time.hpp>

#include <cstdio>

namespace grin {

rate_calculator::rate_calculator(std::size_t window, clock::time_point start)
    : window_(std::max<std::size_t>(window, 2)), start_(start) {}

void rate_calculator::add(clock::time_point when, std::uint64_t done) {
    samples_.emplace_back(when, done);
    while (samples_.size() > window_)
        samples_.pop_front();
    double current;
    if (samples_.size() < 2) {
        double elapsed = std::chrono::duration<double>(when - start_).count();
        // grin-transfer divides by at least one second, which overstates short runs.
        current = static_cast<double>(done) / std::max(1e-3, elapsed);
    } else {
        const auto& [oldest_time, oldest_done] = samples_.front();
        const auto& [newest_time, newest_done] = samples_.back();
        double span = std::chrono::duration<double>(newest_time - oldest_time).count();
        current = static_cast<double>(newest_done - oldest_done) / std::max(1e-3, span);
    }
    smoothed_ = have_smoothed_ ? 0.1 * current + 0.9 * smoothed_ : current;
    have_smoothed_ = true;
}

std::string with_thousands(std::uint64_t value) {
    std::string digits = std::to_string(value);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            out += ',';
        out += digits[i];
    }
    return out;
}

std::string progress_head(std::uint64_t done,
                          std::uint64_t total,
                          double rate,
                          std::chrono::duration<double> elapsed) {
    double percent = total ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0;
    char numbers[64];
    std::snprintf(numbers, sizeof numbers, " (%.1f%%) - %.1f books/sec - elapsed: ", percent, rate);
    std::string line =
        with_thousands(done) + "/" + with_thousands(total) + numbers + format_duration(elapsed);
    if (rate > 0 && total > done)
        line += " (ETA: " +
                format_duration(
                    std::chrono::duration<double>(static_cast<double>(total - done) / rate)) +
                ")";
    return line;
}

} // namespace grin
