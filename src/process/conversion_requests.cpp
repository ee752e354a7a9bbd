#include <grin/core/log.hpp>
#include <grin/core/progress.hpp>
#include <grin/process/conversion_requests.hpp>
#include <grin/sync/conversion_record.hpp>
#include <grin/sync/failure_info.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unordered_set>

namespace grin::process {
namespace asio = boost::asio;

std::string_view to_string(stop_reason reason) noexcept {
    switch (reason) {
    case stop_reason::finished:
        return "finished";
    case stop_reason::queue_cap:
        return "queue_cap";
    case stop_reason::queue_full:
        return "queue_full_429";
    case stop_reason::interrupted:
        return "interrupted";
    case stop_reason::cancelled:
        return "cancelled";
    }
    return "finished";
}

void request_controls::cancel() {
    stop_ = true;
    cancelled_ = true;
    for (auto& worker : workers_)
        worker.emit(asio::cancellation_type::terminal);
}

asio::cancellation_slot request_controls::add_worker() {
    return workers_.emplace_back().slot();
}

std::vector<std::string> plan_requests(std::vector<std::string> candidates,
                                       const std::vector<std::string>& converted,
                                       std::optional<std::uint64_t> limit,
                                       request_report& report) {
    std::unordered_set<std::string> done(converted.begin(), converted.end());
    std::vector<std::string> planned;
    planned.reserve(candidates.size());
    for (auto& barcode : candidates) {
        if (done.contains(barcode)) {
            ++report.removed_converted;
            continue;
        }
        planned.push_back(std::move(barcode));
    }
    if (limit && planned.size() > *limit) {
        report.removed_by_limit = planned.size() - *limit;
        planned.resize(*limit);
    }
    return planned;
}

stop_reason final_stop(const request_tally& tally,
                       std::uint64_t budget_left,
                       bool saw_429,
                       bool stop_requested,
                       bool cancelled) noexcept {
    if (cancelled)
        return stop_reason::cancelled;
    if (saw_429)
        return stop_reason::queue_full;
    if (tally.left() == 0)
        return stop_reason::finished;
    if (budget_left == 0)
        return stop_reason::queue_cap;
    return stop_requested ? stop_reason::interrupted : stop_reason::finished;
}

std::string describe_outcome(const request_report& report,
                             const request_options& options,
                             const std::string& run_name) {
    const auto& t = report.tally;
    std::string out;
    out += std::string(options.dry_run ? "DRY RUN COMPLETE: nothing was requested or written. "
                                         "Would request "
                                       : "Conversion requests finished: ") +
           with_thousands(t.requested) + (options.dry_run ? "" : " requested") + ", " +
           with_thousands(t.in_process) + " already in process, " +
           with_thousands(t.already_available) + " already available, " +
           with_thousands(t.unavailable) + " unavailable, " + with_thousands(t.failed) +
           " failed, " + with_thousands(t.left()) + " left\n";
    const std::string monitor = "`grin process monitor --run-name " + run_name + "`";
    const std::string rerun = "`grin process request --run-name " + run_name + "`";
    switch (report.stop) {
    case stop_reason::finished:
        break;
    case stop_reason::queue_cap:
        out += "GRIN's conversion queue is full (" + with_thousands(options.queue_cap) +
               "): " + with_thousands(t.requested) + " requested this run, " +
               with_thousands(t.left()) +
               " books left. This is a normal stop, not an error: watch the queue drain with " +
               monitor + " and rerun " + rerun + " later.\n";
        break;
    case stop_reason::queue_full:
        out += "GRIN answered HTTP 429: its conversion queue is full. Stopped at once: " +
               with_thousands(t.requested) + " requested this run, " + with_thousands(t.left()) +
               " books left. This is a normal stop, not an error: watch the queue drain with " +
               monitor + " and rerun " + rerun + " later.\n";
        break;
    case stop_reason::interrupted:
        out += "Interrupted: " + with_thousands(t.left()) + " books were not asked about; rerun " +
               rerun + " to continue.\n";
        break;
    case stop_reason::cancelled:
        out += "Cancelled: requests in flight were abandoned; what was recorded is kept. Rerun " +
               rerun + " to continue.\n";
        break;
    }
    if (t.failed > 0)
        out += with_thousands(t.failed) +
               " requests failed (recorded as conversion:failed); they are asked again by the "
               "next run.\n";
    return out;
}

int exit_code_of(const request_report& report) noexcept {
    if (report.stop == stop_reason::cancelled || report.stop == stop_reason::interrupted)
        return 130;
    return report.tally.failed > 0 ? 1 : 0;
}

namespace {

struct worker_state {
    api::client& grin;
    db::database& database;
    const request_options& options;
    request_controls& controls;
    const output_fn& output;
    std::vector<std::string> barcodes;
    request_tally& tally;
    std::uint64_t budget = 0; // room in GRIN's queue not yet reserved
    std::size_t next = 0;
    std::size_t in_flight = 0;
    bool saw_429 = false;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_progress = started;
    rate_calculator rate{20, started};
    std::uint64_t last_reported = 0;

