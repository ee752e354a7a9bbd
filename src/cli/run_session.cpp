#include "run_session.hpp"

#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

namespace grin::cli {

existing_run open_existing_run(const std::string& output_root, const std::string& run_name) {
    existing_run run;
    run.name = run::sanitize_run_name(run_name);
    run.dir = run::run_directory(output_root, run.name);
    auto config_file = run.dir / "run_config.json";
    if (!std::filesystem::exists(config_file))
        throw fatal("no run '" + run.name + "' in " + output_root + " (" + config_file.string() +
                    " is missing): run `grin collect --run-name " + run.name + " ...` first");
    run.config = run::load_run_config(config_file);
    if (!std::filesystem::exists(run.config.sqlite_db_path))
        throw fatal("the database " + run.config.sqlite_db_path +
                    " is missing: run `grin collect --run-name " + run.name + "` first");
    return run;
}

void start_run_log(const existing_run& run, std::string_view command) {
    if (!run.config.log_file.empty())
        log::set_file(run.config.log_file);
    log::info(std::string(command) + " started: run=" + run.name);
}

namespace {

std::filesystem::path credentials_file_of(const run::run_config& config) {
    auto dir =
        config.secrets_dir ? std::filesystem::path(*config.secrets_dir) : auth::credentials_dir();
    return dir / "credentials.json";
}

net::pool_params pool_params_of(const run::run_config& config, const grin_session_params& params) {
    net::pool_params pool;
    pool.max_connections_per_host = params.max_connections_per_host;
    if (config.ca_file)
        pool.tls.ca_file = *config.ca_file;
    pool.tls.verify = !params.insecure;
    return pool;
}

api::client_params client_params_of(const run::run_config& config) {
    api::client_params client;
    client.base_url = config.grin_base_url;
    client.library = config.library_directory;
    return client;
}

} // namespace

grin_session::grin_session(boost::asio::io_context& io,
                           const run::run_config& config,
                           grin_session_params params)
    : credentials_file_(credentials_file_of(config))
    , pool_(io.get_executor(), pool_params_of(config, params))
    , tokens_(pool_,
              auth::load_credentials(credentials_file_),
              params.persist_tokens ? credentials_file_ : std::filesystem::path())
    , client_(pool_, tokens_, client_params_of(config)) {}

} // namespace grin::cli
