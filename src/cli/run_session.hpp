#pragma once
// What the commands that work on an existing run share: finding the run (its
// run_config.json and database, with a message saying what to do when either is missing),
// starting its log file, and the GRIN side (credentials, one HTTPS pool, the token source
// and the API client) built from the run's settings.
#include <grin/api/client.hpp>
#include <grin/auth/credentials.hpp>
#include <grin/auth/token_source.hpp>
#include <grin/net/https_pool.hpp>
#include <grin/run/run_config.hpp>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace grin::cli {

struct existing_run {
    std::string name;
    std::filesystem::path dir;
    run::run_config config;
};

// output_root/<run>/run_config.json and the database it names must exist; otherwise
// grin::fatal says to run `grin collect` first.
existing_run open_existing_run(const std::string& output_root, const std::string& run_name);

// Appends this command's lines to the run's log file (run_config.json's log_file, under
// output/<run>/logs/) and logs that `command` started.
void start_run_log(const existing_run& run, std::string_view command);

struct grin_session_params {
    bool insecure = false;      // TLS verification off (never against real GRIN)
    bool persist_tokens = true; // false (dry runs): refreshed tokens stay in memory
    std::size_t max_connections_per_host = 8;
};

// Credentials from the run's secrets dir (or the default one), one pool for every request,
// tokens refreshed once for all concurrent requests, and the client for the run's library.
class grin_session {
public:
    grin_session(boost::asio::io_context& io,
                 const run::run_config& config,
                 grin_session_params params = {});
    grin_session(const grin_session&) = delete;
    grin_session& operator=(const grin_session&) = delete;

    api::client& client() { return client_; }
    net::https_pool& pool() { return pool_; }

private:
    std::filesystem::path credentials_file_;
    net::https_pool pool_;
    auth::token_source tokens_;
    api::client client_;
};

} // namespace grin::cli
