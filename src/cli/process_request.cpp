// `grin process request`: conversion requests for a queue's books, up to GRIN's queue cap
// (process/conversion_requests.hpp), recorded as `sync pipeline` records them.
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/interrupt_signals.hpp>
#include <grin/process/conversion_requests.hpp>
#include <grin/run/process_summary.hpp>
#include <grin/run/session_lock.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <iostream>

#include "metrics_flags.hpp"
#include "run_session.hpp"

namespace grin::cli {
namespace asio = boost::asio;

namespace {

struct process_request_options {
    metrics_flags metrics;
    std::string run_name;
    std::string output_root = "output";
    std::string queue = "previous";
    std::uint64_t limit = 0;
    std::size_t concurrency = 2;
    std::uint64_t queue_cap = sync::grin_queue_cap;
    bool dry_run = false;
    bool insecure = false;
};

void record_summary(const existing_run& run,
                    const process_request_options& options,
                    const process::request_report& report,
                    std::chrono::system_clock::time_point started,
                    nlohmann::json metrics_json) {
    run::stage_run stage{.stage = "process_request",
                         .started = started,
                         .finished = std::chrono::system_clock::now()};
    const auto& t = report.tally;
    stage.counters = {{"requested", t.requested},
                      {"already_in_process", t.in_process},
                      {"already_available", t.already_available},
                      {"unavailable", t.unavailable},
                      {"limit_reached", t.limit_reached},
                      {"failed", t.failed},
                      {"left", t.left()}};
    if (t.failed > 0)
        stage.errors.push_back(std::to_string(t.failed) + " x conversion request failed");
    nlohmann::json details = {{"queue", options.queue},
                              {"stop", std::string(process::to_string(report.stop))},
                              {"queue_cap", options.queue_cap},
                              {"grin_in_process_at_start", report.grin_in_process},
                              {"room_at_start", report.budget},
                              {"already_converted", report.removed_converted},
                              {"concurrency", options.concurrency},
                              {"insecure", options.insecure}};
    if (options.limit > 0)
        details["limit"] = options.limit;
    details["metrics"] = std::move(metrics_json);
    stage.details_json = details.dump();
    run::record_stage_run_or_warn(run.dir / "process_summary.json", run.name, stage);
}

int run_process_request(const process_request_options& options) {
    options.metrics.validate();
    auto kind = sync::parse_queue_kind(options.queue);
    if (!kind || (*kind != sync::queue_kind::previous && *kind != sync::queue_kind::unconverted))
        throw fatal("unknown --queue '" + options.queue + "' (expected previous or unconverted)");
    if (options.queue_cap == 0)
        throw fatal("--queue-cap must be at least 1");
    auto run = open_existing_run(options.output_root, options.run_name);
    log::set_console_level(log::level::warning);
    std::optional<run::session_lock> lock;
    if (!options.dry_run) {
        lock.emplace(run.dir);
        start_run_log(run, "process request");
    }
    const auto started = std::chrono::system_clock::now();

    asio::io_context io;
    grin_session session(io, run.config,
                         {.insecure = options.insecure,
                          .persist_tokens = !options.dry_run,
                          .max_connections_per_host = options.concurrency + 1});
    db::database database({.path = run.config.sqlite_db_path, .read_only = options.dry_run});
    command_metrics metrics(io, options.metrics, session.pool(), &database);
    metrics.start();

    process::request_options request{
        .queue = *kind,
        .limit = options.limit > 0 ? std::optional<std::uint64_t>(options.limit) : std::nullopt,
        .concurrency = options.concurrency,
        .queue_cap = options.queue_cap,
        .dry_run = options.dry_run};
    process::request_controls controls;
    process::output_fn print = [](const std::string& line) { std::cout << line << std::endl; };
    std::cout << "Queue: " << options.queue << (options.dry_run ? " (DRY RUN: reading only)" : "")
              << std::endl;

    net::interrupt_signals signals(
        io,
        [&](int number) {
            std::cout << "Received signal " << number
                      << ": no more requests; finishing those in flight...\nPress Control-C "
                         "again to cancel them"
                      << std::endl;
            log::warning("signal " + std::to_string(number) + ": graceful stop");
            controls.stop();
        },
        [&](int number) {
            std::cout << "Received second signal " << number
                      << ": cancelling the requests in flight..." << std::endl;
            log::warning("second signal: cancelling requests in flight");
            controls.cancel();
            signals.stop_loop_after(std::chrono::seconds(10));
        });

    std::exception_ptr failure;
    process::request_report report;
    bool finished = false;
    asio::co_spawn(
        io, process::request_conversions(session.client(), database, request, controls, print),
        [&](std::exception_ptr error, process::request_report result) {
            failure = error;
            report = std::move(result);
            finished = true;
            signals.cancel();
            metrics.stop();
        });
    io.run();
    database.stop();
    if (!finished) {
        // Requests still suspended refer to the session above: leave without unwinding.
        std::cout << "Stopped. Everything recorded is kept; rerun to continue." << std::endl;
        std::_Exit(130);
    }
    if (failure)
        std::rethrow_exception(failure);
    std::cout << process::describe_outcome(report, request, run.name) << std::flush;
    if (!options.dry_run)
        record_summary(run, options, report, started, metrics.snapshot());
    log::info("process request finished: " + std::string(process::to_string(report.stop)) +
              ", requested " + std::to_string(report.tally.requested) + ", failed " +
              std::to_string(report.tally.failed));
    return process::exit_code_of(report);
}

} // namespace

void add_process_request(CLI::App& process, command_list& commands) {
    auto options = std::make_shared<process_request_options>();
    auto* sub = process.add_subcommand(
        "request",
        "Ask GRIN to convert the books of a queue, up to the room in its conversion queue "
        "(50,000 books minus those in process), without downloading anything. Each answer is "
        "recorded in books.db exactly as `grin sync pipeline` records it (book_status_history "
        "conversion:requested / in_process / skipped / unavailable / limit_reached / failed, "
        "and books.processing_request_timestamp). Books already in GRIN's queue, already "
        "converted, already requested by this run, or known to be unavailable are not asked "
        "about.");
    sub->footer(
        "Examples:\n"
        "  grin process request --run-name harvard_2024                 # queue previous\n"
        "  grin process request --run-name harvard_2024 --queue unconverted --limit 1000\n"
        "  grin process request --run-name harvard_2024 --dry-run      # what would be asked\n"
        "  grin process monitor --run-name harvard_2024                 # then watch progress\n"
        "\n"
        "When GRIN's queue is full (the cap is reached, or GRIN answers HTTP 429) the command "
        "stops\nat once and says so: that is a normal outcome (exit 0); rerun it once "
        "conversions have\nfinished. Ctrl-C once: no new requests, those in flight finish and are "
        "recorded (exit 130);\ntwice: they are cancelled.\n"
        "Exit codes: 0 done, or stopped because GRIN's queue is full; 1 some requests failed "
        "(they\nare recorded as conversion:failed and asked again next time); 2 usage or "
        "configuration error;\n130 interrupted.");
    sub->add_option("--run-name", options->run_name, "Run whose books to request (output/<run>/)")
        ->required();
    sub->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    sub->add_option("--queue", options->queue,
                    "previous: books GRIN lists as PREVIOUSLY_DOWNLOADED; unconverted: books "
                    "never converted or requested (as in `sync pipeline --queue`)")
        ->check(CLI::IsMember({"previous", "unconverted"}))
        ->capture_default_str();
    sub->add_option("--limit", options->limit, "Ask GRIN about at most this many books");
    sub->add_option("--concurrency", options->concurrency,
                    "Conversion requests in flight at once (sync's default is 2)")
        ->check(CLI::Range(1, 100))
        ->capture_default_str();
    sub->add_option("--queue-cap", options->queue_cap,
                    "Books GRIN may have in process at once (GRIN's limit is 50,000); a lower "
                    "value leaves room in the queue for requests made elsewhere")
        ->capture_default_str();
    sub->add_flag("--dry-run", options->dry_run,
                  "Read GRIN's queue, its converted list and the database, print the books "
                  "that would be asked about, and write nothing anywhere");
    sub->add_flag("--insecure", options->insecure,
                  "Do not verify TLS certificates (never against real GRIN)");
    add_metrics_flags(*sub, options->metrics);
    commands.push_back({sub, [options] { return run_process_request(*options); }});
}

} // namespace grin::cli
