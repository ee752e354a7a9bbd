// `grin sync status`: where a run stands, from output/<run>/books.db alone. Safe to run
// beside a sync in progress or on a copy of a crashed run: it never contacts GRIN, takes
// no session lock and writes nothing in the run directory (the database is opened
// read-only; see db::database_params::read_only).
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/db/database.hpp>
#include <grin/db/status_summary.hpp>
#include <grin/run/run_config.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace grin::cli {
namespace asio = boost::asio;

namespace {

struct sync_status_options {
    std::string run_name;
    std::string output_root = "output";
    std::size_t top = 5;
    std::string format = "text";
};

// 36048 -> "36,048", as the progress line prints counts.
std::string grouped(std::int64_t value) {
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0)
            text += ',';
        text += digits[i];
    }
    return value < 0 ? "-" + text : text;
}

std::string percent_of(std::int64_t part, std::int64_t whole) {
    if (whole <= 0)
        return "";
    char text[32];
    std::snprintf(text, sizeof text, " (%.1f%%)",
                  100.0 * static_cast<double>(part) / static_cast<double>(whole));
    return text;
}

void print_text(const std::string& run_name,
                const std::filesystem::path& database_path,
                const db::sync_status_summary& summary) {
    const auto total = summary.total_books;
    auto line = [](const std::string& label, std::int64_t value, const std::string& note = "") {
        std::string padded = label + ":";
        padded.resize(std::max<std::size_t>(padded.size() + 1, 27), ' ');
        std::cout << "  " << padded << grouped(value) << note << '\n';
    };
    std::cout << "Run " << run_name << " (" << database_path.string() << ")\n";
    line("Books", total);
    line("Synced", summary.synced, percent_of(summary.synced, total));
    line("Failed", summary.failed, percent_of(summary.failed, total));
    line("Skipped", summary.skipped);
    line("Conversion pending", summary.conversion_pending);
    line("Conversion limit reached", summary.conversion_limit_reached);
    line("Conversion unavailable", summary.conversion_unavailable);
    line("Conversion failed", summary.conversion_failed);
    line("Never attempted", summary.never_attempted, percent_of(summary.never_attempted, total));
    if (!summary.latest_sync.empty()) {
        std::cout << "Latest sync status:\n";
        for (const auto& count : summary.latest_sync)
            line(count.status, count.books);
    }
    if (!summary.top_failure_reasons.empty()) {
        std::cout << "Top failure reasons:\n";
        for (const auto& reason : summary.top_failure_reasons)
            std::cout << "  " << grouped(reason.books) << "  " << reason.status << ": "
                      << (reason.reason.empty() ? "(no reason recorded)" : reason.reason) << '\n';
    }
}

void print_json(const std::string& run_name,
                const std::filesystem::path& database_path,
                const db::sync_status_summary& summary) {
    nlohmann::ordered_json out;
    out["run_name"] = run_name;
    out["database"] = database_path.string();
    out["total_books"] = summary.total_books;
    out["synced"] = summary.synced;
    out["failed"] = summary.failed;
    out["skipped"] = summary.skipped;
    out["conversion"] = {{"pending", summary.conversion_pending},
                         {"limit_reached", summary.conversion_limit_reached},
                         {"unavailable", summary.conversion_unavailable},
                         {"conversion_failed", summary.conversion_failed}};
    out["never_attempted"] = summary.never_attempted;
    // Arrays, not objects: the order (most books first) is part of the answer.
    out["latest_sync_status"] = nlohmann::ordered_json::array();
    for (const auto& count : summary.latest_sync)
        out["latest_sync_status"].push_back({{"status", count.status}, {"books", count.books}});
    out["top_failure_reasons"] = nlohmann::ordered_json::array();
    for (const auto& reason : summary.top_failure_reasons) {
        nlohmann::ordered_json entry = {{"status", reason.status}, {"reason", nullptr}};
        if (!reason.reason.empty())
            entry["reason"] = reason.reason;
        entry["books"] = reason.books;
        out["top_failure_reasons"].push_back(std::move(entry));
    }
    // Error texts come from GRIN and storage: invalid UTF-8 must not stop the report.
    std::cout << out.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
              << std::endl;
}

struct summarize_work {
    std::size_t top;
    db::sync_status_summary operator()(SQLite::Database& connection) const {
        return db::summarize_sync_status(connection, top);
    }
};

asio::awaitable<db::sync_status_summary> read_summary(db::database& database, std::size_t top) {
    summarize_work work{top};
    co_return co_await database.read("sync_status", std::move(work));
}

int run_sync_status(const sync_status_options& options) {
    auto run_name = run::sanitize_run_name(options.run_name);
    auto run_dir = run::run_directory(options.output_root, run_name);
    std::error_code ignored;
    if (!std::filesystem::is_directory(run_dir, ignored))
        throw fatal("no run directory " + run_dir.string() + ": run `grin collect --run-name " +
                    run_name + "` first, or give --output-root the directory that holds " +
                    run_name + "/");
    db::database_params params;
    params.path = run_dir / "books.db";
    params.read_only = true;
    db::database database(params);

    asio::io_context io;
    auto result = asio::co_spawn(io, read_summary(database, options.top), asio::use_future);
    io.run();
    database.stop();
    auto summary = result.get();

    if (options.format == "json")
        print_json(run_name, params.path, summary);
    else
        print_text(run_name, params.path, summary);
    return 0;
}

} // namespace

void add_sync_status(CLI::App& sync, command_list& commands) {
    auto options = std::make_shared<sync_status_options>();
    auto* sub = sync.add_subcommand(
        "status",
        "Count a run's books by sync and conversion status, from output/<run>/books.db only "
        "(no GRIN access; nothing is written, so it is safe beside a running sync)");
    sub->footer("Examples:\n  grin sync status --run-name harvard_2024\n"
                "  grin sync status --run-name harvard_2024 --format json | jq .synced\n"
                "\nExit codes: 0 shown, 2 unknown run or usage error.");
    sub->add_option("--run-name", options->run_name, "Name of the run")->required();
    sub->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    sub->add_option("--top", options->top, "How many failure reasons to list")
        ->capture_default_str();
    sub->add_option("--format", options->format, "text or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    commands.push_back({sub, [options] { return run_sync_status(*options); }});
}

} // namespace grin::cli