    void progress(bool force) {
        auto now = std::chrono::steady_clock::now();
        const std::uint64_t answered = tally.answered();
        rate.add(now, answered);
        if (!force && answered - last_reported < options.progress_every &&
            now - last_progress < options.progress_interval)
            return;
        if (force && answered == last_reported)
            return;
        last_progress = now;
        last_reported = answered;
        std::string line = progress_head(answered, tally.selected, rate.rate(), now - started);
        // "books/sec" is what progress_head says; these are requests.
        output(line + " [requested: " + with_thousands(tally.requested) +
               ", in process: " + with_thousands(tally.in_process) +
               ", unavailable: " + with_thousands(tally.unavailable + tally.already_available) +
               ", failed: " + with_thousands(tally.failed) +
               ", queue room left: " + with_thousands(budget) + "]");
    }
};

void count_answer(request_tally& tally, api::process_outcome outcome) {
    switch (outcome) {
    case api::process_outcome::requested:
        ++tally.requested;
        break;
    case api::process_outcome::already_available:
        ++tally.already_available;
        break;
    case api::process_outcome::in_process:
        ++tally.in_process;
        break;
    case api::process_outcome::unavailable:
        ++tally.unavailable;
        break;
    }
}

// One book: the request and its record. Cancellation passes through.
asio::awaitable<void> request_one(worker_state* s, std::string barcode) {
    std::optional<api::process_entry> entry;
    std::exception_ptr failure;
    try {
        auto request = s->grin.request_conversion(barcode);
        entry = co_await std::move(request);
    } catch (...) {
        failure = std::current_exception();
    }
    if (failure && sync::is_cancellation(failure))
        std::rethrow_exception(failure);
    const bool queued = !failure && entry && entry->outcome == api::process_outcome::requested;
    if (!queued)
        ++s->budget; // the reservation is given back
    sync::conversion_record record;
    if (failure) {
        std::string message = sync::message_of(failure);
        log::warning(barcode + ": conversion request failed: " + message);
        record = sync::conversion_error_record(barcode, message);
        ++s->tally.failed;
    } else if (!entry) {
        if (!s->saw_429)
            log::warning("GRIN's conversion queue is full (HTTP 429): no more conversion "
                         "requests this run");
        s->saw_429 = true;
        record = sync::conversion_limit_record(barcode);
        ++s->tally.limit_reached;
    } else {
        record = sync::conversion_answer_record(barcode, *entry);
        count_answer(s->tally, entry->outcome);
    }
    auto recording = sync::record_conversion(s->database, barcode, std::move(record));
    co_await std::move(recording);
}

asio::awaitable<void> request_worker(worker_state* s) {
    for (;;) {
        if (s->controls.stop_requested() || s->saw_429 || s->next >= s->barcodes.size())
            co_return;
        if (s->budget == 0)
            co_return; // the last worker with a request in flight decides (final_stop)
        std::string barcode = s->barcodes[s->next++];
        --s->budget;
        ++s->in_flight;
        std::exception_ptr failure;
        try {
            auto one = request_one(s, std::move(barcode));
            co_await std::move(one);
        } catch (...) {
            failure = std::current_exception();
        }
        --s->in_flight;
        if (failure)
            std::rethrow_exception(failure);
        s->progress(false);
    }
}

asio::awaitable<bool> keep_listing() {
    co_return true;
}

asio::awaitable<std::vector<std::string>> converted_barcodes(api::client& grin) {
    auto barcodes = std::make_shared<std::vector<std::string>>();
    api::client::page_handler on_page = [barcodes](const api::list_page& page) {
        for (const auto& row : page.rows)
            barcodes->push_back(row.barcode);
        return keep_listing();
    };
    auto listing = grin.for_each_page("_converted", std::move(on_page));
    co_await std::move(listing);
    co_return std::move(*barcodes);
}

asio::awaitable<void> run_workers(worker_state& state) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    std::size_t running = 0;
    std::exception_ptr first_failure;
    const std::size_t workers =
        std::max<std::size_t>(1, std::min(state.options.concurrency, state.barcodes.size()));
    for (std::size_t i = 0; i < workers; ++i) {
        ++running;
        auto on_done = [&running, &all_done, &first_failure](std::exception_ptr failure) {
            if (failure && !sync::is_cancellation(failure) && !first_failure)
                first_failure = failure;
            if (--running == 0)
                all_done.cancel();
        };
        auto slot = state.controls.add_worker();
        asio::co_spawn(executor, request_worker(&state),
                       asio::bind_cancellation_slot(slot, std::move(on_done)));
    }
    while (running > 0) {
        auto waiting = all_done.async_wait(asio::as_tuple(asio::use_awaitable));
        co_await std::move(waiting);
    }
    if (first_failure)
        std::rethrow_exception(first_failure); // the database, mostly: nothing more to do
}

} // namespace

