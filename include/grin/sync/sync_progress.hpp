#pragma once
// The sync progress line (DESIGN section 6, grin-transfer-behaviour.md 5):
//   20/36,048 (0.1%) - 0.3 books/sec - elapsed: 1m 6s (ETA: 32h 54m) [downloads: 1/5,
//   processing: 29, waiting to download: 100, waiting to be processed: 0]
// printed every `every_books` finished books and at least every `every` while books are
// running. On a terminal it is one live line (rewritten in place); otherwise, and in the
// log, periodic lines. Threads: the I/O thread.
#include <grin/core/progress.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace grin::sync {

struct stage_snapshot {
    std::size_t downloads_active = 0;
    std::size_t downloads_limit = 0;
    std::size_t processing = 0;
    std::size_t waiting_to_download = 0;
    std::size_t waiting_to_be_processed = 0;
};

std::string format_progress_line(std::uint64_t done,
                                 std::uint64_t total,
                                 double rate,
                                 std::chrono::duration<double> elapsed,
                                 const stage_snapshot& stages);

class progress_reporter {
public:
    using clock = std::chrono::steady_clock;
    using output = std::function<void(const std::string& line, bool live)>;

    progress_reporter(std::uint64_t total,
                      output print,
                      std::uint64_t every_books = 20,
                      std::chrono::seconds every = std::chrono::seconds(10));

    // A book finished; prints when every_books more are done, or at the last one.
    void book_done(const stage_snapshot& stages);
    // Called by a timer; prints if nothing was printed for `every`.
    void tick(const stage_snapshot& stages);

    std::uint64_t done() const noexcept { return done_; }
    std::chrono::duration<double> elapsed() const { return clock::now() - start_; }

private:
    void print(const stage_snapshot& stages);

    std::uint64_t total_;
    output print_;
    std::uint64_t every_books_;
    std::chrono::seconds every_;
    clock::time_point start_ = clock::now();
    clock::time_point last_print_ = start_;
    std::uint64_t done_ = 0;
    std::uint64_t printed_at_ = 0;
    rate_calculator rate_{20, start_};
};

} // namespace grin::sync
