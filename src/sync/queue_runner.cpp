#include <grin/core/log.hpp>
#include <grin/sync/queue_runner.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace grin::sync {
namespace asio = boost::asio;

void run_controls::cancel_all() {
    stop_requested_ = true;
    cancelled_ = true;
    for (auto& signal : books_)
        signal.emit(asio::cancellation_type::terminal);
}

std::list<asio::cancellation_signal>::iterator run_controls::add_book() {
    books_.emplace_back();
    return std::prev(books_.end());
}

void run_controls::remove_book(std::list<asio::cancellation_signal>::iterator book) {
    books_.erase(book);
}

namespace {

struct queue_state {
    queue_state(book_job_context& context_,
                queue_run_params params_,
                run_controls& controls_,
                run_output output_,
                asio::any_io_executor executor,
                std::size_t in_flight,
                std::uint64_t total)
        : context(context_)
        , params(params_)
        , controls(controls_)
        , output(output_)
        , admission(executor, in_flight)
        , progress(total, output_, params_.progress_every_books, params_.progress_every) {}

    book_job_context& context;
    queue_run_params params;
    run_controls& controls;
    run_output output;
    async_gate admission;
    progress_reporter progress;
    queue_result result;
    std::size_t sequential_failures = 0;
    bool stop_admitting = false;

    stage_snapshot snapshot() const {
        const stage_gates& gates = context.gates;
        return {.downloads_active = gates.download.in_use(),
                .downloads_limit = gates.download.limit(),
                .processing = context.processing,
                .waiting_to_download = gates.download.waiting() + context.disk.waiting(),
                .waiting_to_be_processed = gates.upload.waiting()};
    }

    void book_finished(const book_report& report) {
        ++result.outcomes[report.outcome];
        result.downloaded_bytes += report.downloaded_bytes;
        result.archive_bytes += report.archive_bytes;
        if (report.download_attempts > 1)
            result.download_retries += static_cast<std::uint64_t>(report.download_attempts - 1);
        if (report.outcome == book_outcome::cancelled) {
            result.interrupted = true;
        } else if (report.outcome == book_outcome::failed) {
            ++sequential_failures;
            std::string reason = report.reason.substr(0, 160);
            ++result.failure_reasons[reason];
            output("❌ [" + report.barcode + "] Failed: " + report.reason, false);
            log::error("book " + report.barcode + " failed: " + report.reason);
            if (sequential_failures >= 2)
                output("⚠️  Sequential failures: " + std::to_string(sequential_failures) + "/" +
                           std::to_string(params.max_sequential_failures),
                       false);
            if (params.max_sequential_failures > 0 &&
                sequential_failures >= params.max_sequential_failures && !stop_admitting) {
                stop_admitting = true;
                result.stopped_by_failures = true;
                output("🛑 Exiting pipeline: " + std::to_string(sequential_failures) +
                           " consecutive failures reached",
                       false);
            }
        } else {
            sequential_failures = 0;
        }
        progress.book_done(snapshot());
    }
};

asio::awaitable<book_report> book_task(book_job_context* context, std::string barcode) {
    auto job = sync_book(*context, std::move(barcode));
    co_return co_await std::move(job);
}

// Prints the progress line at least every params.progress_every while books run.
asio::awaitable<void> progress_ticker(queue_state* state,
                                      std::shared_ptr<bool> running,
                                      std::shared_ptr<asio::steady_timer> timer) {
    while (*running) {
        timer->expires_after(std::chrono::seconds(1));
        boost::system::error_code ignored;
        co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        if (*running)
            state->progress.tick(state->snapshot());
    }
}

} // namespace

asio::awaitable<queue_result> run_queue(book_job_context& context,
                                        std::vector<std::string> barcodes,
                                        queue_run_params params,
                                        run_controls& controls,
                                        run_output output) {
    auto executor = co_await asio::this_coro::executor;
    context.tasks = task_statistics{};
    const std::size_t in_flight = std::max<std::size_t>(1, params.max_in_flight);
    auto state = std::make_unique<queue_state>(context, params, controls, output, executor,
                                               in_flight, barcodes.size());
    auto running = std::make_shared<bool>(true);
    auto ticker = std::make_shared<asio::steady_timer>(executor);
    asio::co_spawn(executor, progress_ticker(state.get(), running, ticker), asio::detached);

    for (auto& barcode : barcodes) {
        if (controls.stop_requested() || state->stop_admitting)
            break;
        auto acquire = state->admission.acquire();
        auto permit = std::make_shared<gate_permit>(co_await std::move(acquire));
        if (controls.stop_requested() || state->stop_admitting)
            break;
        ++state->result.admitted;
        auto book = controls.add_book();
        queue_state* raw = state.get();
        auto on_done = [raw, permit, book](std::exception_ptr failure, book_report report) {
            raw->controls.remove_book(book);
            if (failure) { // sync_book reports instead of throwing; this is a bug
                report.outcome = book_outcome::failed;
                try {
                    std::rethrow_exception(failure);
                } catch (const std::exception& e) {
                    report.reason = e.what();
                }
            }
            raw->book_finished(report);
            permit->release();
        };
        asio::co_spawn(executor, book_task(&context, std::move(barcode)),
                       asio::bind_cancellation_slot(book->slot(), std::move(on_done)));
    }
    // Every admitted book has finished once all admission slots are free again.
    std::vector<gate_permit> drained;
    for (std::size_t i = 0; i < in_flight; ++i) {
        auto acquire = state->admission.acquire();
        drained.push_back(co_await std::move(acquire));
    }
    *running = false;
    ticker->cancel();
    state->result.interrupted = state->result.interrupted || controls.stop_requested();
    state->result.elapsed = state->progress.elapsed();
    state->result.tasks = context.tasks;
    co_return std::move(state->result);
}

} // namespace grin::sync
