#include <grin/cli/app.hpp>
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

namespace grin::cli {

int run(std::vector<std::string> args) {
    CLI::App app{"grin: move a library's Google Books scans out of GRIN into storage it owns",
                 "grin"};
    app.set_version_flag("--version", std::string("grin ") + GRIN_VERSION);
    app.require_subcommand(1);
    app.fallthrough();
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "debug, info, warning, error or off")
        ->capture_default_str();

    command_list commands;
    register_commands(app, commands);

    try {
        std::vector<std::string> reversed(args.rbegin(), args.rend() - 1);
        app.parse(reversed);
    } catch (const CLI::ParseError& parse_error) {
        // --help and --version exit 0; any bad flag is a usage error: 2, like grin::fatal.
        return app.exit(parse_error) == 0 ? 0 : 2;
    }
    try {
        log::set_level(log::parse_level(log_level));
        for (auto& command : commands)
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
