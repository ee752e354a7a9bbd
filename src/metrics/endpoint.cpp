#include <grin/metrics/endpoint.hpp>
#include <grin/metrics/prometheus.hpp>

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ostream>

namespace grin::metrics {

request_handler make_handler(const registry& metrics,
                             database_reporter database,
                             std::chrono::steady_clock::time_point started) {
    return [&metrics, database = std::move(database), started](std::string_view method,
                                                               std::string_view target) {
        if (method != "GET" && method != "HEAD")
            return http_reply{.status = 405,
                              .content_type = "text/plain; charset=utf-8",
                              .body = "method not allowed\n"};
        std::string_view path = target.substr(0, target.find('?'));
        if (path == "/metrics")
            return http_reply{.status = 200,
                              .content_type = std::string(prometheus_content_type),
                              .body = render_prometheus(metrics)};
        if (path == "/api/metrics/database" && database)
            return http_reply{.status = 200,
                              .content_type = "application/json",
                              .body = database().dump(2) + "\n"};
        if (path == "/healthz") {
            char uptime[64];
            std::snprintf(
                uptime, sizeof uptime, "ok\nuptime_seconds %.1f\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
            return http_reply{
                .status = 200, .content_type = "text/plain; charset=utf-8", .body = uptime};
        }
        return http_reply{.status = 404,
                          .content_type = "text/plain; charset=utf-8",
                          .body = "not found; try /metrics, /api/metrics/database or /healthz\n"};
    };
}

endpoint::endpoint(boost::asio::any_io_executor executor,
                   const registry& metrics,
                   endpoint_options options,
                   database_reporter database) {
    if (!options.port)
        return;
    check_bind_address(options.bind, options.allow_remote);
    auto handler = make_handler(metrics, std::move(database), std::chrono::steady_clock::now());
    server_ = std::make_unique<server>(
        std::move(executor), server_params{.address = options.bind, .port = *options.port},
        std::move(handler));
}

endpoint::~endpoint() {
    stop();
}

void endpoint::start(std::ostream& out) {
    if (!server_)
        return;
    server_->start();
    out << "Metrics: " << server_->base_url() << "/metrics" << std::endl;
}

void endpoint::stop() {
    if (server_)
        server_->stop();
}

std::uint16_t endpoint::port() const {
    return server_ ? server_->port() : 0;
}

} // namespace grin::metrics
