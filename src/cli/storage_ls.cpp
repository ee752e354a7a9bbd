// `grin storage ls`: the objects a run stored, per bucket role, streamed page by page
// (memory stays at one page however many objects there are). Reads only.
#include <grin/cli/commands.hpp>
#include <grin/core/log.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "storage_common.hpp"

namespace grin::cli {

namespace {

using namespace storage_cli;

struct storage_ls_options {
    common_options common;
    bool long_format = false;
    std::string bucket;
    bool all = false;
};

struct listing_totals {
    std::uint64_t objects = 0;
    std::uint64_t bytes = 0;
};

// "  <size> <time>  <key>" (-l) or "  <key>".
void print_object(const storage::object_info& info, bool long_format) {
    if (long_format) {
        char size[32];
        std::snprintf(size, sizeof size, "%14llu", static_cast<unsigned long long>(info.size));
        std::cout << "  " << size << "  " << utc_time(info.last_modified) << "  " << info.key.key()
                  << '\n';
    } else {
        std::cout << "  " << info.key.key() << '\n';
    }
}

asio::awaitable<listing_totals>
list_role(run_storage& run, storage::bucket_role role, scope what, bool long_format) {
    auto opening = run.objects(role, what);
    std::unique_ptr<object_source> source = co_await std::move(opening);
    listing_totals totals;
    for (;;) {
        auto paging = source->next_page();
        std::vector<storage::object_info> page = co_await std::move(paging);
        if (page.empty())
            break;
        for (const auto& info : page) {
            print_object(info, long_format);
            ++totals.objects;
            totals.bytes += info.size;
        }
        std::cout.flush();
    }
    co_return totals;
}

int run_storage_ls(const storage_ls_options& options) {
    log::set_console_level(log::level::warning);
    std::vector<storage::bucket_role> roles = {
        storage::bucket_role::raw, storage::bucket_role::meta, storage::bucket_role::full};
    if (!options.bucket.empty())
        roles = {parse_role(options.bucket)};
    run_storage run(options.common);
    const scope what = options.all ? scope::bucket : scope::run;

    std::cout << "Run " << run.run_name() << ": " << run.store().describe() << '\n';
    for (auto role : roles) {
        std::cout << storage::to_string(role) << ": " << run.bucket_label(role) << " ("
                  << run.scope_label(role, what) << ")\n";
        std::cout.flush();
        listing_totals totals = run.run(list_role(run, role, what, options.long_format));
        std::cout << "  Total: " << grouped(totals.objects)
                  << (totals.objects == 1 ? " object" : " objects");
        if (options.long_format)
            std::cout << ", " << grouped(totals.bytes) << " bytes (" << human_size(totals.bytes)
                      << ")";
        std::cout << std::endl;
    }
    return 0;
}

} // namespace

void add_storage_ls(CLI::App& storage, command_list& commands) {
    auto options = std::make_shared<storage_ls_options>();
    auto* sub = storage.add_subcommand(
        "ls", "List the objects a run stored: by default only the run's own (keys under "
              "<run>/; for local storage's raw/ directory, which is not run-scoped, the "
              "archives of the books in the run's database), in every bucket role");
    add_common_options(*sub, options->common);
    sub->add_flag("-l,--long", options->long_format,
                  "Show size in bytes and last-modified time (UTC) per object, and the total");
    sub->add_option("--bucket,--bucket-name", options->bucket,
                    "Only this bucket role: raw (archives), meta (CSV, database copies) or full "
                    "(OCR text)");
    sub->add_flag("--all", options->all,
                  "List the whole bucket(s), every run's objects, not only this run's");
    sub->footer(
        "Output: a header per bucket role, one line per object (its key in the bucket, as "
        "`grin storage cp` takes it), then a total. Objects are listed as they arrive, in "
        "pages of 1,000.\n\nExamples:\n"
        "  grin storage ls --run-name harvard_2024\n"
        "  grin storage ls --run-name harvard_2024 --bucket raw -l\n"
        "  grin storage ls --run-name harvard_2024 --bucket meta --all   # every run's\n"
        "\nExit codes: 0 ok, 1 storage error, 2 usage or configuration error (unknown run or "
        "bucket).");
    commands.push_back({sub, [options] { return run_storage_ls(*options); }});
}

} // namespace grin::cli