asio::awaitable<request_report> request_conversions(api::client& grin,
                                                    db::database& database,
                                                    request_options options,
                                                    request_controls& controls,
                                                    output_fn output) {
    request_report report;
    sync::selection_request wanted{.kind = options.queue,
                                   .barcodes = {},
                                   .limit = std::nullopt,
                                   .queue_cap = options.queue_cap};
    auto selecting = sync::select_books(grin, database, wanted);
    sync::selection chosen = co_await std::move(selecting);
    output(sync::describe_selection(chosen, wanted));
    report.candidates = chosen.source;
    report.removed_in_process = chosen.removed_in_process;
    report.grin_in_process = chosen.grin_in_process.value_or(0);
    report.budget = chosen.conversions.remaining.value_or(0);

    std::vector<std::string> planned;
    if (!chosen.barcodes.empty()) {
        auto listing = converted_barcodes(grin);
        std::vector<std::string> converted = co_await std::move(listing);
        planned = plan_requests(std::move(chosen.barcodes), converted, options.limit, report);
    }
    output("Already converted in GRIN (not asked): " + with_thousands(report.removed_converted) +
           (options.limit ? "; --limit " + with_thousands(*options.limit) + " left out " +
                                with_thousands(report.removed_by_limit)
                          : std::string()) +
           "\n" + with_thousands(planned.size()) + " books to ask about; room in GRIN's queue: " +
           with_thousands(report.budget) + " (cap " + with_thousands(options.queue_cap) + " - " +
           with_thousands(report.grin_in_process) + " in process)");
    report.tally.selected = planned.size();

    if (options.dry_run) {
        std::uint64_t room = report.budget;
        for (const auto& barcode : planned) {
            if (room == 0)
                break;
            output("  " + barcode + ": would request conversion");
            --room;
            ++report.tally.requested;
        }
        report.stop = final_stop(report.tally, room, false, false, false);
        co_return report;
    }

    worker_state state{.grin = grin,
                       .database = database,
                       .options = options,
                       .controls = controls,
                       .output = output,
                       .barcodes = std::move(planned),
                       .tally = report.tally,
                       .budget = report.budget};
    if (!state.barcodes.empty() && state.budget > 0) {
        output("---");
        auto running = run_workers(state);
        co_await std::move(running);
        state.progress(true);
    }
    report.stop = final_stop(report.tally, state.budget, state.saw_429, controls.stop_requested(),
                             controls.cancelled());
    co_return report;
}

} // namespace grin::process
