#include <grin/api/client.hpp>
#include <grin/auth/credentials.hpp>
#include <grin/auth/token_source.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/progress.hpp>
#include <grin/core/time.hpp>
#include <grin/crypto/passphrase.hpp>
#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>
#include <grin/metrics/endpoint.hpp>
#include <grin/metrics/sources.hpp>
#include <grin/net/https_pool.hpp>
#include <grin/net/interrupt_signals.hpp>
#include <grin/run/process_summary.hpp>
#include <grin/run/session_lock.hpp>
#include <grin/storage/make_storage.hpp>
#include <grin/sync/queue_runner.hpp>
#include <grin/sync/run_metrics.hpp>
#include <grin/sync/sync_metrics.hpp>
#include <grin/sync/sync_run.hpp>
#include <grin/sync/teardown.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <unistd.h>

namespace grin::sync {
namespace asio = boost::asio;

namespace {

// Console output: a live line on a terminal is rewritten in place; everything else is
// printed as lines. Progress lines also go to the log (as "Progress: ...").
class console {
public:
    console() : terminal_(::isatty(STDOUT_FILENO) == 1) {}

    void print(const std::string& line, bool live) {
        if (live && terminal_) {
            std::cout << "\r\033[K" << line << std::flush;
            showing_live_ = true;
            return;
        }
        if (showing_live_) {
            std::cout << "\r\033[K";
            showing_live_ = false;
        }
        std::cout << line << std::endl;
    }

    run_output output() {
        return [this](const std::string& line, bool live) {
            print(line, live);
            if (line.find(" books/sec ") != std::string::npos)
                log::info("Progress: " + line);
        };
    }

private:
    bool terminal_;
    bool showing_live_ = false;
};

int positive(std::optional<int> override_value, int configured) {
    int value = override_value.value_or(configured);
    return value < 1 ? 1 : value;
}

// The nearest existing directory of `path`, for the disk guard (storage directories are
// created only at the first write).
std::filesystem::path existing_ancestor(std::filesystem::path path) {
    std::error_code ignored;
    path = std::filesystem::absolute(path, ignored);
    while (!path.empty() && !std::filesystem::exists(path, ignored) && path.has_parent_path() &&
           path.parent_path() != path)
        path = path.parent_path();
    return path;
}

struct run_totals {
    std::map<book_outcome, std::uint64_t> outcomes;
    std::map<std::string, std::uint64_t> failure_reasons;
    std::uint64_t downloaded_bytes = 0;
    std::uint64_t archive_bytes = 0;
    std::uint64_t download_retries = 0;
    std::chrono::duration<double> busy{};
    bool interrupted = false;
    std::optional<teardown_report> teardown;

