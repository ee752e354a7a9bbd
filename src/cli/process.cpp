// `grin process`: the parent of `process request` and `process monitor` (GRIN's
// conversion queue, outside the sync pipeline).
#include <grin/cli/commands.hpp>

#include <CLI/CLI.hpp>

namespace grin::cli {

void add_process(CLI::App& app, command_list& commands) {
    auto* process = app.add_subcommand(
        "process", "Ask GRIN to convert books (request) and watch its conversion queue (monitor)");
    process->require_subcommand(1);
    add_process_request(*process, commands);
    add_process_monitor(*process, commands);
}

} // namespace grin::cli
