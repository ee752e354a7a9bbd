// `grin storage`: the parent of `storage ls`, `storage rm` and `storage cp`, which look at
// and manage what a run stored (local directory or S3-compatible buckets).
#include <grin/cli/commands.hpp>

#include <CLI/CLI.hpp>

namespace grin::cli {

void add_storage(CLI::App& app, command_list& commands) {
    auto* storage = app.add_subcommand(
        "storage", "List, fetch or delete a run's objects in its storage (run_config.json says "
                   "where: local directory, S3, R2 or MinIO)");
    storage->require_subcommand(1);
    add_storage_ls(*storage, commands);
    add_storage_rm(*storage, commands);
    add_storage_cp(*storage, commands);
}

} // namespace grin::cli
