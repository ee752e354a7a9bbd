// `grin db check`: a read-only health report of a run's books.db (db/check.hpp).
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/db/check.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "run_session.hpp"

namespace grin::cli {

namespace {

struct db_check_options {
    std::string run_name;
    std::string output_root = "output";
    std::string database;
    std::string format = "text";
};

int run_db_check(const db_check_options& options) {
    if (options.run_name.empty() == options.database.empty())
        throw fatal("give either --run-name or --database, not both and not neither");
    std::filesystem::path path = options.database;
    if (!options.run_name.empty())
        path = open_existing_run(options.output_root, options.run_name).config.sqlite_db_path;
    auto report = db::check_database(path);
    if (options.format == "json")
        std::cout << db::to_json(report).dump(2) << std::endl;
    else
        std::cout << db::to_text(report) << std::flush;
    return report.ok ? 0 : 1;
}

} // namespace

void add_db(CLI::App& app, command_list& commands) {
    auto* db = app.add_subcommand("db", "Inspect a run's database");
    db->require_subcommand(1);
    auto options = std::make_shared<db_check_options>();
    auto* sub = db->add_subcommand(
        "check",
        "Read-only health report of output/<run>/books.db: SQLite integrity check, page size "
        "and count, free pages, WAL size, rows of books and book_status_history, and the "
        "largest tables and indexes. Safe beside a running sync: it writes nothing.");
    sub->footer("Examples:\n"
                "  grin db check --run-name harvard_2024\n"
                "  grin db check --run-name harvard_2024 --format json\n"
                "  grin db check --database /backups/books_2024-06-01.db\n"
                "\nExit codes: 0 ok, 1 integrity problem (or not a database), 2 usage error "
                "or missing run/database.");
    sub->add_option("--run-name", options->run_name, "Run whose database to check");
    sub->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    sub->add_option("--database", options->database,
                    "Check this database file instead (e.g. a backup copy)");
    sub->add_option("--format", options->format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    commands.push_back({sub, [options] { return run_db_check(*options); }});
}

} // namespace grin::cli
