#include <grin/cli/app.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

namespace grin::cli {

std::unique_ptr<command_line> make_command_line() {
    auto line = std::make_unique<command_line>();
    line->app = std::make_unique<CLI::App>(
        "grin: move a library's Google Books scans out of GRIN into storage it owns.\n"
        "`grin help` lists the topics (workflow, storage, troubleshooting, ...).",
        "grin");
    CLI::App& app = *line->app;
    app.set_version_flag("--version", std::string("grin ") + GRIN_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    register_commands(app, line->commands);
    // Every command takes the logging flags, before or after its name.
    auto add_logging_flags = [&line](CLI::App& target) {
        target.add_option("--log-level", line->log_level, "debug, info, warning, error or off")
            ->check(CLI::IsMember({"debug", "info", "warning", "warn", "error", "off"},
                                  CLI::ignore_case))
            ->capture_default_str();
        target
            .add_option("--log-format", line->log_format,
                        "text, or json (one object per line) for log shippers")
            ->check(CLI::IsMember({"text", "json"}, CLI::ignore_case))
            ->capture_default_str();
    };
    add_logging_flags(app);
    for (auto& command : line->commands)
        add_logging_flags(*command.subcommand);
    return line;
}

int run(std::vector<std::string> args) {
    auto line = make_command_line();
    CLI::App& app = *line->app;
    try {
        std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
        app.parse(reversed);
    } catch (const CLI::ParseError& parse_error) {
        // CLI11 prints the message (or the help); every usage error exits 2, as documented,
        // whatever CLI11's own code for it (105 for a value outside a set, ...).
        int code = app.exit(parse_error);
        return code == 0 ? 0 : 2;
    }
    try {
        log::set_level(log::parse_level(line->log_level));
        log::set_format(log::parse_format(line->log_format));
        for (auto& command : line->commands)
            if (command.subcommand->parsed())
                return command.run();
        return 2;
    } catch (const fatal& stop) {
        std::cerr << "grin: " << log::redact(stop.what()) << '\n';
        return stop.exit_code();
    } catch (const grin::error& failure) {
        std::cerr << "grin: " << log::redact(failure.what()) << '\n';
        return 1;
    } catch (const std::exception& failure) {
        std::cerr << "grin: unexpected error: " << log::redact(failure.what()) << '\n';
        return 1;
    }
}

int run(int argc, char** argv) {
    return run(std::vector<std::string>(argv, argv + argc));
}

} // namespace grin::cli
