#pragma once
// The `grin` command line: builds the CLI11 app with every subcommand and runs the one
// the user chose. Kept separate from main() so that tests can parse argument vectors.
#include <string>
#include <vector>

namespace grin::cli {

// Parses and runs; returns the process exit code. Errors a person must fix (bad flags,
// bad config) are printed to stderr with a hint; nothing is thrown out of here.
int run(int argc, char** argv);
int run(std::vector<std::string> args);

} // namespace grin::cli
