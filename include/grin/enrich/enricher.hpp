#pragma once
// The enrichment engine behind `grin enrich` (grin-transfer-behaviour.md 1.6, with its
// item 8.11 fixed): GRIN's _barcode_search TSV for every book whose enrichment_timestamp
// is NULL, written into books.db.
//
// Books are selected in DB batches of params.batch_size ordered by (created_at, barcode),
// keyset-paginated; each DB batch is split into URL batches (url_batches.hpp) that run
// concurrently, at most params.max_concurrent at once, every HTTP attempt (retries
// included) paced by one net::rate_limiter at params.rate_limit requests per second.
// One db::database write per URL batch: the found books' 24 columns (COALESCE), and the
// barcodes GRIN did not return marked attempted. A URL batch that still fails after the
// client's retries is NOT written: its books stay NULL, so the next run retries them; the
// keyset moves past them, so this run does not.
//
// Stopping: once controls.request_stop() is called no URL batch is started; those in
// flight finish and are written, and the result says the run is not complete.
// Threads: the coroutine runs on the executor of the client's pool (one I/O thread);
// controls and output are used from that thread only.
#include <grin/api/client.hpp>
#include <grin/db/database.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace grin::enrich {

struct enrich_params {
    std::size_t batch_size = 6000;      // books per DB batch
    std::size_t max_concurrent = 5;     // URL batches in flight
    double rate_limit = 5.0;            // requests (attempts) per second; 0 = unlimited
    std::optional<std::uint64_t> limit; // at most this many books this run
    bool reset = false;                 // reset_enrichment() first
    std::chrono::milliseconds progress_interval{5000};
};

struct enrich_totals {
    std::uint64_t reset = 0;     // books --reset cleared
    std::uint64_t to_do = 0;     // un-enriched books at the start (capped by the limit)
    std::uint64_t processed = 0; // enriched + not_found + failed
    std::uint64_t enriched = 0;  // GRIN returned a row, columns written
    std::uint64_t not_found = 0; // not returned by GRIN: marked attempted, no data
    std::uint64_t failed = 0;    // in a failed URL batch: left un-enriched
    std::uint64_t requests = 0;  // HTTP attempts, retries included
    std::uint64_t db_batches = 0;
    std::uint64_t url_batches = 0;
    std::uint64_t failed_batches = 0;
    std::map<std::string, std::uint64_t> failure_reasons;
    bool complete = false; // every selectable book was handled (or the limit reached)
};

class enrich_controls {
public:
    void request_stop() noexcept { stop_ = true; }
    bool stop_requested() const noexcept { return stop_; }

private:
    bool stop_ = false;
};

using enrich_output = std::function<void(const std::string& line)>;

// Throws only for what stops the whole run (the database cannot be read, grin::fatal);
// a failed request or write counts against its URL batch.
boost::asio::awaitable<enrich_totals> run_enrichment(api::client& grin,
                                                     db::database& database,
                                                     enrich_params params,
                                                     enrich_controls& controls,
                                                     enrich_output output);

} // namespace grin::enrich
