// `grin collect`: list every book of a library directory from GRIN into
// output/<run>/books.db, and write the run's run_config.json once.
#include <grin/api/barcode.hpp>
#include <grin/api/client.hpp>
#include <grin/auth/credentials.hpp>
#include <grin/auth/token_source.hpp>
#include <grin/cli/commands.hpp>
#include <grin/collect/collector.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/time.hpp>
#include <grin/net/interrupt_signals.hpp>
#include <grin/run/csv_export.hpp>
#include <grin/run/process_summary.hpp>
#include <grin/run/run_config.hpp>
#include <grin/run/session_lock.hpp>
#include <grin/storage/key_layout.hpp>
#include <grin/storage/make_storage.hpp>
#include <grin/sync/teardown.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <iostream>

#include "metrics_flags.hpp"

namespace grin::cli {
namespace asio = boost::asio;

namespace {

struct collect_options {
    std::string run_name;
    std::string library_directory;
    std::string storage;
    std::string storage_path;
    std::string bucket_raw, bucket_meta, bucket_full;
    std::vector<std::string> storage_config;
    std::string secrets_dir;
    std::uint64_t limit = 0;
    bool refresh = false;
    std::string output_root = "output";
    std::string grin_base_url{api::default_base_url};
    std::string ca_file;
    bool insecure = false;
    int page_size = 10'000;
    run::sync_settings sync;
    std::string staging_dir;
    metrics_flags metrics;
};

// The flags given on this command line, as run_config.json keys, so that a later run is
// compared only on what the user actually asked for.
std::set<std::string> given_settings(const CLI::App& sub) {
    static const std::vector<std::pair<std::string, std::string>> keys = {
        {"--library-directory", "library_directory"},
        {"--storage", "storage_config.type"},
        {"--storage-path", "storage_config.config.base_path"},
        {"--bucket-raw", "storage_config.config.bucket_raw"},
        {"--bucket-meta", "storage_config.config.bucket_meta"},
        {"--bucket-full", "storage_config.config.bucket_full"},
        {"--secrets-dir", "secrets_dir"},
        {"--grin-base-url", "grin_base_url"},
        {"--ca-file", "ca_file"},
        {"--sync-task-check-concurrency", "sync_config.task_check_concurrency"},
        {"--sync-task-download-concurrency", "sync_config.task_download_concurrency"},
        {"--sync-task-decrypt-concurrency", "sync_config.task_decrypt_concurrency"},
        {"--sync-task-upload-concurrency", "sync_config.task_upload_concurrency"},
        {"--sync-staging-dir", "sync_config.staging_dir"},
        {"--sync-disk-space-threshold", "sync_config.disk_space_threshold"},
    };
    std::set<std::string> given;
    for (const auto& [flag, key] : keys)
        if (sub.count(flag) > 0)
            given.insert(key);
    return given;
}

run::run_config wanted_config(const collect_options& options,
                              const std::string& run_name,
                              const std::filesystem::path& run_dir) {
    run::run_config config;
    config.run_name = run_name;
    config.library_directory = options.library_directory;
    config.output_directory = run_dir.string();
    config.sqlite_db_path = (run_dir / "books.db").string();
    config.storage.type = options.storage.empty() ? "local" : options.storage;
    if (!options.storage_path.empty())
        config.storage.config["base_path"] =
            std::filesystem::absolute(options.storage_path).lexically_normal().string();
    if (!options.bucket_raw.empty())
        config.storage.config["bucket_raw"] = options.bucket_raw;
    if (!options.bucket_meta.empty())
        config.storage.config["bucket_meta"] = options.bucket_meta;
    if (!options.bucket_full.empty())
        config.storage.config["bucket_full"] = options.bucket_full;
    for (const auto& pair : options.storage_config) {
        auto equals = pair.find('=');
        if (equals == std::string::npos || equals == 0)
            throw fatal("--storage-config expects key=value, got '" + pair + "'");
        auto key = pair.substr(0, equals);
        if (key == "secret_key" || key == "access_key")
            throw fatal("--storage-config " + key +
                        " would put a secret into run_config.json; use a credentials file");
        config.storage.config[key] = pair.substr(equals + 1);
    }
    config.sync = options.sync;
    if (!options.staging_dir.empty())
        config.sync.staging_dir = options.staging_dir;
    // In the run directory (grin-transfer used a cwd-relative logs/), so a run is one folder.
    config.log_file = (run_dir / "logs" /
                       ("grin_pipeline_" + run_name + "_" + format_compact_utc(now_utc()) + ".log"))
                          .string();
    if (!options.secrets_dir.empty())
        config.secrets_dir = options.secrets_dir;
    config.grin_base_url = options.grin_base_url;
    if (!options.ca_file.empty())
        config.ca_file = std::filesystem::absolute(options.ca_file).string();
    return config;
}

void validate_storage(const run::run_config& config) {
    const auto& storage = config.storage;
    if (storage.type == "local") {
        auto base = storage.config.find("base_path");
        if (base == storage.config.end())
            throw fatal("--storage local needs --storage-path DIR (where archives will go)");
        for (const char* role : {"raw", "meta", "full"})
            std::filesystem::create_directories(std::filesystem::path(base->second) / role);
    } else if (storage.type == "s3") {
        for (const char* bucket : {"bucket_raw", "bucket_meta", "bucket_full"})
            if (!storage.config.contains(bucket))
                throw fatal("--storage s3 needs --bucket-raw, --bucket-meta and --bucket-full");
    } else if (storage.type == "r2" || storage.type == "minio") {
        // Buckets may come from r2_credentials.json or MinIO's defaults (s3_credentials.hpp);
        // the storage set-up says what is missing.
    } else {
        throw fatal("unknown storage '" + storage.type + "' (expected local, s3, r2 or minio)");
    }
}

struct collect_outcome {
    collect::collect_summary summary;
    std::uint64_t exported = 0;
    sync::teardown_report copies;
};

// Where the run's copies go (meta bucket: run_config.json, CSV, database copy), with the
// layout of the run's keys.
struct run_storage {
    storage::storage& store;
    storage::key_layout layout;
    asio::any_io_executor files;
};

asio::awaitable<collect_outcome> run_collect_pipeline(api::client& grin,
                                                      db::database& database,
                                                      collect::collect_params params,
                                                      const std::atomic<bool>& stop,
                                                      run_storage storage,
                                                      std::filesystem::path run_dir,
                                                      const command_metrics* metrics,
                                                      bool insecure) {
    co_await grin.probe();
    // Wrong storage settings stop the run before any GRIN listing, not at its end.
    co_await storage.store.prepare_for_writes();
    co_await sync::store_run_config(storage.store, storage.layout, run_dir / "run_config.json");
    collect::progress_sink progress = [](const std::string& line) {
        std::cout << line << std::endl;
        log::debug(line);
    };
    collect_outcome outcome;
    const auto started = std::chrono::system_clock::now();
    outcome.summary = co_await collect::collect_books(grin, database, params, stop, progress);
    run::stage_run stage{.stage = "collect",
                         .started = started,
                         .finished = std::chrono::system_clock::now(),
                         .counters = {{"collected", outcome.summary.seen},
                                      {"written", outcome.summary.written},
                                      {"pages", outcome.summary.pages},
                                      {"invalid_rows", outcome.summary.invalid_rows}}};
    stage.details_json =
        nlohmann::json{{"metrics", metrics->snapshot()}, {"insecure", insecure}}.dump();
    run::record_stage_run(run_dir / "process_summary.json", storage.layout.params().run_name,
                          stage);
    // grin-transfer's end of collect: CSV (uncompressed), a database copy and the process
    // summary in meta.
    sync::teardown_params copies{.run_dir = run_dir,
                                 .compress_meta = false,
                                 .process_summary = run_dir / "process_summary.json"};
    outcome.copies =
        co_await sync::run_teardown(database, storage.store, storage.layout, storage.files, copies);
    outcome.exported = outcome.copies.exported_rows;
    co_return outcome;
}

int run_collect(CLI::App& sub, const collect_options& options) {
    options.metrics.validate();
    std::string run_name = options.run_name.empty() ? "run_" + format_compact_utc(now_utc())
                                                    : run::sanitize_run_name(options.run_name);
    std::filesystem::path run_dir = run::run_directory(options.output_root, run_name);
    std::filesystem::path config_file = run_dir / "run_config.json";
    bool first_run = !std::filesystem::exists(config_file);
    if (first_run && options.library_directory.empty())
        throw fatal("--library-directory is required for a new run (the GRIN directory name, "
                    "e.g. Harvard)");
    if (!options.library_directory.empty() &&
        !api::is_valid_library_directory(options.library_directory))
        throw fatal("invalid --library-directory '" + options.library_directory +
                    "': use the directory name only (letters, digits, '_' or '-'), not a URL");
    if (options.page_size < 1)
        throw fatal("--page-size must be at least 1");

    std::filesystem::create_directories(run_dir);
    run::session_lock lock(run_dir);
    auto wanted = wanted_config(options, run_name, run_dir);
    if (first_run)
        validate_storage(wanted);
    auto config = run::open_run_config(config_file, wanted, given_settings(sub));
    if (!config.log_file.empty())
        log::set_file(config.log_file);
    run::mark_stage_active(run_dir / "process_summary.json", run_name, "collect");
    log::info("collect started: run=" + run_name + " library=" + config.library_directory +
              " storage=" + config.storage.type);
    std::cout << (first_run ? "Configuration written to " : "Using configuration ")
              << config_file.string() << "\nRun directory: " << run_dir.string()
              << "\nDatabase: " << config.sqlite_db_path << std::endl;

    auto credentials_dir =
        config.secrets_dir ? std::filesystem::path(*config.secrets_dir) : auth::credentials_dir();
    auto credentials_file = credentials_dir / "credentials.json";
    auto credentials = auth::load_credentials(credentials_file);

    asio::io_context io;
    net::pool_params pool_params;
    if (config.ca_file)
        pool_params.tls.ca_file = *config.ca_file;
    pool_params.tls.verify = !options.insecure;
    net::https_pool pool(io.get_executor(), pool_params);
    auth::token_source tokens(pool, credentials, credentials_file);
    api::client_params client_params;
    client_params.base_url = config.grin_base_url;
    client_params.library = config.library_directory;
    client_params.page_size = options.page_size;
    api::client grin(pool, tokens, client_params);
    db::database database({.path = config.sqlite_db_path});
    command_metrics metrics(io, options.metrics, pool, &database);
    metrics.start();
    asio::thread_pool files(2);
    auto store = storage::make_storage(
        config.storage,
        {.file_executor = files.get_executor(), .pool = &pool, .staging_dir = run_dir / "staging"});
    storage::key_layout layout({.run_name = config.run_name,
                                .prefix = config.storage.prefix,
                                .kind = config.storage.type == "local"
                                            ? storage::layout_kind::local_directory
                                            : storage::layout_kind::object_store});

    collect::collect_params params;
    if (options.limit > 0)
        params.limit = options.limit;
    params.refresh = options.refresh;
    params.session_id = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();

    std::atomic<bool> stop{false};
    net::interrupt_signals signals(
        io,
        [&](int) {
            std::cerr << "Interrupt received - saving progress and exiting gracefully (press "
                         "Ctrl-C again to stop at once)"
                      << std::endl;
            stop = true;
        },
        // Committed rows are safe; the actor commits what it accepted.
        [&](int) { io.stop(); });

    std::exception_ptr failure;
    collect_outcome outcome;
    bool finished = false;
    auto on_done = [&](std::exception_ptr error, collect_outcome result) {
        failure = error;
        outcome = result;
        finished = true;
        signals.cancel();
        metrics.stop();
    };
    auto csv = run_dir / "books_export.csv";
    run_storage copies_to{.store = *store, .layout = layout, .files = files.get_executor()};
    asio::co_spawn(io,
                   run_collect_pipeline(grin, database, params, stop, copies_to, run_dir, &metrics,
                                        options.insecure),
                   on_done);
    io.run();
    files.join();
    database.stop();
    if (!finished)
        return 130;
    if (failure)
        std::rethrow_exception(failure);
    const auto& summary = outcome.summary;
    log::info("collect finished: " + std::to_string(summary.seen) + " books, " +
              std::to_string(summary.written) + " new or updated");
    std::cout << "Collected " << summary.seen << " books (" << summary.written
              << " new or updated) from " << summary.pages
              << (summary.pages == 1 ? " page" : " pages")
              << (summary.invalid_rows
                      ? ", " + std::to_string(summary.invalid_rows) + " malformed rows skipped"
                      : "")
              << "\nExported " << outcome.exported << " books to " << csv.string() << std::endl;
    for (const auto& line : outcome.copies.done)
        log::info("collect copies: " + line);
    if (!outcome.copies.failures.empty()) {
        std::cerr << "Copies to storage completed with errors:\n";
        for (const auto& [step, message] : outcome.copies.failures)
            std::cerr << "  x " << step << ": " << log::redact(message) << "\n";
        return summary.interrupted ? 130 : 1;
    }
    return summary.interrupted ? 130 : 0;
}

} // namespace

void add_collect(CLI::App& app, command_list& commands) {
    auto options = std::make_shared<collect_options>();
    auto* sub = app.add_subcommand(
        "collect",
        "List every book of a GRIN library directory into output/<run>/books.db. The run's "
        "settings are written once to output/<run>/run_config.json; rerunning continues the "
        "run and adds only what is missing.");
    sub->footer(
        "Examples:\n"
        "  grin collect --run-name harvard_2024 --library-directory Harvard \\\n"
        "      --storage local --storage-path /data/books\n"
        "  grin collect --run-name harvard_2024 --library-directory Harvard --storage s3 \\\n"
        "      --bucket-raw lib-raw --bucket-meta lib-meta --bucket-full lib-full\n"
        "  grin collect --run-name harvard_2024            # continue: adds only what is new\n"
        "  grin collect --run-name harvard_2024 --refresh  # also update known books\n"
        "\nCtrl-C once: whole pages read so far are kept (exit 130); twice: stop at once.\n"
        "Exit codes: 0 ok, 1 GRIN or storage error, 2 usage or configuration error, 130 "
        "interrupted. `grin help storage` has credential examples for S3, R2 and MinIO.");
    sub->add_option("--run-name", options->run_name,
                    "Name of the run (default run_<UTC timestamp>); letters, digits, _ and -");
    sub->add_option("--library-directory", options->library_directory,
                    "GRIN library directory, e.g. Harvard (required for a new run)");
    sub->add_option("--storage", options->storage, "Where archives will go: local, s3, r2, minio")
        ->check(CLI::IsMember({"local", "s3", "r2", "minio"}));
    sub->add_option("--storage-path", options->storage_path, "Base directory for local storage");
    sub->add_option("--bucket-raw", options->bucket_raw, "Bucket for decrypted archives");
    sub->add_option("--bucket-meta", options->bucket_meta, "Bucket for CSV and database copies");
    sub->add_option("--bucket-full", options->bucket_full, "Bucket for OCR text");
    sub->add_option("--storage-config", options->storage_config,
                    "Extra storage setting key=value (repeatable), e.g. endpoint_url=...");
    sub->add_option("--secrets-dir", options->secrets_dir,
                    "Directory with credentials.json (default $GRIN_CREDENTIALS_DIR or "
                    "~/.config/grin-transfer)");
    sub->add_option("--limit", options->limit, "Stop after this many books");
    sub->add_flag("--refresh", options->refresh,
                  "Update GRIN metadata of books already in the database");
    sub->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    sub->add_option("--grin-base-url", options->grin_base_url,
                    "GRIN base URL (an emulator's, for tests and demos)")
        ->capture_default_str();
    sub->add_option("--ca-file", options->ca_file,
                    "Extra CA certificate (PEM) to trust, e.g. the emulator's")
        ->check(CLI::ExistingFile);
    sub->add_flag("--insecure", options->insecure,
                  "Do not verify TLS certificates (never against real GRIN)");
    sub->add_option("--page-size", options->page_size, "Books per GRIN list page")
        ->capture_default_str();
    sub->add_option("--sync-task-check-concurrency", options->sync.task_check_concurrency,
                    "Saved for sync: concurrent HEAD checks")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--sync-task-download-concurrency", options->sync.task_download_concurrency,
                    "Saved for sync: concurrent downloads")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--sync-task-decrypt-concurrency", options->sync.task_decrypt_concurrency,
                    "Saved for sync: concurrent decryptions")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--sync-task-upload-concurrency", options->sync.task_upload_concurrency,
                    "Saved for sync: concurrent uploads")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--sync-staging-dir", options->staging_dir,
                    "Saved for sync: staging directory");
    sub->add_option("--sync-disk-space-threshold", options->sync.disk_space_threshold,
                    "Saved for sync: pause downloads above this disk usage (0-1)")
        ->check(CLI::Range(0.0, 1.0));
    add_metrics_flags(*sub, options->metrics);
    commands.push_back({sub, [sub, options] { return run_collect(*sub, *options); }});
}

} // namespace grin::cli
