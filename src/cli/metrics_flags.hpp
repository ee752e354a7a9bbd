#pragma once
// --metrics-port, --metrics-bind and --metrics-allow-remote, shared by the long-running
// commands (sync pipeline, collect, enrich, process request, process monitor).
#include <grin/db/database.hpp>
#include <grin/metrics/endpoint.hpp>
#include <grin/metrics/registry.hpp>
#include <grin/net/https_pool.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace grin::cli {

struct metrics_flags {
    int port = -1; // -1: no server
    std::string bind = "127.0.0.1";
    bool allow_remote = false;

    // Checks the bind address (grin::fatal, exit 2, saying why) before the command does
    // anything else.
    metrics::endpoint_options options() const;
    // The same check alone, for the first line of a command.
    void validate() const { (void)options(); }
};

void add_metrics_flags(CLI::App& command, metrics_flags& flags);

// A command's registry with the pool and the database watched, and its endpoint when
// --metrics-port was given. Declare it after the pool and the database (it reads them)
// and stop() it when the command's work is done, so that io.run() can return.
class command_metrics {
public:
    command_metrics(boost::asio::io_context& io,
                    const metrics_flags& flags,
                    const net::https_pool& pool,
                    const db::database* database);

    metrics::registry& registry() noexcept { return registry_; }
    // Prints "Metrics: http://.../metrics" when serving.
    void start();
    void stop() { endpoint_.stop(); }
    // For process_summary.json's details.metrics.
    nlohmann::json snapshot() const;

private:
    metrics::registry registry_;
    const db::database* database_;
    metrics::endpoint endpoint_;
};

// A footer line for the commands' --help.
inline constexpr const char* metrics_help =
    "\nMetrics: --metrics-port 9464 serves http://127.0.0.1:9464/metrics (Prometheus), "
    "/api/metrics/database (JSON) and /healthz while the command runs; --metrics-port 0 picks "
    "a free port and prints it.";

} // namespace grin::cli
