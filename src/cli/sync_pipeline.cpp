// `grin sync pipeline`: per book, check -> (request conversion) -> download -> decrypt ->
// store archive, OCR text and MARC columns -> record; resumable, with --dry-run.
#include <grin/api/barcode.hpp>
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/run/run_config.hpp>
#include <grin/sync/sync_run.hpp>

#include <CLI/CLI.hpp>

#include <fstream>

#include "metrics_flags.hpp"
#include "run_session.hpp"

namespace grin::cli {

namespace {

struct sync_pipeline_options {
    std::string run_name;
    std::string output_root = "output";
    std::vector<std::string> queues;
    std::string barcodes;
    std::string barcodes_file;
    std::uint64_t limit = 0;
    int check = 0, download = 0, upload = 0, conversion = 0;
    std::size_t max_in_flight = 0;
    std::string passphrase_file;
    metrics_flags metrics;
    int read_timeout_seconds = 0; // 0: the client's defaults
    sync::sync_run_params run;
};

std::vector<std::string> split_barcodes(const std::string& list) {
    std::vector<std::string> barcodes;
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        std::string item =
            list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        item.erase(0, item.find_first_not_of(" \t"));
        item.erase(item.find_last_not_of(" \t") + 1);
        if (!item.empty()) {
            if (!api::is_valid_barcode(item))
                throw fatal("invalid barcode '" + item +
                            "' in --barcodes (3-50 characters: letters, digits, '_' or '-')");
            barcodes.push_back(item);
        }
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return barcodes;
}

// One barcode per line; blank lines and '#' comments skipped; "-" reads standard input.
std::vector<std::string> read_barcodes_file(const std::string& name) {
    std::ifstream file;
    std::istream* in = &std::cin;
    if (name != "-") {
        file.open(name);
        if (!file)
            throw fatal("cannot read --barcodes-file " + name);
        in = &file;
    }
    std::vector<std::string> barcodes;
    std::string line;
    for (int number = 1; std::getline(*in, line); ++number) {
        auto hash = line.find('#');
        if (hash != std::string::npos)
            line.erase(hash);
        line.erase(0, line.find_first_not_of(" \t\r"));
        line.erase(line.find_last_not_of(" \t\r") + 1);
        if (line.empty())
            continue;
        if (!api::is_valid_barcode(line))
            throw fatal("invalid barcode '" + line + "' on line " + std::to_string(number) +
                        " of " + name + " (3-50 characters: letters, digits, '_' or '-')");
        barcodes.push_back(line);
    }
    return barcodes;
}

int run_sync_pipeline(sync_pipeline_options& options) {
    auto& run = options.run;
    run.metrics = options.metrics.options();
    const bool by_barcode = !options.barcodes.empty() || !options.barcodes_file.empty();
    if (by_barcode == !options.queues.empty())
        throw fatal("give either --queue (converted, previous, unconverted, changed) or "
                    "--barcodes / --barcodes-file, not both and not neither");
    for (const auto& name : options.queues) {
        auto kind = sync::parse_queue_kind(name);
        if (!kind)
            throw fatal("unknown --queue '" + name +
                        "' (expected converted, previous, unconverted or changed)");
        run.queues.push_back(*kind);
    }
    if (!options.barcodes.empty())
        run.barcodes = split_barcodes(options.barcodes);
    if (!options.barcodes_file.empty()) {
        auto more = read_barcodes_file(options.barcodes_file);
        run.barcodes.insert(run.barcodes.end(), more.begin(), more.end());
    }
    if (by_barcode && run.barcodes.empty())
        throw fatal("no barcodes given (the list or file is empty)");

    auto existing = open_existing_run(options.output_root, options.run_name);
    run.run_dir = existing.dir;
    run.config = std::move(existing.config);
    if (options.limit > 0)
        run.limit = options.limit;
    auto positive = [](int value) { return value > 0 ? std::optional<int>(value) : std::nullopt; };
    run.concurrency = {.check = positive(options.check),
                       .download = positive(options.download),
                       .upload = positive(options.upload),
                       .conversion = positive(options.conversion)};
    if (options.max_in_flight > 0)
        run.max_in_flight = options.max_in_flight;
    if (!options.passphrase_file.empty())
        run.passphrase_file = options.passphrase_file;
    if (options.read_timeout_seconds > 0)
        run.read_timeout = std::chrono::seconds(options.read_timeout_seconds);
    return sync::run_sync(run);
}

} // namespace

void add_sync_pipeline(CLI::App& sync, command_list& commands) {
    auto options = std::make_shared<sync_pipeline_options>();
    auto* sub = sync.add_subcommand(
        "pipeline",
        "Download, decrypt and store the books of a run: per book check (HEAD, ETag against "
        "the database), request conversion if GRIN has no archive, download, decrypt, store "
        "the archive and its OCR text, record MARC metadata and every status change. Rerun "
        "to resume; unchanged books are skipped.\n\nExamples:\n"
        "  grin sync pipeline --run-name harvard_2024 --queue converted\n"
        "  grin sync pipeline --run-name harvard_2024 --queue converted --dry-run --limit 20\n"
        "  grin sync pipeline --run-name harvard_2024 --barcodes 32044012345678,HN1ABC\n"
        "  grin sync pipeline --run-name harvard_2024 --queue changed   # re-sync new ETags\n"
        "  grin sync pipeline --run-name harvard_2024 --queue converted --metrics-port 9464\n"
        "\nCtrl-C once: books in flight finish, then teardown runs (exit 0). Twice: books in "
        "flight are cancelled, the database is closed cleanly (exit 130).\nExit codes: 0 ok, "
        "1 some books or teardown failed, 2 usage or configuration error, 130 interrupted.");
    sub->add_option("--run-name", options->run_name, "Run to sync (output/<run>/)")->required();
    sub->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    sub->add_option("--queue", options->queues,
                    "Books to sync, repeatable, run in order: converted (GRIN's converted "
                    "list), previous, unconverted (request conversion), changed (re-check "
                    "synced books for a new ETag)")
        ->check(CLI::IsMember({"converted", "previous", "unconverted", "changed"}));
    sub->add_option("--barcodes", options->barcodes, "Comma-separated barcodes to sync");
    sub->add_option("--barcodes-file", options->barcodes_file,
                    "File with one barcode per line ('#' comments; '-' for standard input)");
    sub->add_option("--limit", options->limit, "At most this many books per queue");
    sub->add_flag("--force", options->run.force,
                  "Re-download even when the ETag is unchanged, and request conversion of "
                  "books on GRIN's failed list");
    sub->add_flag("--dry-run", options->run.dry_run,
                  "Read GRIN lists, HEAD archives and the database, print what would be done "
                  "per book, and write nothing anywhere");
    sub->add_flag("--skip-extract-ocr", options->run.skip_extract_ocr, "Do not store OCR text");
    sub->add_flag("--skip-extract-marc", options->run.skip_extract_marc,
                  "Do not record MARC metadata");
    sub->add_flag("--skip-csv-export", options->run.skip_csv_export,
                  "No books_export.csv at the end");
    sub->add_flag("--skip-database-backup", options->run.skip_database_backup,
                  "No books.db backup at the end");
    sub->add_flag("--skip-staging-cleanup", options->run.skip_staging_cleanup,
                  "Keep staging files (local storage writes no staging files)");
    sub->add_flag("--skip-compression-full", options->run.skip_compression_full,
                  "Store OCR text as <B>_ocr.jsonl instead of .jsonl.gz");
    sub->add_flag("--skip-compression-meta", options->run.skip_compression_meta,
                  "Store the CSV copy in the meta bucket uncompressed");
    sub->add_option("--task-check-concurrency", options->check,
                    "Concurrent HEAD checks (default: run config)")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--task-download-concurrency", options->download,
                    "Concurrent downloads (default: run config)")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--task-upload-concurrency", options->upload,
                    "Concurrent uploads (default: run config)")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--task-request-conversion-concurrency", options->conversion,
                    "Concurrent conversion requests (default 2)")
        ->check(CLI::Range(1, 100));
    sub->add_option("--max-in-flight", options->max_in_flight,
                    "Books admitted at once (default: check + download + upload + 10)")
        ->check(CLI::Range(1, 100000));
    sub->add_option("--max-sequential-failures", options->run.max_sequential_failures,
                    "Stop admitting books of a queue after this many failures in a row")
        ->capture_default_str();
    sub->add_option("--passphrase-file", options->passphrase_file,
                    "GPG passphrase file (default: gpg_passphrase.asc in the secrets dir)")
        ->check(CLI::ExistingFile);
    sub->add_flag("--insecure", options->run.insecure,
                  "Do not verify TLS certificates (never against real GRIN)");
    add_metrics_flags(*sub, options->metrics);
    sub->add_option("--read-timeout", options->read_timeout_seconds,
                    "Advanced: seconds a GRIN response may stay silent (before its headers or "
                    "between two pieces of its body) before the request counts as failed and "
                    "is retried (default: 60 for archives, 120 for lists)")
        ->check(CLI::Range(1, 3600))
        ->group("Advanced");
    commands.push_back({sub, [options] { return run_sync_pipeline(*options); }});
}

} // namespace grin::cli
