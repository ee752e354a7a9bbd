// `grin storage rm`: deletes a run's objects in one bucket role.
//
// Safety, because grin-transfer's `storage rm` emptied the whole bucket (every run's
// objects; grin-transfer-behaviour.md 8, item 12):
//   - the default scope is the run's own objects (storage_common.hpp); in local raw/,
//     which runs share, archives that another run under the same output root (same
//     storage directory) has stored - synced - are kept;
//   - deleting needs --yes, or "yes" typed at a terminal; without a terminal and without
//     --yes it refuses; --dry-run lists what would go and deletes nothing;
//   - --all-runs (the whole bucket) needs the bucket's name, typed at a terminal or given
//     as --confirm-bucket, even with --yes;
//   - it holds the run's session lock, so a sync of this run cannot store objects
//     meanwhile.
// Deletion streams: a page of up to 1,000 objects is listed, then removed (S3: one
// DeleteObjects request), then the next page. Passes repeat until one finds nothing left
// (a listing that is changed while it is read may skip entries).
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/run/session_lock.hpp>

#include <CLI/CLI.hpp>
#include <SQLiteCpp/SQLiteCpp.h>

#include <iostream>
#include <map>
#include <set>
#include <unistd.h>

#include "storage_common.hpp"

namespace grin::cli {

namespace {

using namespace storage_cli;

struct storage_rm_options {
    common_options common;
    std::string bucket;
    bool yes = false;
    bool dry_run = false;
    bool all_runs = false;
    std::string confirm_bucket;
};

// Which of `barcodes` a run has stored: a sync:completed row or a storage_path (the
// archive is where that run expects it).
struct stored_barcodes_query {
    std::vector<std::string> barcodes;
    std::set<std::string> operator()(SQLite::Database& connection) const {
        std::set<std::string> listed;
        constexpr std::size_t chunk = 500; // below SQLite's oldest bound-parameter limit
        for (std::size_t start = 0; start < barcodes.size(); start += chunk) {
            const std::size_t end = std::min(barcodes.size(), start + chunk);
            std::string sql = "SELECT barcode FROM books WHERE barcode IN (";
            for (std::size_t i = start; i < end; ++i)
                sql += i == start ? "?" : ",?";
            sql += ") AND (COALESCE(storage_path, '') != '' OR EXISTS (SELECT 1 FROM "
                   "book_status_history h WHERE h.barcode = books.barcode AND h.status_type "
                   "= 'sync' AND h.status_value = 'completed'))";
            SQLite::Statement query(connection, sql);
            for (std::size_t i = start; i < end; ++i)
                query.bind(static_cast<int>(i - start + 1), barcodes[i]);
            while (query.executeStep())
                listed.insert(query.getColumn(0).getString());
        }
        return listed;
    }
};

asio::awaitable<std::set<std::string>> stored_barcodes(db::database& database,
                                                       std::vector<std::string> barcodes) {
    stored_barcodes_query work{std::move(barcodes)};
    co_return co_await database.read("storage_shared_barcodes", std::move(work));
}

std::filesystem::path comparable(const std::filesystem::path& path) {
    std::error_code ignored;
    auto canonical = std::filesystem::weakly_canonical(std::filesystem::absolute(path), ignored);
    return ignored ? std::filesystem::absolute(path).lexically_normal() : canonical;
}

// The other runs under the output root whose local storage is this run's directory:
// their books' archives in raw/ are the same files.
class shared_archives {
public:
    explicit shared_archives(const run_storage& run) {
        const auto base = run.config().storage.config.find("base_path");
        if (base == run.config().storage.config.end())
            return;
        const auto ours = comparable(base->second);
        std::error_code failed;
        std::filesystem::directory_iterator entries(run.output_root(), failed);
        if (failed)
            throw fatal("cannot list " + run.output_root().string() +
                        " to find runs sharing the storage directory: " + failed.message());
        for (const auto& entry : entries) {
            std::error_code ignored;
            const auto config_file = entry.path() / "run_config.json";
            if (entry.path().filename() == run.run_dir().filename() ||
                !std::filesystem::exists(config_file, ignored))
                continue;
            // A config that cannot be read: its run might share the directory, so refuse
            // rather than guess (load_run_config's message names the file).
            run::run_config other = run::load_run_config(config_file);
            auto other_base = other.storage.config.find("base_path");
            if (other.storage.type != "local" || other_base == other.storage.config.end() ||
                comparable(other_base->second) != ours)
                continue;
            const auto books = entry.path() / "books.db";
            if (!std::filesystem::exists(books, ignored))
                continue;
            std::string name = entry.path().filename().string();
            runs_.push_back({name, std::make_unique<db::database>(
                                       db::database_params{.path = books, .read_only = true})});
        }
    }
    shared_archives(const shared_archives&) = delete;
    shared_archives& operator=(const shared_archives&) = delete;
    ~shared_archives() {
        for (auto& other : runs_)
            other.books->stop();
    }

