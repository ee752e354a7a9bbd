// `grin sync`: the parent of `sync pipeline` and `sync status`.
#include <grin/cli/commands.hpp>

#include <CLI/CLI.hpp>

namespace grin::cli {

void add_sync(CLI::App& app, command_list& commands) {
    auto* sync =
        app.add_subcommand("sync", "Synchronise archives from GRIN to storage, and report on it");
    sync->require_subcommand(1);
    add_sync_pipeline(*sync, commands);
    add_sync_status(*sync, commands);
}

} // namespace grin::cli
