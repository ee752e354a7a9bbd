#include "storage_common.hpp"

#include <grin/api/barcode.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/storage/local_storage.hpp>
#include <grin/storage/make_storage.hpp>
#include <grin/storage/s3_storage.hpp>

#include <CLI/CLI.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdio>
#include <ctime>

namespace grin::cli::storage_cli {

namespace {

// One page of the run's barcodes after `after`, in barcode order.
struct barcode_page_query {
    std::string after;
    std::size_t limit;
    std::vector<std::string> operator()(SQLite::Database& connection) const {
        SQLite::Statement query(connection,
                                "SELECT barcode FROM books WHERE barcode > ? ORDER BY barcode "
                                "LIMIT ?");
        query.bind(1, after);
        query.bind(2, static_cast<std::int64_t>(limit));
        std::vector<std::string> barcodes;
        while (query.executeStep())
            barcodes.push_back(query.getColumn(0).getString());
        return barcodes;
    }
};

asio::awaitable<std::vector<std::string>>
read_barcode_page(db::database& database, std::string after, std::size_t limit) {
    barcode_page_query work{std::move(after), limit};
    co_return co_await database.read("storage_barcodes", std::move(work));
}

// A storage listing under a prefix.
class prefix_source final : public object_source {
public:
    explicit prefix_source(std::unique_ptr<storage::object_lister> lister)
        : lister_(std::move(lister)) {}
    asio::awaitable<std::vector<storage::object_info>> next_page() override {
        auto page = lister_->next_page();
        co_return co_await std::move(page);
    }

private:
    std::unique_ptr<storage::object_lister> lister_;
};

// Local raw/: the archives of the run's books, in barcode order, one database page and
// one stat per book at a time.
class run_archives_source final : public object_source {
public:
    run_archives_source(db::database& database,
                        storage::storage& store,
                        const storage::key_layout& layout,
                        std::size_t page_size)
        : database_(database), store_(store), layout_(layout), page_size_(page_size) {}

