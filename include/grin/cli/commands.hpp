#pragma once
// Registry of subcommands: each lives in its own src/cli/<name>.cpp with an options
// struct, an add_<name>() that declares its flags, and a run function.
#include <functional>
#include <vector>

namespace CLI {
class App;
}

namespace grin::cli {

struct command {
    CLI::App* subcommand = nullptr;
    std::function<int()> run; // returns the exit code
};
using command_list = std::vector<command>;

void register_commands(CLI::App& app, command_list& commands);

// One per subcommand file.
void add_demo(CLI::App& app, command_list& commands);
void add_collect(CLI::App& app, command_list& commands);
void add_auth(CLI::App& app, command_list& commands);
void add_decrypt(CLI::App& app, command_list& commands);
void add_sync(CLI::App& app, command_list& commands);
void add_storage(CLI::App& app, command_list& commands);
void add_export(CLI::App& app, command_list& commands);
void add_reports(CLI::App& app, command_list& commands);
void add_process(CLI::App& app, command_list& commands);
void add_extract(CLI::App& app, command_list& commands);
void add_enrich(CLI::App& app, command_list& commands);
// `grin db check` (src/cli/db.cpp).
void add_db(CLI::App& app, command_list& commands);
// `grin help [TOPIC]`: longer help on topics (src/cli/help.cpp).
void add_help(CLI::App& app, command_list& commands);

// Subcommands of `grin sync` (src/cli/sync_<name>.cpp), added by add_sync().
void add_sync_pipeline(CLI::App& sync, command_list& commands);
void add_sync_status(CLI::App& sync, command_list& commands);

// Subcommands of `grin process` (src/cli/process_<name>.cpp), added by add_process().
void add_process_request(CLI::App& process, command_list& commands);
void add_process_monitor(CLI::App& process, command_list& commands);

// Subcommands of `grin storage` (src/cli/storage_<name>.cpp), added by add_storage().
void add_storage_ls(CLI::App& storage, command_list& commands);
void add_storage_rm(CLI::App& storage, command_list& commands);
void add_storage_cp(CLI::App& storage, command_list& commands);

} // namespace grin::cli
