#pragma once
// process::request_conversions: the engine of `grin process request` (issue #7). It asks
// GRIN to convert the books of one queue (previous or unconverted, chosen exactly as the
// sync pipeline chooses them: sync::select_books), without downloading anything:
//   1. _in_process: the budget is queue_cap (GRIN's 50,000) minus the books in process;
//      those books are dropped from the candidates;
//   2. _converted: books GRIN has converted already are dropped (asking again only earns
//      "Already available for download");
//   3. --limit: at most that many books are asked about;
//   4. K workers send one `_process?barcodes=B` each at a time and record every answer
//      with the rows `grin sync pipeline` writes (sync/conversion_record.hpp).
// It stops, as a normal outcome, when the budget is used up (queue_cap) or at once when
// GRIN answers 429 (its queue is full; that book's limit_reached row is recorded and no
// further request is sent). A failed request (after the client's retries) is recorded
// as conversion:failed and the run goes on.
//
// Cancellation: controls.stop() (first Ctrl-C) admits no more books; requests in flight
// finish and are recorded. A terminal cancellation of the awaiting coroutine (second
// Ctrl-C) cancels the requests in flight; what was recorded stays.
// Dry run: steps 1-3 only (reads), the books that would be asked are printed.
// Threads: the client's executor (the I/O thread); output is called there.
#include <grin/api/client.hpp>
#include <grin/db/database.hpp>
#include <grin/sync/book_selection.hpp>

#include <boost/asio/cancellation_signal.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <vector>

namespace grin::process {

struct request_options {
    sync::queue_kind queue = sync::queue_kind::previous;
    std::optional<std::uint64_t> limit;
    std::size_t concurrency = 2;
    std::uint64_t queue_cap = sync::grin_queue_cap;
    bool dry_run = false;
    std::chrono::seconds progress_interval{10}; // at least this often, a progress line
    std::uint64_t progress_every = 100;         // and every this many answers
};

// What GRIN answered, per kind, this run.
struct request_tally {
    std::uint64_t selected = 0;          // books this run meant to ask about
    std::uint64_t requested = 0;         // "Success": queued (dry run: would be asked)
    std::uint64_t in_process = 0;        // "already being converted / in process"
    std::uint64_t already_available = 0; // "Already available for download"
    std::uint64_t unavailable = 0;       // any other wording: never asked again
    std::uint64_t limit_reached = 0;     // HTTP 429 (0 or 1: the run stops at the first)
    std::uint64_t failed = 0;            // network / server errors after retries

    std::uint64_t answered() const noexcept {
        return requested + in_process + already_available + unavailable + limit_reached + failed;
    }
    std::uint64_t left() const noexcept {
        return selected > answered() ? selected - answered() : 0;
    }
};

enum class stop_reason {
    finished,    // every selected book was asked
    queue_cap,   // the budget (cap - in process) is used up
    queue_full,  // GRIN answered 429
    interrupted, // Ctrl-C: no more books admitted
    cancelled,   // second Ctrl-C: requests in flight cancelled
};
std::string_view to_string(stop_reason reason) noexcept;

struct request_report {
    std::uint64_t candidates = 0;         // the queue's books in the database
    std::uint64_t grin_in_process = 0;    // GRIN's queue length at the start
    std::uint64_t budget = 0;             // room in GRIN's queue at the start
    std::uint64_t removed_in_process = 0; // candidates already in GRIN's queue
    std::uint64_t removed_converted = 0;  // candidates already converted
    std::uint64_t removed_by_limit = 0;
    request_tally tally;
    stop_reason stop = stop_reason::finished;
};

// Pure: the books to ask about, in order: `candidates` minus `converted`, then at most
// `limit`. Counts what was dropped in `report`.
std::vector<std::string> plan_requests(std::vector<std::string> candidates,
                                       const std::vector<std::string>& converted,
                                       std::optional<std::uint64_t> limit,
                                       request_report& report);

// Pure: why the run ended, from what happened (see stop_reason).
stop_reason final_stop(const request_tally& tally,
                       std::uint64_t budget_left,
                       bool saw_429,
                       bool stop_requested,
                       bool cancelled) noexcept;

// Pure: the closing lines (summary, and what to do next for a cap or 429 stop).
std::string describe_outcome(const request_report& report,
                             const request_options& options,
                             const std::string& run_name);

// Pure: 0 finished or stopped by the cap / a 429 (normal outcomes); 1 some requests
// failed; 130 interrupted with books left, or cancelled.
int exit_code_of(const request_report& report) noexcept;

// Shared with the signal handler, on the I/O thread.
class request_controls {
public:
    // First Ctrl-C: no more books; requests in flight finish and are recorded.
    void stop() noexcept { stop_ = true; }
    bool stop_requested() const noexcept { return stop_; }
    // Second Ctrl-C: the requests in flight are cancelled (terminal cancellation).
    void cancel();
    bool cancelled() const noexcept { return cancelled_; }

    // Used by request_conversions: one signal per worker.
    boost::asio::cancellation_slot add_worker();

private:
    bool stop_ = false;
    bool cancelled_ = false;
    std::list<boost::asio::cancellation_signal> workers_;
};

using output_fn = std::function<void(const std::string& line)>;

boost::asio::awaitable<request_report> request_conversions(api::client& grin,
                                                           db::database& database,
                                                           request_options options,
                                                           request_controls& controls,
                                                           output_fn output);

} // namespace grin::process