    void add(const queue_result& result) {
        for (const auto& [outcome, count] : result.outcomes)
            outcomes[outcome] += count;
        for (const auto& [reason, count] : result.failure_reasons)
            failure_reasons[reason] += count;
        downloaded_bytes += result.downloaded_bytes;
        archive_bytes += result.archive_bytes;
        download_retries += result.download_retries;
        busy += result.elapsed;
        interrupted = interrupted || result.interrupted;
    }
    std::uint64_t count(book_outcome outcome) const {
        auto found = outcomes.find(outcome);
        return found == outcomes.end() ? 0 : found->second;
    }
};

struct run_services {
    const sync_run_params& params;
    api::client& grin;
    const net::https_pool& pool;
    db::database& database;
    storage::storage& store;
    const storage::key_layout& layout;
    asio::any_io_executor files;
    book_job_context& context;
    known_failures& failures; // what context.failures refers to
    std::filesystem::path staging_dir;
    run_controls& controls;
    console& out;
    queue_run_params queue_params;
    const metrics::registry& registry;
};

asio::awaitable<void> insert_unknown(db::database& database, std::vector<std::string> unknown) {
    std::vector<db::queries::book_upsert> rows;
    for (auto& barcode : unknown)
        rows.push_back({.barcode = std::move(barcode), .columns = {}});
    auto upsert =
        db::queries::upsert_books(database, std::move(rows), db::queries::on_existing::keep);
    co_await std::move(upsert);
}

// This run's figures, added to output/<run>/process_summary.json (stage "sync").
void record_summary(const run_services& s,
                    const run_totals& totals,
                    std::chrono::system_clock::time_point started) {
    const sync_run_params& params = s.params;
    run::stage_run stage{
        .stage = "sync", .started = started, .finished = std::chrono::system_clock::now()};
    for (auto outcome :
         {book_outcome::synced, book_outcome::skipped, book_outcome::conversion_requested,
          book_outcome::conversion_failure_tracked, book_outcome::failed, book_outcome::cancelled})
        stage.counters[std::string(to_string(outcome))] = totals.count(outcome);
    stage.counters["downloaded_bytes"] = totals.downloaded_bytes;
    stage.counters["archive_bytes"] = totals.archive_bytes;
    stage.counters["download_retries"] = totals.download_retries;
    stage.errors = run::top_reasons(totals.failure_reasons);
    nlohmann::json details = {{"force", params.force},
                              {"interrupted", totals.interrupted},
                              {"storage_type", params.config.storage.type},
                              {"insecure", params.insecure}};
    std::vector<std::string> queues;
    for (auto kind : params.queues)
        queues.emplace_back(to_string(kind));
    details["queues"] = queues;
    if (params.limit)
        details["limit"] = *params.limit;
    details["metrics"] = metrics_snapshot(s.registry, &s.database);
    stage.details_json = details.dump();
    run::record_stage_run_or_warn(params.run_dir / "process_summary.json", params.config.run_name,
                                  stage);
}

asio::awaitable<run_totals> run_all(run_services s) {
    const auto started = std::chrono::system_clock::now();
    run_totals totals;
    const auto& params = s.params;
    if (!params.dry_run) {
        // A wrong endpoint, bucket or credential stops the run here, not book by book.
        auto preparing = s.store.prepare_for_writes();
        co_await std::move(preparing);
    }
    auto loading = load_known_failures(s.grin);
    known_failures failures = co_await std::move(loading);
    s.failures = std::move(failures);

    std::vector<selection_request> requests;
    if (!params.barcodes.empty())
        requests.push_back(
            {.kind = queue_kind::barcodes, .barcodes = params.barcodes, .limit = params.limit});
    for (auto kind : params.queues)
        requests.push_back({.kind = kind, .barcodes = {}, .limit = params.limit});

    for (const auto& request : requests) {
        if (s.controls.stop_requested())
            break;
        s.out.print("\nQueue: " + std::string(to_string(request.kind)), false);
        auto selecting = select_books(s.grin, s.database, request);
        selection chosen = co_await std::move(selecting);
        s.out.print(describe_selection(chosen, request), false);
        if (!chosen.unknown.empty() && !params.dry_run) {
            s.out.print("Creating empty database entries and continuing...", false);
            co_await insert_unknown(s.database, chosen.unknown);
        }
        if (chosen.barcodes.empty())
            continue;
        s.context.conversions = chosen.conversions;
        s.out.print("Progress will be shown every " +
                        std::to_string(s.queue_params.progress_every_books) +
                        " books completed\n---",
                    false);
        auto running = run_queue(s.context, std::move(chosen.barcodes), s.queue_params, s.controls,
                                 s.out.output());
        queue_result result = co_await std::move(running);
        s.out.print("", false);
        s.out.print("Task Statistics Summary (" + std::string(to_string(request.kind)) + "):",
                    false);
        s.out.print(result.tasks.table(), false);
        totals.add(result);
    }
    if (!params.dry_run && !s.controls.cancelled()) {
        record_summary(s, totals, started);
        teardown_params teardown{.run_dir = params.run_dir,
                                 .export_csv = !params.skip_csv_export,
                                 .compress_meta = !params.skip_compression_meta,
                                 .backup_database = !params.skip_database_backup};
        teardown.process_summary = params.run_dir / "process_summary.json";
        if (params.config.storage.type != "local" && !params.skip_staging_cleanup)
            teardown.staging_dir = s.staging_dir;
        auto finishing = run_teardown(s.database, s.store, s.layout, s.files, teardown);
        totals.teardown = co_await std::move(finishing);
    }
    co_return totals;
}

std::string megabytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f MB", static_cast<double>(bytes) / 1e6);
    return text;
}

void print_summary(console& out,
                   const sync_run_params& params,
                   const run_totals& totals,
                   const net::pool_stats& pool,
                   std::chrono::duration<double> elapsed) {
    const std::uint64_t synced = totals.count(book_outcome::synced);
    std::uint64_t books = 0;
    for (const auto& [outcome, count] : totals.outcomes)
        books += count;
    char rate[64];
    std::snprintf(rate, sizeof rate, "%.2f books/sec, %.1f MB/s",
                  elapsed.count() > 0 ? static_cast<double>(books) / elapsed.count() : 0.0,
                  elapsed.count() > 0
                      ? static_cast<double>(totals.downloaded_bytes) / 1e6 / elapsed.count()
                      : 0.0);
    std::string head =
        params.dry_run ? "DRY RUN COMPLETE: nothing was written. Plan: " : "Sync finished: ";
    std::string what = params.dry_run ? " to download, " : " synced, ";
    out.print(head + with_thousands(synced) + what +
                  with_thousands(totals.count(book_outcome::skipped)) + " skipped, " +
                  with_thousands(totals.count(book_outcome::conversion_requested)) +
                  " conversion requested, " +
                  with_thousands(totals.count(book_outcome::conversion_failure_tracked)) +
                  " known conversion failures, " +
                  with_thousands(totals.count(book_outcome::failed)) + " failed" +
                  (totals.count(book_outcome::cancelled)
                       ? ", " + with_thousands(totals.count(book_outcome::cancelled)) + " cancelled"
                       : ""),
              false);
    if (!totals.failure_reasons.empty()) {
        std::vector<std::pair<std::uint64_t, std::string>> reasons;
        for (const auto& [reason, count] : totals.failure_reasons)
            reasons.emplace_back(count, reason);
        std::sort(reasons.rbegin(), reasons.rend());
        out.print("Top failure reasons:", false);
        for (std::size_t i = 0; i < reasons.size() && i < 5; ++i)
            out.print("  " + with_thousands(reasons[i].first) + " x " + reasons[i].second, false);
    }
    out.print("Elapsed " + format_duration(elapsed) + " - " + rate + " - downloaded " +
                  megabytes(totals.downloaded_bytes) + ", stored " +
                  megabytes(totals.archive_bytes) + " of archives, " +
                  with_thousands(totals.download_retries) + " download retries",
              false);
    out.print("Connections (GRIN and storage): " + with_thousands(pool.connections_opened) +
                  " opened (" + with_thousands(pool.reuses) + " reuses, " +
                  with_thousands(pool.full_handshakes) + " full TLS handshakes, " +
                  with_thousands(pool.resumed_handshakes) + " resumed), SQLite " +
                  std::to_string(db::connections_opened()) + " opened",
              false);
    if (totals.teardown) {
        for (const auto& line : totals.teardown->done)
            out.print("Teardown: " + line, false);
        if (!totals.teardown->failures.empty()) {
            out.print("Teardown completed with errors:", false);
            for (const auto& [step, message] : totals.teardown->failures)
                out.print("  x " + step + ": " + message, false);
        }
    }
}

} // namespace

