#include <grin/archive/gzip_file.hpp>
#include <grin/core/progress.hpp>
#include <grin/net/run_on.hpp>
#include <grin/run/csv_export.hpp>
#include <grin/run/database_backup.hpp>
#include <grin/sync/failure_info.hpp>
#include <grin/sync/teardown.hpp>

namespace grin::sync {
namespace asio = boost::asio;

namespace {

asio::awaitable<std::string> export_csv(std::uint64_t& rows,
                                        db::database& database,
                                        storage::storage& store,
                                        const storage::key_layout& layout,
                                        asio::any_io_executor files,
                                        teardown_params params) {
    auto csv = params.run_dir / "books_export.csv";
    auto exporting = run::export_books_csv(database, csv);
    rows = co_await std::move(exporting);
    std::filesystem::path upload = csv;
    if (params.compress_meta) {
        upload = params.run_dir / "books_export.csv.gz";
        auto compress = [csv, upload] { archive::gzip_file(csv, upload); };
        co_await net::run_on(files, std::move(compress));
    }
    auto stamp = storage::key_timestamp(std::chrono::system_clock::now());
    auto latest = store.put_file(layout.csv_latest(params.compress_meta), upload, {});
    co_await std::move(latest);
    auto stamped = store.put_file(layout.csv_timestamped(stamp, params.compress_meta), upload, {});
    co_await std::move(stamped);
    if (params.compress_meta) {
        std::error_code ignored;
        std::filesystem::remove(upload, ignored);
    }
    co_return "exported " + with_thousands(rows) + " books to " + csv.string() + " and " +
        store.location(layout.csv_latest(params.compress_meta));
}

// The backup, gzipped, to the meta bucket as books_latest.db.gz and a timestamped copy.
asio::awaitable<std::string> upload_database(storage::storage& store,
                                             const storage::key_layout& layout,
                                             asio::any_io_executor files,
                                             std::filesystem::path backup) {
    auto packed = backup;
    packed += ".gz";
    auto compress = [backup, packed] { archive::gzip_file(backup, packed); };
    co_await net::run_on(files, std::move(compress));
    auto stamp = storage::key_timestamp(std::chrono::system_clock::now());
    std::exception_ptr failure;
    try {
        auto latest = store.put_file(layout.database_latest(), packed, {});
        co_await std::move(latest);
        auto stamped = store.put_file(layout.database_timestamped(stamp), packed, {});
        co_await std::move(stamped);
    } catch (...) {
        failure = std::current_exception();
    }
    std::error_code ignored;
    std::filesystem::remove(packed, ignored);
    if (failure)
        std::rethrow_exception(failure);
    co_return "database copy stored as " + store.location(layout.database_latest());
}

// Leftovers of interrupted object-store uploads; the directory itself stays.
std::uint64_t empty_directory(const std::filesystem::path& dir) {
    std::uint64_t removed = 0;
    std::error_code failed;
    for (std::filesystem::directory_iterator it(dir, failed), end; !failed && it != end;
         it.increment(failed)) {
        std::error_code ignored;
        removed += std::filesystem::remove_all(it->path(), ignored);
    }
    return removed;
}

} // namespace

asio::awaitable<void> store_run_config(storage::storage& store,
                                       const storage::key_layout& layout,
                                       std::filesystem::path config_file) {
    auto put = store.put_file(layout.run_config(), std::move(config_file), {});
    co_await std::move(put);
}

asio::awaitable<teardown_report> run_teardown(db::database& database,
                                              storage::storage& store,
                                              const storage::key_layout& layout,
                                              asio::any_io_executor files,
                                              teardown_params params) {
    teardown_report report;
    if (params.export_csv) {
        std::exception_ptr failure;
        try {
            auto step = export_csv(report.exported_rows, database, store, layout, files, params);
            report.done.push_back(co_await std::move(step));
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure)
            report.failures.emplace_back("csv_export", message_of(failure));
    }
    if (params.backup_database) {
        std::exception_ptr failure;
        try {
            auto backup =
                run::backup_database(database, params.run_dir / "backups", params.backups_kept);
            std::filesystem::path file = co_await std::move(backup);
            report.done.push_back("database backed up to " + file.string());
            auto upload = upload_database(store, layout, files, file);
            report.done.push_back(co_await std::move(upload));
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure)
            report.failures.emplace_back("database_backup", message_of(failure));
    }
    if (params.process_summary) {
        std::exception_ptr failure;
        try {
            auto summary = *params.process_summary;
            auto packed = summary;
            packed += ".gz";
            auto compress = [summary, packed] { archive::gzip_file(summary, packed); };
            co_await net::run_on(files, std::move(compress));
            auto put = store.put_file(layout.process_summary(), packed, {});
            co_await std::move(put);
            std::error_code ignored;
            std::filesystem::remove(packed, ignored);
            report.done.push_back("process summary stored as " +
                                  store.location(layout.process_summary()));
        } catch (...) {
            failure = std::current_exception();
        }
        if (failure)
            report.failures.emplace_back("process_summary", message_of(failure));
    }
    if (params.staging_dir) {
        auto dir = *params.staging_dir;
        auto clean = [dir] { return empty_directory(dir); };
        std::uint64_t removed = co_await net::run_on(files, std::move(clean));
        if (removed > 0)
            report.done.push_back("removed " + std::to_string(removed) +
                                  " leftover staging files from " + dir.string());
    }
    co_return report;
}

} // namespace grin::sync
