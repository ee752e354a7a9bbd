#pragma once
// The `grin` command line: builds the CLI11 app with every subcommand and runs the one
// the user chose. Kept separate from main() so that tests can parse argument vectors and
// walk the command tree.
#include <grin/cli/commands.hpp>

#include <memory>
#include <string>
#include <vector>

namespace grin::cli {

// Every subcommand with its flags, plus the logging flags each one takes.
struct command_line {
    std::unique_ptr<CLI::App> app;
    command_list commands;
    std::string log_level = "info";
    std::string log_format = "text";
};
std::unique_ptr<command_line> make_command_line();

// Parses and runs; returns the process exit code. Errors a person must fix (bad flags,
// bad config) are printed to stderr with a hint; nothing is thrown out of here.
int run(int argc, char** argv);
int run(std::vector<std::string> args);

} // namespace grin::cli
