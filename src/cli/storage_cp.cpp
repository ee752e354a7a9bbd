// `grin storage cp`: copies one object of a run out of storage into a local directory
// (streamed to a temporary file there, renamed into place when complete).
#include <grin/api/barcode.hpp>
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

#include "storage_common.hpp"

namespace grin::cli {

namespace {

using namespace storage_cli;

struct storage_cp_options {
    common_options common;
    std::string bucket;
    std::string key;
    std::string directory;
    bool force = false;
};

// The keys KEY may mean, most specific first: a full key under the run's prefix as
// given; "<B>.tar.gz" in raw as the run's archive of B (wherever the layout keeps it);
// KEY under the run's prefix; KEY as a full key.
std::vector<std::string>
candidate_keys(const run_storage& run, storage::bucket_role role, const std::string& key) {
    std::vector<std::string> keys;
    auto add = [&keys](std::string candidate) {
        if (storage::is_valid_key(candidate) &&
            std::find(keys.begin(), keys.end(), candidate) == keys.end())
            keys.push_back(std::move(candidate));
    };
    const std::string run_prefix = run.layout().run_prefix();
    if (key.starts_with(run_prefix)) {
        add(key);
        return keys;
    }
    const std::string archive_suffix = ".tar.gz";
    if (role == storage::bucket_role::raw && key.ends_with(archive_suffix)) {
        std::string barcode = key.substr(0, key.size() - archive_suffix.size());
        if (api::is_valid_barcode(barcode))
            add(run.layout().archive(barcode).key());
    }
    if (!(run.local() && role == storage::bucket_role::raw))
        add(run_prefix + key);
    add(key);
    return keys;
}

asio::awaitable<std::optional<storage::object_info>>
find_object(storage::storage& store, storage::bucket_role role, std::vector<std::string> keys) {
    for (const auto& key : keys) {
        auto looking = store.head(storage::object_key(role, key));
        std::optional<storage::object_info> info = co_await std::move(looking);
        if (info)
            co_return info;
    }
    co_return std::nullopt;
}

asio::awaitable<void>
fetch(storage::storage& store, storage::object_key key, std::filesystem::path target) {
    auto copying = store.get_file(std::move(key), std::move(target));
    co_await std::move(copying);
}

int run_storage_cp(const storage_cp_options& options) {
    log::set_console_level(log::level::warning);
    const storage::bucket_role role = parse_role(options.bucket);
    run_storage run(options.common);

    std::vector<std::string> keys = candidate_keys(run, role, options.key);
    if (keys.empty())
        throw fatal("'" + options.key +
                    "' is not a valid object key (relative, '/'-separated, no empty, '.' or "
                    "'..' segments)");
    auto found = run.run(find_object(run.store(), role, keys));
    if (!found) {
        std::string looked;
        for (const auto& key : keys)
            looked += (looked.empty() ? "" : ", ") + key;
        throw fatal("no object '" + options.key + "' in " + run.bucket_label(role) +
                    " (looked for " + looked +
                    "); list the run's objects with `grin storage ls "
                    "--run-name " +
                    run.run_name() + " --bucket " + std::string(storage::to_string(role)) + "`");
    }

    const std::string& key = found->key.key();
    const std::filesystem::path target =
        std::filesystem::path(options.directory) / std::filesystem::path(key).filename();
    std::error_code ignored;
    if (std::filesystem::exists(target, ignored) && !options.force)
        throw fatal(target.string() + " already exists; pass --force to overwrite it");
    if (std::filesystem::exists(options.directory, ignored) &&
        !std::filesystem::is_directory(options.directory, ignored))
        throw fatal(options.directory + " is not a directory");

    run.run(fetch(run.store(), found->key, target));
    std::cout << "Copied " << storage::to_string(role) << ":" << key << " (" << grouped(found->size)
              << " bytes) from " << run.bucket_label(role) << " to " << target.string()
              << std::endl;
    return 0;
}

} // namespace

void add_storage_cp(CLI::App& storage, command_list& commands) {
    auto options = std::make_shared<storage_cp_options>();
    auto* sub = storage.add_subcommand(
        "cp", "Copy one object of a run from storage into a local directory (DIR/<file name>; "
              "DIR is created if missing)");
    sub->add_option("bucket", options->bucket, "Bucket role: raw, meta or full")->required();
    sub->add_option("key", options->key,
                    "The object's key: relative to the run's prefix (B.tar.gz, B_ocr.jsonl.gz, "
                    "books_latest.csv.gz) or a full key as `grin storage ls` prints it")
        ->required();
    sub->add_option("dir", options->directory, "Local directory to copy into")->required();
    add_common_options(*sub, options->common);
    sub->add_flag("--force", options->force, "Overwrite DIR/<file name> if it exists");
    sub->footer("Examples:\n"
                "  grin storage cp raw 32044012345678.tar.gz ./books --run-name harvard_2024\n"
                "  grin storage cp full 32044012345678_ocr.jsonl.gz . --run-name harvard_2024\n"
                "  grin storage cp meta harvard_2024/books_latest.db.gz /tmp "
                "--run-name harvard_2024\n"
                "\nExit codes: 0 copied, 1 storage error, 2 usage or configuration error "
                "(unknown run, bucket or object, target exists).");
    commands.push_back({sub, [options] { return run_storage_cp(*options); }});
}

} // namespace grin::cli
