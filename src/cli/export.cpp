// `grin export`: every book of a run to CSV (grin-transfer's columns and labels) or JSONL,
// streamed from the database; read-only, so it is safe beside a running sync.
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/db/database.hpp>
#include <grin/run/csv_export.hpp>
#include <grin/run/process_summary.hpp>

#include <CLI/CLI.hpp>
#include <SQLiteCpp/SQLiteCpp.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "run_session.hpp"

namespace grin::cli {
namespace asio = boost::asio;

namespace {

struct export_options {
    std::string run_name;
    std::string output_root = "output";
    std::string output;
    std::string format = "csv";
};

struct count_books {
    std::uint64_t operator()(SQLite::Database& connection) const {
        return static_cast<std::uint64_t>(
            connection.execAndGet("SELECT COUNT(*) FROM books").getInt64());
    }
};

asio::awaitable<std::uint64_t>
export_all(db::database& database, std::filesystem::path target, std::string format) {
    count_books counting;
    std::uint64_t books = co_await database.read("count_books", counting);
    if (books == 0)
        throw fatal("the run's database has no books: run `grin collect` first", 1);
    if (format == "jsonl")
        co_return co_await run::export_books_jsonl(database, target);
    co_return co_await run::export_books_csv(database, target);
}

int run_export(const export_options& options) {
    auto run = open_existing_run(options.output_root, options.run_name);
    start_run_log(run, "export");
    std::filesystem::path target = options.output.empty()
                                       ? run.dir / ("books_export." + options.format)
                                       : std::filesystem::path(options.output);
    // One pass over the table: a large page cache or mmap would only grow the process
    // with the size of the database.
    db::database_params params{.path = run.config.sqlite_db_path, .read_only = true};
    params.cache_size_kib = 8 * 1024;
    params.mmap_size_bytes = 0;
    db::database database(params);
    const auto started = std::chrono::system_clock::now();
    asio::io_context io;
    auto exported =
        asio::co_spawn(io, export_all(database, target, options.format), asio::use_future);
    io.run();
    database.stop();
    std::uint64_t rows = exported.get();
    run::stage_run stage{.stage = "export",
                         .started = started,
                         .finished = std::chrono::system_clock::now(),
                         .counters = {{"rows", rows}}};
    stage.details_json =
        nlohmann::json{{"format", options.format}, {"file", target.string()}}.dump();
    run::record_stage_run_or_warn(run.dir / "process_summary.json", run.name, stage);
    log::info("export: wrote " + std::to_string(rows) + " rows to " + target.string());
    std::cout << "Wrote " << rows << " rows to " << target.string() << std::endl;
    return 0;
}

} // namespace

void add_export(CLI::App& app, command_list& commands) {
    auto options = std::make_shared<export_options>();
    auto* sub = app.add_subcommand(
        "export",
        "Write every book of a run to one file: CSV with grin-transfer's 54 columns and labels "
        "(the same file sync writes at the end), or JSONL with one object per book. Reads the "
        "database only, so it can run beside a sync; memory stays constant for any number of "
        "books; the file appears only when complete.\n\nExamples:\n"
        "  grin export --run-name harvard_2024\n"
        "  grin export --run-name harvard_2024 --format jsonl --output /data/harvard.jsonl\n"
        "\nExit codes: 0 written, 1 the run has no books or the file could not be written, 2 "
        "usage or configuration error.");
    sub->add_option("--run-name", options->run_name, "Run to export (output/<run>/)")->required();
    sub->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    sub->add_option("--output", options->output,
                    "File to write (default: output/<run>/books_export.csv or .jsonl)");
    sub->add_option("--format", options->format, "csv or jsonl")
        ->check(CLI::IsMember({"csv", "jsonl"}))
        ->capture_default_str();
    commands.push_back({sub, [options] { return run_export(*options); }});
}

} // namespace grin::cli