    bool empty() const noexcept { return runs_.empty(); }

    // barcode -> the first other run that stored it, for the archives of `page`.
    asio::awaitable<std::map<std::string, std::string>>
    owners(const std::vector<storage::object_info>& page) {
        std::map<std::string, std::string> found;
        if (runs_.empty())
            co_return found;
        std::vector<std::string> barcodes;
        for (const auto& info : page) {
            std::string barcode = archive_barcode(info.key.key());
            if (!barcode.empty())
                barcodes.push_back(std::move(barcode));
        }
        for (auto& other : runs_) {
            auto asking = stored_barcodes(*other.books, barcodes);
            std::set<std::string> listed = co_await std::move(asking);
            for (const auto& barcode : listed)
                found.emplace(barcode, other.name);
        }
        co_return found;
    }

private:
    struct other_run {
        std::string name;
        std::unique_ptr<db::database> books;
    };
    std::vector<other_run> runs_;
};

struct rm_totals {
    std::uint64_t objects = 0; // to delete (preview) or deleted
    std::uint64_t bytes = 0;
    std::uint64_t kept = 0; // shared archives left in place
    std::uint64_t failed = 0;
    std::set<std::string> kept_for; // runs the kept archives belong to
};

// What goes and what stays in one page: moves the shared archives out of `page`.
asio::awaitable<std::vector<std::pair<storage::object_info, std::string>>>
split_shared(shared_archives* shared, std::vector<storage::object_info>& page) {
    std::vector<std::pair<storage::object_info, std::string>> kept;
    if (shared == nullptr || shared->empty())
        co_return kept;
    auto asking = shared->owners(page);
    std::map<std::string, std::string> owners = co_await std::move(asking);
    std::vector<storage::object_info> going;
    for (auto& info : page) {
        auto owner = owners.find(archive_barcode(info.key.key()));
        if (owner != owners.end())
            kept.emplace_back(std::move(info), owner->second);
        else
            going.push_back(std::move(info));
    }
    page = std::move(going);
    co_return kept;
}

// Lists what would be deleted: every key (dry run) or the first `show` of them.
asio::awaitable<rm_totals> preview(run_storage& run,
                                   storage::bucket_role role,
                                   scope what,
                                   shared_archives* shared,
                                   std::uint64_t show) {
    auto opening = run.objects(role, what);
    std::unique_ptr<object_source> source = co_await std::move(opening);
    rm_totals totals;
    for (;;) {
        auto paging = source->next_page();
        std::vector<storage::object_info> page = co_await std::move(paging);
        if (page.empty())
            break;
        auto splitting = split_shared(shared, page);
        auto kept = co_await std::move(splitting);
        for (const auto& [info, owner] : kept) {
            if (totals.kept < show)
                std::cout << "  keep    " << info.key.key() << "  (also in run " << owner << ")\n";
            ++totals.kept;
            totals.kept_for.insert(owner);
        }
        for (const auto& info : page) {
            if (totals.objects < show)
                std::cout << "  delete  " << info.key.key() << '\n';
            ++totals.objects;
            totals.bytes += info.size;
        }
        std::cout.flush();
    }
    if (totals.objects > show)
        std::cout << "  ... and " << grouped(totals.objects - show) << " more\n";
    co_return totals;
}

// One pass: list a page, remove it, repeat. Prints a line per batch and the failures.
asio::awaitable<rm_totals> delete_pass(run_storage& run,
                                       storage::bucket_role role,
                                       scope what,
                                       shared_archives* shared,
                                       std::uint64_t deleted_before,
                                       std::uint64_t& failures_shown) {
    auto opening = run.objects(role, what);
    std::unique_ptr<object_source> source = co_await std::move(opening);
    rm_totals totals;
    for (;;) {
        auto paging = source->next_page();
        std::vector<storage::object_info> page = co_await std::move(paging);
        if (page.empty())
            break;
        auto splitting = split_shared(shared, page);
        auto kept = co_await std::move(splitting);
        totals.kept += kept.size();
        for (const auto& entry : kept)
            totals.kept_for.insert(entry.second);
        if (page.empty())
            continue;
        std::map<std::string, std::uint64_t> sizes;
        std::vector<storage::object_key> keys;
        for (const auto& info : page) {
            sizes[info.key.key()] = info.size;
            keys.push_back(info.key);
        }
        auto removing = run.store().remove_many(std::move(keys));
        storage::remove_many_result result = co_await std::move(removing);
        std::uint64_t failed_bytes = 0;
        for (const auto& failure : result.failed) {
            failed_bytes += sizes[failure.key.key()];
            if (failures_shown++ < 20)
                std::cout << "  could not delete " << failure.key.key() << ": "
                          << log::redact(failure.message) << '\n';
        }
        std::uint64_t bytes = 0;
        for (const auto& [key, size] : sizes)
            bytes += size;
        totals.objects += result.removed;
        totals.bytes += bytes - failed_bytes;
        totals.failed += result.failed.size();
        std::cout << "  Deleted " << grouped(result.removed)
                  << (result.removed == 1 ? " object" : " objects") << " ("
                  << grouped(deleted_before + totals.objects) << " so far)" << std::endl;
        log::info("storage rm: deleted " + std::to_string(result.removed) + " objects from " +
                  run.bucket_label(role) + ", " + std::to_string(result.failed.size()) + " failed");
    }
    co_return totals;
}

std::string read_answer() {
    std::string line;
    if (!std::getline(std::cin, line))
        return {};
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    return line;
}

int run_storage_rm(const storage_rm_options& options) {
    log::set_console_level(log::level::warning);
    const storage::bucket_role role = parse_role(options.bucket);
    if (!options.confirm_bucket.empty() && !options.all_runs)
        throw fatal("--confirm-bucket goes with --all-runs only");
    run_storage run(options.common);
    const scope what = options.all_runs ? scope::bucket : scope::run;
    const std::string bucket = run.bucket_name(role);
    const bool terminal = ::isatty(STDIN_FILENO) == 1;

    // Refuse before doing anything when the confirmation cannot be had.
    bool ask = false;
    if (!options.dry_run) {
        if (options.all_runs) {
            if (!options.confirm_bucket.empty() && options.confirm_bucket != bucket)
                throw fatal("--confirm-bucket '" + options.confirm_bucket +
                            "' does not match the " + std::string(storage::to_string(role)) +
                            " bucket '" + bucket + "'; nothing was deleted");
            if (options.confirm_bucket.empty() && !terminal)
                throw fatal("--all-runs deletes every object in " + run.bucket_label(role) +
                            ", of every run; it needs the bucket name typed at a terminal, or "
                            "--confirm-bucket '" +
                            bucket + "' (--yes is not enough). Try --dry-run first.");
            ask = options.confirm_bucket.empty();
        } else if (!options.yes) {
            if (!terminal)
                throw fatal("refusing to delete without confirmation: standard input is not a "
                            "terminal. Pass --yes to delete the run's objects (see what would "
                            "go with --dry-run first)");
            ask = true;
        }
    }
    std::optional<run::session_lock> lock;
    if (!options.dry_run)
        lock.emplace(run.run_dir());

    std::unique_ptr<shared_archives> shared;
    if (what == scope::run && run.local() && role == storage::bucket_role::raw)
        shared = std::make_unique<shared_archives>(run);

    std::cout << "Run " << run.run_name() << ": " << run.store().describe() << '\n'
              << storage::to_string(role) << ": " << run.bucket_label(role) << " ("
              << run.scope_label(role, what) << ")" << std::endl;

    auto kept_note = [](const rm_totals& totals) {
        if (totals.kept == 0)
            return;
        std::string runs;
        for (const auto& name : totals.kept_for)
            runs += (runs.empty() ? "" : ", ") + name;
        std::cout << "Kept " << grouped(totals.kept)
                  << (totals.kept == 1 ? " archive" : " archives")
                  << " that other runs sharing this storage directory have synced (" << runs
                  << "): local raw/ is not run-scoped.\n";
    };

    if (options.dry_run) {
        rm_totals totals = run.run(preview(run, role, what, shared.get(), UINT64_MAX));
        std::cout << "DRY RUN: would delete " << grouped(totals.objects)
                  << (totals.objects == 1 ? " object" : " objects") << " ("
                  << human_size(totals.bytes) << ") from " << run.bucket_label(role)
                  << "; nothing was deleted.\n";
        kept_note(totals);
        std::cout.flush();
        return 0;
    }

    if (ask) {
        rm_totals totals = run.run(preview(run, role, what, shared.get(), 10));
        kept_note(totals);
        if (totals.objects == 0) {
            std::cout << "Nothing to delete." << std::endl;
            return 0;
        }
        const std::string expected = options.all_runs ? bucket : "yes";
        std::cout << "Delete " << grouped(totals.objects)
                  << (totals.objects == 1 ? " object" : " objects") << " ("
                  << human_size(totals.bytes) << ")" << (options.all_runs ? " of EVERY run" : "")
                  << " from " << run.bucket_label(role) << "? This cannot be undone.\n"
                  << (options.all_runs ? "Type the bucket name (" + bucket + ") to confirm: "
                                       : std::string("Type 'yes' to confirm: "))
                  << std::flush;
        if (read_answer() != expected) {
            std::cout << "Not confirmed; nothing was deleted." << std::endl;
            return 1;
        }
    }

    log::info("storage rm: run " + run.run_name() + ", " + run.bucket_label(role) + " (" +
              run.scope_label(role, what) + ")");
    rm_totals all;
    std::uint64_t failures_shown = 0;
    constexpr int max_passes = 10;
    int pass = 0;
    for (; pass < max_passes; ++pass) {
        rm_totals round =
            run.run(delete_pass(run, role, what, shared.get(), all.objects, failures_shown));
        all.objects += round.objects;
        all.bytes += round.bytes;
        all.failed += round.failed;
        all.kept = round.kept; // every pass sees the same shared archives
        all.kept_for.insert(round.kept_for.begin(), round.kept_for.end());
        if (round.objects == 0 || round.failed > 0)
            break;
    }
    std::cout << "Deleted " << grouped(all.objects) << (all.objects == 1 ? " object" : " objects")
              << " (" << human_size(all.bytes) << ") from " << run.bucket_label(role) << ".\n";
    kept_note(all);
    if (pass == max_passes)
        std::cout << "Objects kept appearing while deleting (is another process writing to "
                     "this storage?); run the command again once it has finished.\n";
    if (role != storage::bucket_role::meta && all.objects > 0)
        std::cout << "The run's database still records these books as synced: `grin sync "
                     "pipeline --force --barcodes ...` stores them again.\n";
    if (all.failed > 0) {
        std::cout << grouped(all.failed) << (all.failed == 1 ? " object" : " objects")
                  << " could not be deleted (see above)." << std::endl;
        return 1;
    }
    std::cout.flush();
    return 0;
}

} // namespace

void add_storage_rm(CLI::App& storage, command_list& commands) {
    auto options = std::make_shared<storage_rm_options>();
    auto* sub = storage.add_subcommand(
        "rm", "Delete a run's objects in one bucket role (raw, meta or full): only this run's "
              "unless --all-runs; asks first unless --yes; --dry-run to see what would go");
    sub->add_option("bucket", options->bucket, "Bucket role: raw, meta or full")->required();
    add_common_options(*sub, options->common);
    sub->add_flag("-y,--yes", options->yes,
                  "Delete the run's objects without asking (not enough for --all-runs)");
    sub->add_flag("--dry-run", options->dry_run, "List what would be deleted; delete nothing");
    sub->add_flag("--all-runs", options->all_runs,
                  "Delete EVERY object in the bucket (local: the role's directory), of every "
                  "run; asks for the bucket name");
    sub->add_option("--confirm-bucket", options->confirm_bucket,
                    "With --all-runs, for scripts: the bucket name (local: the directory) "
                    "instead of typing it");
    sub->footer(
        "What goes: only this run's objects - keys under <run>/ (S3, R2, MinIO; local meta/ "
        "and full/); in local storage's raw/ directory, which is not run-scoped, the "
        "archives of the books in this run's database, except those that another run under "
        "the same --output-root with the same storage directory has synced (those are kept "
        "and counted; runs under other output roots are not seen). "
        "grin-transfer's `storage rm` emptied the whole bucket, every run's objects; here "
        "that takes --all-runs and the bucket's name, typed at the terminal or given as "
        "--confirm-bucket, even with --yes.\n\n"
        "Confirmation: without --yes it shows the count and the first keys and asks for "
        "'yes' on the terminal; when standard input is not a terminal it refuses. --dry-run "
        "lists every object that would go and deletes nothing.\n\n"
        "S3 stores delete in DeleteObjects batches of 1,000 keys; local storage file by "
        "file. Holds the run's session lock (not with --dry-run), so a sync of this run "
        "cannot run meanwhile. The run's database is not changed: books whose archives or "
        "OCR text are deleted stay recorded as synced (`grin sync pipeline --force "
        "--barcodes ...` stores them again).\n\n"
        "Examples:\n"
        "  grin storage rm full --run-name test_run --dry-run\n"
        "  grin storage rm full --run-name test_run          # asks for 'yes'\n"
        "  grin storage rm raw --run-name test_run --yes\n"
        "  grin storage rm meta --run-name test_run --all-runs --confirm-bucket "
        "my-meta-bucket\n"
        "\nExit codes: 0 deleted (or nothing to delete, or dry run), 1 some objects "
        "could not be deleted or the confirmation was not given, 2 usage or "
        "configuration error (unknown run or bucket, no terminal and no --yes).");
    commands.push_back({sub, [options] { return run_storage_rm(*options); }});
}

} // namespace grin::cli
