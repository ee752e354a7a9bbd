#include "metrics_flags.hpp"

#include <grin/metrics/sources.hpp>
#include <grin/sync/run_metrics.hpp>

#include <iostream>

namespace grin::cli {

metrics::endpoint_options metrics_flags::options() const {
    metrics::endpoint_options result{
        .port = std::nullopt, .bind = bind, .allow_remote = allow_remote};
    if (port >= 0) {
        metrics::check_bind_address(bind, allow_remote);
        result.port = static_cast<std::uint16_t>(port);
    }
    return result;
}

void add_metrics_flags(CLI::App& command, metrics_flags& flags) {
    command
        .add_option("--metrics-port", flags.port,
                    "Serve /metrics (Prometheus), /api/metrics/database and /healthz on this "
                    "port while running (0: pick a free port and print it)")
        ->check(CLI::Range(0, 65535));
    command
        .add_option("--metrics-bind", flags.bind,
                    "Address the metrics server listens on; loopback only unless "
                    "--metrics-allow-remote")
        ->capture_default_str();
    command.add_flag("--metrics-allow-remote", flags.allow_remote,
                     "Allow a --metrics-bind address that is not loopback (the endpoints have "
                     "no authentication)");
}

namespace {

metrics::database_reporter reporter(const db::database* database) {
    if (!database)
        return {};
    return [database] { return metrics::database_report(*database); };
}

} // namespace

command_metrics::command_metrics(boost::asio::io_context& io,
                                 const metrics_flags& flags,
                                 const net::https_pool& pool,
                                 const db::database* database)
    : database_(database)
    , endpoint_(io.get_executor(), registry_, flags.options(), reporter(database)) {
    metrics::watch_pool(registry_, pool);
    if (database)
        metrics::watch_database(registry_, *database);
}

void command_metrics::start() {
    endpoint_.start(std::cout);
}

nlohmann::json command_metrics::snapshot() const {
    return sync::metrics_snapshot(registry_, database_);
}

} // namespace grin::cli