    asio::awaitable<std::vector<storage::object_info>> next_page() override {
        std::vector<storage::object_info> page;
        while (!done_ && page.empty()) {
            auto reading = read_barcode_page(database_, after_, page_size_);
            std::vector<std::string> barcodes = co_await std::move(reading);
            if (barcodes.empty()) {
                done_ = true;
                break;
            }
            after_ = barcodes.back();
            for (const auto& barcode : barcodes) {
                if (!api::is_valid_barcode(barcode)) {
                    log::warning("storage: skipping invalid barcode '" + barcode +
                                 "' in the run's database");
                    continue;
                }
                auto looking = store_.head(layout_.archive(barcode));
                std::optional<storage::object_info> info = co_await std::move(looking);
                if (info) {
                    info->meta.clear();
                    page.push_back(std::move(*info));
                }
            }
        }
        co_return page;
    }

private:
    db::database& database_;
    storage::storage& store_;
    const storage::key_layout& layout_;
    std::size_t page_size_;
    std::string after_;
    bool done_ = false;
};

} // namespace

void add_common_options(CLI::App& sub, common_options& options) {
    sub.add_option("--run-name", options.run_name, "Name of the run (output/<run>/)")->required();
    sub.add_option("--output-root", options.output_root, "Parent of run directories")
        ->capture_default_str();
    sub.add_option("--ca-file", options.ca_file,
                   "Extra CA certificate (PEM) to trust for an S3 endpoint with a self-signed "
                   "certificate (default: the run's, if collect was given one)")
        ->check(CLI::ExistingFile);
}

storage::bucket_role parse_role(const std::string& name) {
    auto role = storage::parse_bucket_role(name);
    if (!role)
        throw fatal("unknown bucket '" + name + "': use raw (archives), meta (CSV, database " +
                    "copies) or full (OCR text)");
    return *role;
}

run_storage::run_storage(const common_options& options) : output_root_(options.output_root) {
    const std::string name = run::sanitize_run_name(options.run_name);
    run_dir_ = run::run_directory(output_root_, name);
    const auto config_file = run_dir_ / "run_config.json";
    std::error_code ignored;
    if (!std::filesystem::exists(config_file, ignored))
        throw fatal("no run '" + name + "' in " + output_root_.string() + " (" +
                    config_file.string() +
                    " is missing): check --run-name and --output-root, "
                    "or run `grin collect --run-name " +
                    name + " ...` first");
    config_ = run::load_run_config(config_file);
    if (config_.run_name.empty())
        config_.run_name = name;

    if (!local()) {
        net::pool_params params;
        params.max_connections_per_host = 4;
        if (!options.ca_file.empty())
            params.tls.ca_file = std::filesystem::absolute(options.ca_file).string();
        else if (config_.ca_file)
            params.tls.ca_file = *config_.ca_file;
        params.tls.verify = true;
        pool_ = std::make_unique<net::https_pool>(io_.get_executor(), params);
    }
    const std::filesystem::path staging = config_.sync.staging_dir
                                              ? std::filesystem::path(*config_.sync.staging_dir)
                                              : run_dir_ / "staging";
    store_ = storage::make_storage(
        config_.storage,
        {.file_executor = files_.get_executor(), .pool = pool_.get(), .staging_dir = staging});
    try {
        layout_.emplace(
            storage::key_layout_params{.run_name = config_.run_name,
                                       .prefix = config_.storage.prefix,
                                       .kind = local() ? storage::layout_kind::local_directory
                                                       : storage::layout_kind::object_store});
    } catch (const error& failure) {
        throw fatal(std::string(failure.what()) + " (in " + config_file.string() + ")");
    }
}

run_storage::~run_storage() {
    if (database_)
        database_->stop();
    files_.join();
}

std::string run_storage::bucket_name(storage::bucket_role role) const {
    if (auto* s3 = dynamic_cast<const storage::s3_storage*>(store_.get()))
        return s3->bucket(role);
    if (auto* files = dynamic_cast<const storage::local_storage*>(store_.get()))
        return (files->params().base_path / std::string(storage::to_string(role))).string();
    return std::string(storage::to_string(role));
}

std::string run_storage::bucket_label(storage::bucket_role role) const {
    return (local() ? "directory " : "bucket ") + bucket_name(role);
}

std::string run_storage::scope_label(storage::bucket_role role, scope what) const {
    if (what == scope::bucket)
        return local() ? "whole directory, all runs" : "whole bucket, all runs";
    if (local() && role == storage::bucket_role::raw)
        return "archives of the run's books";
    return "keys under " + layout_->run_prefix();
}

asio::awaitable<std::unique_ptr<object_source>>
run_storage::objects(storage::bucket_role role, scope what, std::size_t page_size) {
    if (what == scope::run && local() && role == storage::bucket_role::raw) {
        db::database& books = database();
        co_return std::make_unique<run_archives_source>(books, *store_, *layout_, page_size);
    }
    storage::list_params params{.role = role,
                                .prefix = what == scope::run ? layout_->run_prefix() : "",
                                .page_size = page_size};
    auto listing = store_->list(std::move(params));
    std::unique_ptr<storage::object_lister> lister = co_await std::move(listing);
    co_return std::make_unique<prefix_source>(std::move(lister));
}

db::database& run_storage::database() {
    if (!database_) {
        // The run directory is where this command found the config; sqlite_db_path may be
        // relative to wherever collect ran.
        std::filesystem::path path = run_dir_ / "books.db";
        std::error_code ignored;
        if (!std::filesystem::exists(path, ignored) && !config_.sqlite_db_path.empty() &&
            std::filesystem::exists(config_.sqlite_db_path, ignored))
            path = config_.sqlite_db_path;
        if (!std::filesystem::exists(path, ignored))
            throw fatal("the run's database " + path.string() +
                        " is missing: it lists the run's books, whose archives are in the "
                        "shared raw/ directory of local storage");
        database_ =
            std::make_unique<db::database>(db::database_params{.path = path, .read_only = true});
    }
    return *database_;
}

std::string archive_barcode(const std::string& key) {
    auto slash = key.find('/');
    if (slash == std::string::npos)
        return {};
    std::string barcode = key.substr(0, slash);
    return key == barcode + "/" + barcode + ".tar.gz" ? barcode : std::string();
}

std::string grouped(std::uint64_t value) {
    std::string digits = std::to_string(value);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            text += ',';
        text += digits[i];
    }
    return text;
}

std::string human_size(std::uint64_t bytes) {
    static const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024)
        return std::to_string(bytes) + " B";
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < std::size(units)) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

std::string utc_time(std::chrono::system_clock::time_point when) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm utc{};
    ::gmtime_r(&seconds, &utc);
    char text[32];
    std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return std::string(text, n);
}

} // namespace grin::cli::storage_cli
