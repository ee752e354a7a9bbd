#pragma once
// The end of every sync run that was not cancelled (grin-transfer-behaviour.md 4.10):
//   1. CSV export of every book to output/<run>/books_export.csv, and a copy (gzip unless
//      --skip-compression-meta) in the meta bucket as books_latest.csv[.gz] plus
//      timestamped/<ts>_books.csv[.gz];
//   2. a backup of books.db through SQLite's online backup API into output/<run>/backups/
//      (the newest 10 kept), and a gzip copy in the meta bucket as books_latest.db.gz plus
//      timestamped/<ts>_books_latest.db.gz (grin-transfer's final database upload);
//   3. process_summary.json, gzipped, to the meta bucket (process_summary.json.gz);
//   4. object stores: the staging directory emptied (unless --skip-staging-cleanup).
// Each step runs even when an earlier one failed; failures are collected, printed by the
// caller, and make the exit code non-zero.
#include <grin/db/database.hpp>
#include <grin/storage/key_layout.hpp>
#include <grin/storage/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace grin::sync {

struct teardown_params {
    std::filesystem::path run_dir;
    bool export_csv = true;
    bool compress_meta = true;
    bool backup_database = true;
    std::size_t backups_kept = 10;
    // process_summary.json to copy (gzip) into the meta bucket, when set.
    std::optional<std::filesystem::path> process_summary;
    // Emptied at the end when set (object stores stage archives there).
    std::optional<std::filesystem::path> staging_dir;
};

struct teardown_report {
    std::uint64_t exported_rows = 0;
    std::vector<std::string> done;                             // one line per step
    std::vector<std::pair<std::string, std::string>> failures; // step, error
};

// collect's start: run_config.json into the meta bucket (uncompressed, as grin-transfer).
boost::asio::awaitable<void> store_run_config(storage::storage& store,
                                              const storage::key_layout& layout,
                                              std::filesystem::path config_file);

boost::asio::awaitable<teardown_report> run_teardown(db::database& database,
                                                     storage::storage& store,
                                                     const storage::key_layout& layout,
                                                     boost::asio::any_io_executor files,
                                                     teardown_params params);

} // namespace grin::sync
