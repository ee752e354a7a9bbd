// `grin process monitor`: GRIN's conversion queue and converted list over time, and how
// many of this run's requested books are converted (process/queue_monitor.hpp).
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/process/queue_monitor.hpp>
#include <grin/run/process_summary.hpp>
#include <grin/sync/failure_info.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "metrics_flags.hpp"
#include "run_session.hpp"

namespace grin::cli {
namespace asio = boost::asio;

namespace {

struct process_monitor_options {
    metrics_flags metrics;
    std::string run_name;
    std::string output_root = "output";
    double interval = 60;
    std::uint64_t count = 0;
    std::string format = "text";
    bool insecure = false;
};

struct monitor_state {
    std::uint64_t polls = 0;
    std::uint64_t failed_polls = 0;
    std::optional<process::queue_sample> last;
};

asio::awaitable<void> monitor_loop(api::client& grin,
                                   std::filesystem::path database_file,
                                   process_monitor_options options,
                                   monitor_state& state) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    const auto interval = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(options.interval));
    auto next_poll = std::chrono::steady_clock::now();
    for (std::uint64_t n = 0; options.count == 0 || n < options.count; ++n) {
        if (n > 0) {
            // Polls keep their rhythm: the wait is what is left of the interval.
            next_poll += interval;
            timer.expires_at(next_poll);
            auto waiting = timer.async_wait(asio::use_awaitable);
            co_await std::move(waiting);
        }
        std::exception_ptr failure;
        std::optional<process::queue_sample> sample;
        try {
            auto polling = process::poll_queue(grin, database_file);
            sample = co_await std::move(polling);
        } catch (...) {
            failure = std::current_exception();
        }
        ++state.polls;
        if (failure) {
            if (sync::is_cancellation(failure))
                std::rethrow_exception(failure);
            ++state.failed_polls;
            std::string message = log::redact(sync::message_of(failure));
            std::cerr << "grin process monitor: poll failed: " << message << std::endl;
            log::warning("process monitor: poll failed: " + message);
            continue;
        }
        const process::queue_sample* previous = state.last ? &*state.last : nullptr;
        std::cout << (options.format == "json" ? process::format_sample_json(*sample, previous)
                                               : process::format_sample_text(*sample, previous))
                  << std::endl;
        state.last = sample;
    }
}

void record_summary(const existing_run& run,
                    const process_monitor_options& options,
                    const monitor_state& state,
                    bool interrupted,
                    std::chrono::system_clock::time_point started,
                    nlohmann::json metrics_json) {
    run::stage_run stage{.stage = "process_monitor",
                         .started = started,
                         .finished = std::chrono::system_clock::now()};
    stage.counters = {{"polls", state.polls}, {"failed_polls", state.failed_polls}};
    if (state.failed_polls > 0)
        stage.errors.push_back(std::to_string(state.failed_polls) + " x poll failed");
    nlohmann::json details = {{"interval_seconds", options.interval},
                              {"count", options.count},
                              {"interrupted", interrupted},
                              {"insecure", options.insecure}};
    if (state.last)
        details["last_poll"] =
            nlohmann::json::parse(process::format_sample_json(*state.last, nullptr));
    details["metrics"] = std::move(metrics_json);
    stage.details_json = details.dump();
    run::record_stage_run_or_warn(run.dir / "process_summary.json", run.name, stage);
}

int run_process_monitor(const process_monitor_options& options) {
    options.metrics.validate();
    if (!(options.interval >= 1))
        throw fatal("--interval must be at least 1 second");
    auto run = open_existing_run(options.output_root, options.run_name);
    log::set_console_level(log::level::warning);
    start_run_log(run, "process monitor");
    const auto started = std::chrono::system_clock::now();

    asio::io_context io;
    grin_session session(
        io, run.config,
        {.insecure = options.insecure, .persist_tokens = true, .max_connections_per_host = 2});
    command_metrics metrics(io, options.metrics, session.pool(), nullptr);
    metrics.start();
    monitor_state state;
    bool interrupted = false;
    asio::cancellation_signal stop;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& failed, int) {
        if (failed)
            return;
        interrupted = true;
        stop.emit(asio::cancellation_type::terminal);
    });
    std::exception_ptr failure;
    asio::co_spawn(io, monitor_loop(session.client(), run.config.sqlite_db_path, options, state),
                   asio::bind_cancellation_slot(stop.slot(), [&](std::exception_ptr error) {
                       failure = error;
                       signals.cancel();
                       metrics.stop();
                   }));
    io.run();
    if (failure && !(interrupted && sync::is_cancellation(failure)))
        std::rethrow_exception(failure);
    record_summary(run, options, state, interrupted, started, metrics.snapshot());
    if (interrupted)
        std::cout << "Stopped after " << state.polls << " polls." << std::endl;
    return state.polls > 0 && state.failed_polls == state.polls ? 1 : 0;
}

} // namespace

void add_process_monitor(CLI::App& process, command_list& commands) {
    auto options = std::make_shared<process_monitor_options>();
    auto* sub = process.add_subcommand(
        "monitor",
        "Poll GRIN and print one line per poll: the books in its conversion queue "
        "(_in_process), the length of its converted list (_converted), and how many of this "
        "run's requested books (books.processing_request_timestamp) are converted now, each "
        "with the change since the previous poll and the conversion rate per hour. Reads the "
        "database only (no session lock: it can run beside a sync).");
    sub->footer(
        "Examples:\n"
        "  grin process monitor --run-name harvard_2024                 # every 60 s until Ctrl-C\n"
        "  grin process monitor --run-name harvard_2024 --interval 600 --count 6\n"
        "  grin process monitor --run-name harvard_2024 --format json --count 1\n"
        "\n"
        "Lines go to standard output; a failed poll is reported on standard error and the next "
        "one\nis tried. Ctrl-C ends monitoring cleanly (exit 0).\n"
        "Exit codes: 0 ok (also after Ctrl-C); 1 every poll failed; 2 usage or configuration "
        "error.");
    sub->add_option("--run-name", options->run_name, "Run to monitor (output/<run>/)")->required();
    sub->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    sub->add_option("--interval", options->interval, "Seconds between polls (at least 1)")
        ->capture_default_str();
    sub->add_option("--count", options->count, "Number of polls; 0 polls until Ctrl-C")
        ->capture_default_str();
    sub->add_option("--format", options->format,
                    "text: one readable line per poll; json: one JSON object per line")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    sub->add_flag("--insecure", options->insecure,
                  "Do not verify TLS certificates (never against real GRIN)");
    add_metrics_flags(*sub, options->metrics);
    commands.push_back({sub, [options] { return run_process_monitor(*options); }});
}

} // namespace grin::cli
