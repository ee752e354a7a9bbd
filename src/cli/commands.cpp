#include <grin/cli/commands.hpp>

namespace grin::cli {

void register_commands(CLI::App& app, command_list& commands) {
    add_demo(app, commands);
    add_collect(app, commands);
    add_auth(app, commands);
    add_decrypt(app, commands);
    add_sync(app, commands);
    add_storage(app, commands);
    add_export(app, commands);
    add_reports(app, commands);
    add_process(app, commands);
    add_extract(app, commands);
    add_enrich(app, commands);
    add_db(app, commands);
    add_help(app, commands);
}

} // namespace grin::cli