int run_sync(const sync_run_params& params) {
    const run::run_config& config = params.config;
    // The console gets progress and summaries on stdout; info lines go to the log file.
    log::set_console_level(log::level::warning);
    std::optional<run::session_lock> lock;
    if (!params.dry_run) {
        lock.emplace(params.run_dir);
        if (!config.log_file.empty()) {
            log::set_file(config.log_file);
            std::cout << "Log file: " << config.log_file << std::endl;
        }
        run::mark_stage_active(params.run_dir / "process_summary.json", config.run_name, "sync");
    }
    log::info("SYNC PIPELINE STARTED - run=" + config.run_name + " storage=" + config.storage.type +
              " force=" + (params.force ? "true" : "false") + (params.dry_run ? " dry-run" : "") +
              (params.limit ? " limit=" + std::to_string(*params.limit) : ""));

    auto credentials_dir =
        config.secrets_dir ? std::filesystem::path(*config.secrets_dir) : auth::credentials_dir();
    auto credentials_file = credentials_dir / "credentials.json";
    auto credentials = auth::load_credentials(credentials_file);
    crypto::passphrase key = params.passphrase_file
                                 ? crypto::read_passphrase_file(*params.passphrase_file)
                                 : crypto::find_passphrase(credentials_dir);

    const run::sync_settings& settings = config.sync;
    const int check_limit = positive(params.concurrency.check, settings.task_check_concurrency);
    const int download_limit =
        positive(params.concurrency.download, settings.task_download_concurrency);
    const int upload_limit = positive(params.concurrency.upload, settings.task_upload_concurrency);
    const int conversion_limit = positive(params.concurrency.conversion, 2);

    asio::io_context io;
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    asio::thread_pool cpu(cores);
    asio::thread_pool files(2);

    net::pool_params pool_params;
    pool_params.max_connections_per_host =
        static_cast<std::size_t>(download_limit + check_limit + conversion_limit);
    if (config.ca_file)
        pool_params.tls.ca_file = *config.ca_file;
    pool_params.tls.verify = !params.insecure;
    net::https_pool pool(io.get_executor(), pool_params);
    // A dry run keeps refreshed tokens in memory: it writes no file at all.
    auth::token_source tokens(pool, credentials,
                              params.dry_run ? std::filesystem::path() : credentials_file);
    api::client_params client_params;
    client_params.base_url = config.grin_base_url;
    client_params.library = config.library_directory;
    if (params.read_timeout) {
        for (net::request_params* request :
             {&client_params.list_request, &client_params.archive_request}) {
            request->read_header_timeout = *params.read_timeout;
            request->body_idle_timeout = *params.read_timeout;
        }
    }
    api::client grin(pool, tokens, client_params);

    db::database database({.path = config.sqlite_db_path, .read_only = params.dry_run});
    metrics::registry registry;
    metrics::watch_pool(registry, pool);
    metrics::watch_database(registry, database);
    sync_metrics book_metrics(registry);
    key_deriver keys(io.get_executor(), cpu.get_executor(), key, cores, &book_metrics);
    const std::filesystem::path staging = settings.staging_dir
                                              ? std::filesystem::path(*settings.staging_dir)
                                              : params.run_dir / "staging";
    auto store = storage::make_storage(
        config.storage,
        {.file_executor = files.get_executor(), .pool = &pool, .staging_dir = staging});
    storage::key_layout layout({.run_name = config.run_name,
                                .prefix = config.storage.prefix,
                                .kind = config.storage.type == "local"
                                            ? storage::layout_kind::local_directory
                                            : storage::layout_kind::object_store});

    // Where the decrypted archives land: the storage tree for local storage, staging for
    // object stores.
    std::filesystem::path landing =
        config.storage.type == "local" && !settings.staging_dir
            ? std::filesystem::path(config.storage.config.contains("base_path")
                                        ? config.storage.config.at("base_path")
                                        : params.run_dir.string())
            : staging;
    disk_guard disk(io.get_executor(), {.path = existing_ancestor(landing),
                                        .threshold = settings.disk_space_threshold});

    sync_options options{.force = params.force,
                         .dry_run = params.dry_run,
                         .extract_ocr = !params.skip_extract_ocr,
                         .extract_marc = !params.skip_extract_marc,
                         .compress_ocr = !params.skip_compression_full};
    // A GET answered 429 is retried (after its Retry-After); a HEAD answered 429 is not
    // (grin-protocol.md 1.8), so archive_policy, which HEAD uses, leaves 429 out.
    options.download_retry = client_params.archive_policy;
    options.download_retry.retryable_statuses.insert(429);
    stage_gates gates{
        .check = async_gate(io.get_executor(), static_cast<std::size_t>(check_limit)),
        .download = async_gate(io.get_executor(), static_cast<std::size_t>(download_limit)),
        .upload = async_gate(io.get_executor(), static_cast<std::size_t>(upload_limit)),
        .conversion = async_gate(io.get_executor(), static_cast<std::size_t>(conversion_limit))};
    known_failures failures;
    conversion_budget conversions;
    task_statistics tasks;
    std::size_t processing = 0;
    console out;
    book_job_context context{.grin = grin,
                             .database = database,
                             .store = *store,
                             .layout = layout,
                             .key = key,
                             .cpu = cpu.get_executor(),
                             .gates = gates,
                             .disk = disk,
                             .options = options,
                             .failures = failures,
                             .conversions = conversions,
                             .tasks = tasks,
                             .processing = processing,
                             .plan = {},
                             .metrics = &book_metrics,
                             .keys = &keys};
    if (params.dry_run)
        context.plan = [&out](const std::string& line) { out.print("  " + line, false); };

    queue_run_params queue_params;
    queue_params.max_sequential_failures = params.max_sequential_failures;
    queue_params.max_in_flight = params.max_in_flight.value_or(
        static_cast<std::size_t>(check_limit + download_limit + upload_limit) + 10);

    out.print("Storage: " + store->describe(), false);
    out.print("Concurrency: check " + std::to_string(check_limit) + ", download " +
                  std::to_string(download_limit) + ", upload " + std::to_string(upload_limit) +
                  ", conversion requests " + std::to_string(conversion_limit) + ", CPU threads " +
                  std::to_string(cores) + ", books in flight " +
                  std::to_string(queue_params.max_in_flight),
              false);
    if (params.dry_run)
        out.print("DRY RUN: reading only; nothing will be written.", false);

    run_controls controls;
    book_metrics.watch(gates, processing, [&controls] { return controls.in_flight(); });
    // Last, so that it is destroyed first: its handler reads the objects above.
    metrics::endpoint endpoint(io.get_executor(), registry, params.metrics,
                               [&database] { return metrics::database_report(database); });
    endpoint.start(std::cout);
    net::interrupt_signals signals(
        io,
        [&](int number) {
            out.print("Received signal " + std::to_string(number) +
                          ", finishing sync for books in flight...\nPress Control-C again to "
                          "force immediate exit",
                      false);
            log::warning("signal " + std::to_string(number) + ": graceful shutdown");
            controls.request_stop();
        },
        [&](int number) {
            out.print("Received second signal " + std::to_string(number) +
                          ", cancelling the books in flight...",
                      false);
            log::warning("second signal: cancelling books in flight");
            controls.cancel_all();
            // The books get this long to unwind before the loop is stopped.
            signals.stop_loop_after(std::chrono::seconds(10));
        });

    auto started = std::chrono::steady_clock::now();
    std::exception_ptr failure;
    run_totals totals;
    bool finished = false;
    run_services services{.params = params,
                          .grin = grin,
                          .pool = pool,
                          .database = database,
                          .store = *store,
                          .layout = layout,
                          .files = files.get_executor(),
                          .context = context,
                          .failures = failures,
                          .staging_dir = staging,
                          .controls = controls,
                          .out = out,
                          .queue_params = queue_params,
                          .registry = registry};
    asio::co_spawn(io, run_all(services), [&](std::exception_ptr error, run_totals result) {
        failure = error;
        totals = std::move(result);
        finished = true;
        signals.cancel();
        endpoint.stop();
    });
    io.run();
    // Wait for work already handed to the pools, then commit everything accepted.
    cpu.join();
    files.join();
    database.stop();
    log::debug("S2K keys derived ahead: " + std::to_string(keys.keys_derived()) + ", " +
               std::to_string(keys.keys_derived_in_pairs()) + " of them in pairs");
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
    if (!finished) {
        // The loop was stopped with books still suspended: their frames point into the
        // pool, storage and gates above, so they must not be destroyed. Everything that
        // was accepted is committed and the database is closed; leave without unwinding.
        log::warning("sync stopped after the second signal; committed work is kept");
        std::cout << "Stopped. Everything committed is kept; rerun to continue." << std::endl;
        std::_Exit(130);
    }
    if (failure)
        std::rethrow_exception(failure);
    print_summary(out, params, totals, pool.stats(), elapsed);
    log::info("SYNC PIPELINE FINISHED - synced " +
              std::to_string(totals.count(book_outcome::synced)) + ", failed " +
              std::to_string(totals.count(book_outcome::failed)));
    if (controls.cancelled())
        return 130;
    bool teardown_failed = totals.teardown && !totals.teardown->failures.empty();
    return (totals.count(book_outcome::failed) > 0 || teardown_failed) ? 1 : 0;
}

} // namespace grin::sync
