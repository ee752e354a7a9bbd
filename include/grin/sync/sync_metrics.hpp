#pragma once
// sync::sync_metrics: the sync pipeline's figures in a metrics::registry (DESIGN section 3):
//   grin_books_total{outcome}                     books finished, by outcome
//   grin_stage_duration_seconds{stage}            check (HEAD), download (the streamed
//                                                 GET + decrypt + process pass), process
//                                                 (CPU time of decrypt/unpack/extract),
//                                                 upload (commit + OCR object), record
//                                                 (each status write)
//   grin_downloaded_bytes_total, grin_uploaded_bytes_total
//   grin_cpu_jobs_pending                         CPU-pool jobs posted, not finished
//   grin_queue_books_waiting{stage}, grin_queue_books_active{stage}  per stage gate
//   grin_books_in_flight, grin_books_processing   (watch(): read at scrape time)
// Updates are atomics through references resolved once, so the I/O thread pays little.
#include <grin/metrics/registry.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace grin::sync {

enum class book_outcome;
struct stage_gates;

enum class stage { check, download, process, upload, record };

class sync_metrics {
public:
    explicit sync_metrics(metrics::registry& registry);

    void book_finished(book_outcome outcome);
    void observe(stage which, std::chrono::steady_clock::duration took) noexcept;
    void downloaded(std::uint64_t bytes) noexcept { downloaded_.inc(static_cast<double>(bytes)); }
    void uploaded(std::uint64_t bytes) noexcept { uploaded_.inc(static_cast<double>(bytes)); }
    void cpu_job_posted() noexcept { cpu_pending_.add(1); }
    void cpu_job_done() noexcept { cpu_pending_.add(-1); }

    // Gauges read at scrape time on the I/O thread (the gates and counts live there).
    // The registry must not collect after these objects are gone (stop the server first).
    void watch(const stage_gates& gates,
               const std::size_t& processing,
               std::function<std::size_t()> in_flight);

    metrics::registry& registry() noexcept { return registry_; }

private:
    metrics::registry& registry_;
    metrics::counter_family& books_;
    metrics::histogram* stages_[5];
    metrics::counter& downloaded_;
    metrics::counter& uploaded_;
    metrics::gauge& cpu_pending_;
};

} // namespace grin::sync
