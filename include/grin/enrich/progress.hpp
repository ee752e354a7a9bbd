#pragma once
// The lines `grin enrich` prints:
//   "Progress: 1,200/5,000 processed (240.0 books/sec, 3.1 req/s) ETA 16s"
//   "Completed: 5,000 processed, 4,990 enriched, 0 failed (in 0 batches) in 21.3s
//    (234.7 books/sec, 3.0 req/s)"
// Pure, thread-safe.
#include <chrono>
#include <cstdint>
#include <string>

namespace grin::enrich {

struct progress_figures {
    std::uint64_t processed = 0;
    std::uint64_t total = 0; // books this run set out to do
    double books_per_second = 0;
    double requests_per_second = 0;
};

// The ETA is left out while the rate is zero or nothing remains.
std::string progress_line(const progress_figures& figures);

struct completed_figures {
    std::uint64_t processed = 0;
    std::uint64_t enriched = 0;
    std::uint64_t not_found = 0;
    std::uint64_t failed = 0;
    std::uint64_t failed_batches = 0;
    std::uint64_t requests = 0;
    std::chrono::duration<double> elapsed{};
};

std::string completed_line(const completed_figures& figures);

} // namespace grin::enrich
