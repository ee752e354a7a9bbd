#pragma once
// sync::run_sync: one `grin sync pipeline` invocation from start to exit code: session
// lock, log file, credentials and passphrase, the shared HTTPS pool, the database actor,
// the storage backend, signal handling (first SIGINT/SIGTERM: admit no more books, let
// those in flight finish, run teardown, exit 0; second: cancel the books in flight, close
// the database cleanly, exit 130), the queues in order, teardown (CSV export, database
// backup) and the final summary. --dry-run takes no lock, opens the database read-only
// and writes nothing anywhere.
//
// Exit codes: 0 all books fine; 1 some books failed or teardown failed (details printed);
// 2 configuration error (grin::fatal); 130 interrupted twice.
#include <grin/metrics/endpoint.hpp>
#include <grin/run/run_config.hpp>
#include <grin/sync/book_selection.hpp>

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace grin::sync {

struct concurrency_overrides {
    std::optional<int> check, download, upload, conversion;
};

struct sync_run_params {
    std::filesystem::path run_dir;
    run::run_config config;
    std::vector<queue_kind> queues;     // in order; empty when barcodes are given
    std::vector<std::string> barcodes;  // validated
    std::optional<std::uint64_t> limit; // per queue
    bool force = false;
    bool dry_run = false;
    bool skip_extract_ocr = false;
    bool skip_extract_marc = false;
    bool skip_csv_export = false;
    bool skip_database_backup = false;
    bool skip_staging_cleanup = false;
    bool skip_compression_full = false;
    bool skip_compression_meta = false;
    concurrency_overrides concurrency;
    std::size_t max_sequential_failures = 10;
    std::optional<std::size_t> max_in_flight;
    bool insecure = false; // TLS verification off (never against real GRIN)
    std::optional<std::filesystem::path> passphrase_file;
    grin::metrics::endpoint_options metrics; // --metrics-port / --metrics-bind
    // Longest silence of a GRIN response (before its headers, between body pieces);
    // nullopt: the API client's defaults.
    std::optional<std::chrono::seconds> read_timeout;
};

int run_sync(const sync_run_params& params);

} // namespace grin::sync
