// `grin reports view`: what every command did in a run, from output/<run>/process_summary.json.
#include <grin/cli/commands.hpp>
#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/time.hpp>
#include <grin/run/run_config.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <map>

namespace grin::cli {

namespace {

using nlohmann::json;

struct reports_view_options {
    std::string run_name;
    std::string output_root = "output";
    bool raw = false;
};

// Which counters of a stage count books (items), and which of those failed. Stages not
// listed count every counter except volumes (bytes, pages, requests, retries).
struct stage_items {
    std::vector<std::string> items;
    std::vector<std::string> failures;
};

const std::map<std::string, stage_items>& known_stages() {
    static const std::map<std::string, stage_items> stages = {
        {"collect", {{"collected", "invalid_rows"}, {"invalid_rows"}}},
        {"sync",
         {{"synced", "skipped", "conversion_requested", "conversion_failure_tracked", "failed"},
          {"failed"}}},
        {"enrich", {{"enriched", "not_found", "failed"}, {"failed"}}},
        {"process_request",
         {{"requested", "already_in_process", "already_available", "unavailable", "limit_reached",
           "failed"},
          {"failed"}}},
        {"process_monitor", {{"polls"}, {"failed_polls"}}},
        {"export", {{"rows"}, {}}},
    };
    return stages;
}

bool is_volume_counter(const std::string& name) {
    for (const char* volume : {"bytes", "pages", "requests", "retries", "written", "polls"})
        if (name.find(volume) != std::string::npos)
            return true;
    return false;
}

std::uint64_t counter(const json& counters, const std::string& name) {
    auto found = counters.find(name);
    return found != counters.end() && found->is_number_unsigned() ? found->get<std::uint64_t>() : 0;
}

struct stage_totals {
    std::uint64_t items = 0;
    std::uint64_t failed = 0;
};

stage_totals totals_of(const std::string& stage, const json& counters) {
    stage_totals totals;
    if (!counters.is_object())
        return totals;
    auto known = known_stages().find(stage);
    if (known != known_stages().end()) {
        for (const auto& name : known->second.items)
            totals.items += counter(counters, name);
        for (const auto& name : known->second.failures)
            totals.failed += counter(counters, name);
        return totals;
    }
    for (const auto& [name, value] : counters.items()) {
        if (!value.is_number_unsigned() || is_volume_counter(name))
            continue;
        totals.items += value.get<std::uint64_t>();
        if (name == "failed")
            totals.failed += value.get<std::uint64_t>();
    }
    return totals;
}

std::string format_seconds(double seconds) {
    return grin::format_duration(std::chrono::duration<double>(seconds));
}

std::string with_commas(std::uint64_t value) {
    std::string digits = std::to_string(value);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
        digits.insert(static_cast<std::size_t>(i), ",");
    return digits;
}

bool process_alive(int pid) {
    return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

std::string status_line(const json& summary) {
    if (summary.contains("active") && summary["active"].is_object()) {
        const json& active = summary["active"];
        std::string stage = active.value("stage", "?");
        int pid = active.value("pid", 0);
        if (process_alive(pid))
            return "Active: " + stage + " (since " + active.value("since", "?") + ", pid " +
                   std::to_string(pid) + ")";
        return "Interrupted: " + stage + " (started " + active.value("since", "?") +
               "; its process is gone; rerun the command to continue)";
    }
    std::string last;
    std::string last_end;
    if (summary.contains("stages") && summary["stages"].is_object())
        for (const auto& [name, stage] : summary["stages"].items())
            if (stage.is_object() && stage.value("last_end_time", "") >= last_end) {
                last_end = stage.value("last_end_time", "");
                last = name;
            }
    if (last.empty())
        return "No stages run yet";
    return "Last stage: " + last + " (finished " + last_end + ")";
}

void print_report(const std::string& run_name, const json& summary) {
    std::uint64_t items = 0, failed = 0, errors = 0;
    std::vector<std::string> stage_lines;
    if (summary.contains("stages") && summary["stages"].is_object()) {
        for (const auto& [name, stage] : summary["stages"].items()) {
            if (!stage.is_object())
                continue;
            auto totals = totals_of(name, stage.value("counters", json::object()));
            items += totals.items;
            failed += totals.failed;
            json last_run = stage.value("last_run", json::object());
            auto stage_errors = last_run.value("errors", json::array());
            errors += stage_errors.size();
            std::string line = std::string("  ") + (totals.failed ? "\u26a0 " : "\u2713 ") + name +
                               ": " + with_commas(totals.items) + " items";
            if (totals.failed)
                line += ", " + with_commas(totals.failed) + " failed";
            int runs = stage.value("runs", 0);
            line += " (" + std::to_string(runs) + (runs == 1 ? " run, " : " runs, ") +
                    format_seconds(stage.value("total_duration_seconds", 0.0)) + ")";
            for (const auto& error : stage_errors)
                if (error.is_string())
                    line += "\n      " + error.get<std::string>();
            stage_lines.push_back(line);
        }
    }
    double elapsed = 0;
    if (auto start = parse_iso8601_utc(summary.value("run_start_time", "")))
        elapsed = std::chrono::duration<double>(now_utc() - *start).count();
    std::cout << "Run: " << summary.value("run_name", run_name) << '\n'
              << "Status: " << status_line(summary) << '\n'
              << "Total Items Processed: " << with_commas(items) << '\n';
    char rate[32];
    std::snprintf(rate, sizeof rate, "%.1f%%",
                  items ? 100.0 * static_cast<double>(items - failed) / static_cast<double>(items)
                        : 100.0);
    std::cout << "Success Rate: " << rate << '\n'
              << "Total Duration: " << format_seconds(elapsed) << " since the run started\n"
              << "Errors: " << errors << '\n';
    if (!stage_lines.empty()) {
        std::cout << "Stages:\n";
        for (const auto& line : stage_lines)
            std::cout << line << '\n';
    }
    std::cout.flush();
}

int run_reports_view(const reports_view_options& options) {
    auto run_name = run::sanitize_run_name(options.run_name);
    auto file = run::run_directory(options.output_root, run_name) / "process_summary.json";
    std::error_code missing;
    if (!std::filesystem::exists(file, missing)) {
        std::cerr << "grin: no process summary at " << file.string()
                  << ": no command has finished in run '" << run_name
                  << "' yet (it is written by collect, sync, enrich, process and export)\n";
        return 1;
    }
    json summary = json::parse(read_file(file), nullptr, false);
    if (summary.is_discarded() || !summary.is_object())
        throw fatal("cannot parse " + file.string() +
                        " (the next command that records a stage keeps it aside as .corrupt)",
                    1);
    if (options.raw)
        std::cout << summary.dump(2) << std::endl;
    else
        print_report(run_name, summary);
    return 0;
}

} // namespace

void add_reports(CLI::App& app, command_list& commands) {
    auto* reports = app.add_subcommand("reports", "Reports on a run");
    reports->require_subcommand(1);
    auto options = std::make_shared<reports_view_options>();
    auto* view = reports->add_subcommand(
        "view",
        "Show what every command did in a run: stages (collect, sync, enrich, process, export) "
        "with their book counts, failures, durations and the most frequent errors, and whether "
        "one is running now. Reads output/<run>/process_summary.json only.\n\nExamples:\n"
        "  grin reports view --run-name harvard_2024\n"
        "  grin reports view --run-name harvard_2024 --raw | jq .stages.sync\n"
        "\nExit codes: 0 shown, 1 no summary yet, 2 usage error.");
    view->add_option("--run-name", options->run_name, "Name of the run")->required();
    view->add_option("--output-root", options->output_root, "Parent of run directories")
        ->capture_default_str();
    view->add_flag("--raw", options->raw, "Print the JSON file as it is (indented)");
    commands.push_back({view, [options] { return run_reports_view(*options); }});
}

} // namespace grin::cli
