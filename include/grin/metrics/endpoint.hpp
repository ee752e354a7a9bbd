#pragma once
// metrics::endpoint: what a long-running command serves with --metrics-port:
//   GET /metrics               Prometheus text (prometheus.hpp)
//   GET /api/metrics/database  the database report (sources.hpp), 404 without a database
//   GET /healthz               200 "ok" and the uptime
//   anything else              404 (405 for a method other than GET/HEAD)
// on a metrics::server on the command's own I/O executor. stop() it when the command's
// work is done, or its io_context never runs out of work.
#include <grin/metrics/registry.hpp>
#include <grin/metrics/server.hpp>

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

namespace grin::metrics {

struct endpoint_options {
    std::optional<std::uint16_t> port; // none: no server
    std::string bind = "127.0.0.1";
    bool allow_remote = false;
};

using database_reporter = std::function<nlohmann::json()>;

request_handler make_handler(const registry& metrics,
                             database_reporter database,
                             std::chrono::steady_clock::time_point started);

class endpoint {
public:
    // Throws grin::fatal (exit 2) for a bind address refused by check_bind_address.
    endpoint(boost::asio::any_io_executor executor,
             const registry& metrics,
             endpoint_options options,
             database_reporter database = {});
    ~endpoint();
    endpoint(const endpoint&) = delete;
    endpoint& operator=(const endpoint&) = delete;

    bool enabled() const noexcept { return server_ != nullptr; }
    // Listens and prints "Metrics: http://ADDRESS:PORT/metrics" to `out`; no-op when
    // disabled. Throws grin::fatal when the port cannot be bound.
    void start(std::ostream& out);
    void stop();
    std::uint16_t port() const;

private:
    std::unique_ptr<server> server_;
};

} // namespace grin::metrics
