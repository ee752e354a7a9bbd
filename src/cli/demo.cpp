#include <grin/cli/commands.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

namespace grin::cli {

void add_demo(CLI::App& app, command_list& commands) {
    auto* sub = app.add_subcommand("demo", "Run a short self-contained demonstration");
    commands.push_back({sub, [] {
                            std::cout << "demo: nothing yet\n";
                            return 0;
                        }});
}

} // namespace grin::cli
