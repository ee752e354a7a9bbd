#include <grin/sync/book_job.hpp>
#include <grin/sync/sync_metrics.hpp>

namespace grin::sync {

namespace {

constexpr std::string_view stage_names[] = {"check", "download", "process", "upload", "record"};

} // namespace

sync_metrics::sync_metrics(metrics::registry& registry)
    : registry_(registry)
    , books_(registry.counter(
          "grin_books_total", "Books finished by this process, by outcome", {"outcome"}))
    , downloaded_(
          registry
              .counter("grin_downloaded_bytes_total", "Encrypted archive bytes received from GRIN")
              .with())
    , uploaded_(registry
                    .counter("grin_uploaded_bytes_total",
                             "Bytes stored: decrypted archives and OCR text objects")
                    .with())
    , cpu_pending_(registry
                       .gauge("grin_cpu_jobs_pending",
                              "Jobs posted to the CPU pool (decrypt, unpack, extract) and not "
                              "finished yet")
                       .with()) {
    auto& durations = registry.histogram(
        "grin_stage_duration_seconds",
        "Time per book and stage: check (HEAD), download (streamed GET, decrypt and process), "
        "process (CPU time), upload (archive commit and OCR object), record (one status write)",
        {"stage"});
    for (std::size_t i = 0; i < 5; ++i)
        stages_[i] = &durations.with({std::string(stage_names[i])});
    // Every outcome is present from the start, so a scrape shows zeros instead of nothing.
    for (auto outcome :
         {book_outcome::synced, book_outcome::skipped, book_outcome::conversion_requested,
          book_outcome::conversion_failure_tracked, book_outcome::failed, book_outcome::cancelled})
        books_.with({std::string(to_string(outcome))});
}

void sync_metrics::book_finished(book_outcome outcome) {
    books_.with({std::string(to_string(outcome))}).inc();
}

void sync_metrics::observe(stage which, std::chrono::steady_clock::duration took) noexcept {
    stages_[static_cast<std::size_t>(which)]->observe(std::chrono::duration<double>(took).count());
}

void sync_metrics::watch(const stage_gates& gates,
                         const std::size_t& processing,
                         std::function<std::size_t()> in_flight) {
    auto& waiting = registry_.gauge("grin_queue_books_waiting",
                                    "Books waiting for a slot of a stage gate", {"stage"});
    auto& active = registry_.gauge("grin_queue_books_active",
                                   "Books holding a slot of a stage gate", {"stage"});
    auto& limit = registry_.gauge("grin_queue_stage_limit", "Slots of a stage gate", {"stage"});
    auto& flying =
        registry_.gauge("grin_books_in_flight", "Books admitted and not finished").with();
    auto& busy =
        registry_
            .gauge("grin_books_processing", "Books between their download and their last record")
            .with();
    auto update = [waiting = &waiting, active = &active, limit = &limit, flying = &flying,
                   busy = &busy, gates = &gates, processing = &processing,
                   in_flight = std::move(in_flight)] {
        const std::pair<const char*, const async_gate*> all[] = {
            {"check", &gates->check},
            {"download", &gates->download},
            {"upload", &gates->upload},
            {"conversion", &gates->conversion}};
        for (const auto& [name, gate] : all) {
            waiting->with({name}).set(static_cast<double>(gate->waiting()));
            active->with({name}).set(static_cast<double>(gate->in_use()));
            limit->with({name}).set(static_cast<double>(gate->limit()));
        }
        flying->set(static_cast<double>(in_flight ? in_flight() : 0));
        busy->set(static_cast<double>(*processing));
    };
    registry_.add_collector(std::move(update));
}

} // namespace grin::sync
