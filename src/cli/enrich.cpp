// `grin enrich`: GRIN's per-book metadata (_barcode_search TSV) into books.db for every book
// not yet enriched; resumable, rate-limited, and a failed request leaves its books for the
// next run.
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/progress.hpp>
#include <grin/db/database.hpp>
#include <grin/enrich/enricher.hpp>
#include <grin/enrich/progress.hpp>
#include <grin/net/interrupt_signals.hpp>
#include <grin/run/process_summary.hpp>
#include <grin/run/session_lock.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "metrics_flags.hpp"
#include "run_session.hpp"

namespace grin::cli {

namespace {
namespace asio = boost::asio;

struct enrich_options {
    metrics_flags metrics;
    std::string run_name;
    std::string output_root = "output";
    std::size_t batch_size = 6000;
    std::size_t max_concurrent = 5;
    double rate_limit = 5.0;
    std::uint64_t limit = 0;
    bool reset = false;
    bool insecure = false;
};

void print(const std::string& line) {
    std::cout << line << std::endl;
}

void record_summary(const existing_run& run,
                    const enrich_options& options,
                    const enrich::enrich_totals& totals,
                    std::chrono::system_clock::time_point started,
                    bool interrupted,
                    nlohmann::json metrics_json) {
    run::stage_run stage{
        .stage = "enrich", .started = started, .finished = std::chrono::system_clock::now()};
    stage.counters = {{"processed", totals.processed},
                      {"enriched", totals.enriched},
                      {"not_found", totals.not_found},
                      {"failed", totals.failed},
                      {"failed_batches", totals.failed_batches},
                      {"requests", totals.requests},
                      {"reset", totals.reset}};
    stage.errors = run::top_reasons(totals.failure_reasons);
    nlohmann::json details = {{"rate_limit_per_second", options.rate_limit},
                              {"max_concurrent", options.max_concurrent},
                              {"batch_size", options.batch_size},
                              {"reset", options.reset},
                              {"insecure", options.insecure},
                              {"interrupted", interrupted},
                              {"url_batches", totals.url_batches},
                              {"db_batches", totals.db_batches}};
    if (options.limit > 0)
        details["limit"] = options.limit;
    details["metrics"] = std::move(metrics_json);
    stage.details_json = details.dump();
    run::record_stage_run_or_warn(run.dir / "process_summary.json", run.name, stage);
}

int run_enrich(const enrich_options& options) {
    options.metrics.validate();
    auto existing = open_existing_run(options.output_root, options.run_name);
    run::session_lock lock(existing.dir); // enrich and sync never write the run at once
    log::set_console_level(log::level::warning);
    start_run_log(existing, "enrich");
    if (!existing.config.log_file.empty())
        print("Log file: " + existing.config.log_file);
    log::info("enrich: batch_size=" + std::to_string(options.batch_size) +
              " max_concurrent=" + std::to_string(options.max_concurrent) +
              " rate_limit=" + std::to_string(options.rate_limit) +
              (options.limit ? " limit=" + std::to_string(options.limit) : "") +
              (options.reset ? " reset" : ""));

    asio::io_context io;
    grin_session session(io, existing.config,
                         {.insecure = options.insecure,
                          .persist_tokens = true,
                          .max_connections_per_host = options.max_concurrent});
    db::database database({.path = existing.config.sqlite_db_path});
    command_metrics metrics(io, options.metrics, session.pool(), &database);
    metrics.start();

    enrich::enrich_params params{
        .batch_size = options.batch_size,
        .max_concurrent = options.max_concurrent,
        .rate_limit = options.rate_limit,
        .limit = options.limit > 0 ? std::optional<std::uint64_t>(options.limit) : std::nullopt,
        .reset = options.reset};
    char rate[48];
    std::snprintf(rate, sizeof rate, "at most %g requests/s", options.rate_limit);
    print("Enriching run " + existing.name + ": " + std::to_string(options.max_concurrent) +
          " requests at once, " + (options.rate_limit > 0 ? rate : "no rate limit") + ", " +
          with_thousands(options.batch_size) + " books per DB batch");

    enrich::enrich_controls controls;
    net::interrupt_signals signals(
        io,
        [&](int number) {
            print("Received signal " + std::to_string(number) +
                  ", finishing the requests in flight...\nPress Control-C again to exit at once");
            log::warning("signal " + std::to_string(number) + ": graceful shutdown");
            controls.request_stop();
        },
        [&](int) {
            log::warning("second signal: exiting at once");
            io.stop();
        });

    const auto started_wall = std::chrono::system_clock::now();
    const auto started = std::chrono::steady_clock::now();
    std::exception_ptr failure;
    enrich::enrich_totals totals;
    bool finished = false;
    auto running = enrich::run_enrichment(session.client(), database, params, controls, print);
    asio::co_spawn(io, std::move(running),
                   [&](std::exception_ptr error, enrich::enrich_totals result) {
                       failure = error;
                       totals = std::move(result);
                       finished = true;
                       signals.cancel();
                       metrics.stop();
                   });
    io.run();
    // Commits every write already accepted, then closes the connection.
    database.stop();
    if (!finished) {
        // Second signal: the requests in flight are abandoned; their frames point into the
        // pool and the database above, so leave without unwinding.
        print("Stopped. Everything committed is kept; rerun to continue.");
        std::_Exit(130);
    }
    if (failure)
        std::rethrow_exception(failure);
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    const bool interrupted = controls.stop_requested() && !totals.complete;
    print(enrich::completed_line({.processed = totals.processed,
                                  .enriched = totals.enriched,
                                  .not_found = totals.not_found,
                                  .failed = totals.failed,
                                  .failed_batches = totals.failed_batches,
                                  .requests = totals.requests,
                                  .elapsed = elapsed}));
    if (totals.failed > 0)
        print(with_thousands(totals.failed) +
              " books stay un-enriched after failed requests; rerun `grin enrich --run-name " +
              existing.name + "` to retry them");
    if (interrupted)
        print("Interrupted: rerun to enrich the remaining books.");
    record_summary(existing, options, totals, started_wall, interrupted, metrics.snapshot());
    log::info("enrich finished: processed " + std::to_string(totals.processed) + ", enriched " +
              std::to_string(totals.enriched) + ", not found " + std::to_string(totals.not_found) +
              ", failed " + std::to_string(totals.failed) + ", requests " +
              std::to_string(totals.requests));
    if (interrupted)
        return 130;
    return totals.failed > 0 ? 1 : 0;
}

} // namespace

void add_enrich(CLI::App& app, command_list& commands) {
    auto options = std::make_shared<enrich_options>();
    auto* sub = app.add_subcommand(
        "enrich",
        "Fetch GRIN's per-book metadata (the _barcode_search TSV: state, viewability, "
        "conditions, scores, GRIN dates, ... 24 columns) for every book of the run whose "
        "enrichment_timestamp is empty, and store it in books.db. Books GRIN does not know "
        "are marked as attempted. A request that still fails after 3 attempts leaves its "
        "books un-enriched, so a rerun retries them. Rerun to resume.\n\nExamples:\n"
        "  grin enrich --run-name harvard_2024\n"
        "  grin enrich --run-name harvard_2024 --rate-limit 2 --max-concurrent 2\n"
        "  grin enrich --run-name harvard_2024 --limit 1000      # try it on a few books\n"
        "  grin enrich --run-name harvard_2024 --reset           # fetch everything again\n"
        "\nCtrl-C once: no new requests start, those in flight finish and are written "
        "(exit 130 if books remain, 0 if none). Twice: exit at once; everything already "
        "written is kept (exit 130).\nExit codes: 0 ok, 1 some books failed (they stay "
        "un-enriched for the next run), 2 usage or configuration error, 130 interrupted.");
    sub->add_option("--run-name", options->run_name, "Run to enrich (output/<run>/)")->required();
    sub->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    sub->add_option("--batch-size", options->batch_size,
                    "Books read from the database per batch; each batch is split into "
                    "_barcode_search requests of at most 7,500 URL characters")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
    sub->add_option("--max-concurrent", options->max_concurrent,
                    "Requests to GRIN in flight at once")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100}));
    sub->add_option("--rate-limit", options->rate_limit,
                    "Most requests per second sent to GRIN, retries included, however many "
                    "are in flight (a token bucket: one request at once, then one every "
                    "1/QPS seconds); 0 = unlimited")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1000.0));
    sub->add_option("--limit", options->limit, "Enrich at most this many books in this run")
        ->check(CLI::Range(std::uint64_t{1}, std::numeric_limits<std::uint64_t>::max()));
    sub->add_flag("--reset", options->reset,
                  "Before enriching, clear the enrichment of every enriched book: its "
                  "enrichment_timestamp and all 24 enrichment columns become empty, "
                  "INCLUDING grin_state and the six GRIN dates (scanned, converted, "
                  "downloaded, processed, analyzed, OCR'd) that collect stored; then "
                  "enrich every book again");
    sub->add_flag("--insecure", options->insecure,
                  "Do not verify TLS certificates (never against real GRIN)");
    add_metrics_flags(*sub, options->metrics);
    commands.push_back({sub, [options] { return run_enrich(*options); }});
}

} // namespace grin::cli
