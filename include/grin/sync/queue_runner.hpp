#pragma once
// sync::run_queue: admits the books of one queue into the pipeline, one coroutine per
// book on the I/O thread, with at most `max_in_flight` books admitted at a time, so that
// memory stays bounded for any queue length (the stage gates then bound each stage).
// It stops admitting on a shutdown request (the first Ctrl-C) or after
// `max_sequential_failures` failed books in a row (grin-transfer-behaviour.md 4.7), lets
// the admitted books finish, and returns the queue's figures. run_controls::cancel_all
// (the second Ctrl-C) cancels the books in flight.
#include <grin/sync/book_job.hpp>
#include <grin/sync/sync_progress.hpp>

#include <boost/asio/cancellation_signal.hpp>

#include <list>
#include <map>

namespace grin::sync {

// Shared by the signal handler and the running queue (all on the I/O thread).
class run_controls {
public:
    void request_stop() noexcept { stop_requested_ = true; }
    bool stop_requested() const noexcept { return stop_requested_; }
    // Cancels every book in flight (terminal cancellation) and admits no more.
    void cancel_all();
    bool cancelled() const noexcept { return cancelled_; }
    // Books admitted and not finished.
    std::size_t in_flight() const noexcept { return books_.size(); }

    // Used by run_queue: a signal per book in flight.
    std::list<boost::asio::cancellation_signal>::iterator add_book();
    void remove_book(std::list<boost::asio::cancellation_signal>::iterator book);

private:
    bool stop_requested_ = false;
    bool cancelled_ = false;
    std::list<boost::asio::cancellation_signal> books_;
};

struct queue_result {
    std::map<book_outcome, std::uint64_t> outcomes;
    std::map<std::string, std::uint64_t> failure_reasons; // reason -> books
    std::uint64_t admitted = 0;
    std::uint64_t downloaded_bytes = 0;
    std::uint64_t archive_bytes = 0;
    std::uint64_t download_retries = 0;
    bool stopped_by_failures = false;
    bool interrupted = false;
    std::chrono::duration<double> elapsed{};
    task_statistics tasks;
};

struct queue_run_params {
    std::size_t max_in_flight = 16;
    std::size_t max_sequential_failures = 10;
    std::uint64_t progress_every_books = 20;
    std::chrono::seconds progress_every{10};
};

// Console output of the run (progress lines, per-book failures); `live` marks a line that
// a terminal may overwrite.
using run_output = std::function<void(const std::string& line, bool live)>;

// `context.tasks` is reset to this queue's counts (and returned in the result).
boost::asio::awaitable<queue_result> run_queue(book_job_context& context,
                                               std::vector<std::string> barcodes,
                                               queue_run_params params,
                                               run_controls& controls,
                                               run_output output);

} // namespace grin::sync
