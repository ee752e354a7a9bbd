#pragma once
// Shared by `grin storage ls|rm|cp` (src/cli/storage_*.cpp): the options all three take,
// the run's storage opened from output/<run>/run_config.json, and "the run's objects" of
// a bucket role as pages.
//
// What belongs to a run (key_layout.hpp): in object stores, and in local storage's meta/
// and full/, the keys under "<prefix>/<run>/". Local raw/ is not run-scoped (archives
// are raw/<B>/<B>.tar.gz, where grin-transfer decrypts them), so there the run's objects
// are the archives of the books in the run's database that exist.
//
// Threads: one io_context run by run() on the calling thread; blocking file work on a
// small pool of its own; the database (read-only, opened when first needed) on its actor.
#include <grin/db/database.hpp>
#include <grin/net/https_pool.hpp>
#include <grin/run/run_config.hpp>
#include <grin/storage/key_layout.hpp>
#include <grin/storage/storage.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_future.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace grin::cli::storage_cli {

namespace asio = boost::asio;

struct common_options {
    std::string run_name;
    std::string output_root = "output";
    std::string ca_file; // overrides run_config.json's ca_file
};

// --run-name, --output-root, --ca-file.
void add_common_options(CLI::App& sub, common_options& options);

// raw | meta | full; throws grin::fatal (exit 2) for anything else.
storage::bucket_role parse_role(const std::string& name);

enum class scope {
    run,    // the run's objects (see above)
    bucket, // every object of the bucket (local: of the role's directory), all runs
};

// Pages of objects; an empty page ends the listing. Memory: one page.
class object_source {
public:
    virtual ~object_source() = default;
    virtual asio::awaitable<std::vector<storage::object_info>> next_page() = 0;
};

class run_storage {
public:
    // Reads the run's config and builds its storage (the HTTPS pool only for S3 types).
    // Throws grin::fatal (exit 2) for a missing run or an unusable storage config.
    explicit run_storage(const common_options& options);
    run_storage(const run_storage&) = delete;
    run_storage& operator=(const run_storage&) = delete;
    ~run_storage();

    const run::run_config& config() const noexcept { return config_; }
    const std::string& run_name() const noexcept { return config_.run_name; }
    const std::filesystem::path& run_dir() const noexcept { return run_dir_; }
    const std::filesystem::path& output_root() const noexcept { return output_root_; }
    bool local() const noexcept { return config_.storage.type == "local"; }
    storage::storage& store() noexcept { return *store_; }
    const storage::key_layout& layout() const noexcept { return *layout_; }

    // S3: the bucket's name; local: the role's directory (base_path/raw ...).
    std::string bucket_name(storage::bucket_role role) const;
    // "bucket grin-raw" or "directory /data/grin/raw".
    std::string bucket_label(storage::bucket_role role) const;
    // "keys under r1/", "archives of the run's books", "whole bucket, all runs".
    std::string scope_label(storage::bucket_role role, scope what) const;

    asio::awaitable<std::unique_ptr<object_source>>
    objects(storage::bucket_role role, scope what, std::size_t page_size = 1000);

    // The run's database, opened read-only on first use. Throws grin::fatal when missing.
    db::database& database();

    // Runs `task` to completion on this object's io_context; rethrows its exception.
    template <class T>
    T run(asio::awaitable<T> task) {
        auto result = asio::co_spawn(io_, std::move(task), asio::use_future);
        io_.restart();
        io_.run();
        return result.get();
    }

private:
    std::filesystem::path output_root_;
    std::filesystem::path run_dir_;
    run::run_config config_;
    asio::io_context io_;
    asio::thread_pool files_{1};
    std::unique_ptr<net::https_pool> pool_;
    std::unique_ptr<storage::storage> store_;
    std::optional<storage::key_layout> layout_;
    std::unique_ptr<db::database> database_;
};

// The barcode of a local raw key "<B>/<B>.tar.gz"; empty for any other key.
std::string archive_barcode(const std::string& key);

// 123456789 -> "123,456,789".
std::string grouped(std::uint64_t value);
// 1536 -> "1.5 KiB" (1024 base, one decimal; bytes below 1 KiB).
std::string human_size(std::uint64_t bytes);
// "2025-01-31T12:00:00Z"
std::string utc_time(std::chrono::system_clock::time_point when);

} // namespace grin::cli::storage_cli
