#include <grin/emulator/https_frontend.hpp>
#include <grin/net/run_on.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <strings.h>

namespace grin::emulator {
namespace asio = boost::asio;

namespace {

bool iequals(const std::string& a, std::string_view b) {
    return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), b.size()) == 0;
}

// The router counts requests; connections and handshakes are the socket server's, so
// they are added to the stats document here.
std::string with_connection_stats(std::string router_stats, const net::server_stats& server) {
    auto document = nlohmann::json::parse(router_stats, nullptr, false);
    if (!document.is_object())
        return router_stats;
    document["connections"] = {{"accepted", server.connections_accepted},
                               {"full_handshakes", server.full_handshakes},
                               {"resumed_handshakes", server.resumed_handshakes},
                               {"requests", server.requests}};
    return document.dump();
}

asio::awaitable<net::server_response> serve(router& routes,
                                            asio::thread_pool::executor_type workers,
                                            std::chrono::milliseconds latency,
                                            std::uint64_t bytes_per_second,
                                            const net::https_server* server,
                                            net::server_request incoming) {
    const bool stats_request = incoming.target == "/_emulator/stats";
    request req;
    req.method = std::move(incoming.method);
    req.target = std::move(incoming.target);
    req.headers = std::move(incoming.headers);
    req.body = std::move(incoming.body);
    // The router may build and encrypt an archive: that runs on the worker pool.
    auto routing = [&routes, req = std::move(req)] { return routes.handle(req); };
    response routed = co_await net::run_on(workers, std::move(routing));
    if (stats_request && routed.status == 200 && server) {
        routed.body = with_connection_stats(std::move(routed.body), server->stats());
        for (auto& [name, value] : routed.headers)
            if (iequals(name, "Content-Length"))
                value = std::to_string(routed.body.size());
    }
    co_return to_server_response(std::move(routed), latency, bytes_per_second);
}

} // namespace

net::server_response to_server_response(response routed,
                                        std::chrono::milliseconds latency,
                                        std::uint64_t bytes_per_second) {
    net::server_response out;
    out.status = routed.status;
    out.headers = std::move(routed.headers);
    out.body = std::move(routed.body);
    out.body_file = std::move(routed.body_file);
    out.delay = latency;
    out.bytes_per_second = bytes_per_second;
    out.keep_alive = std::move(routed.in_flight);
    out.fault_after_bytes = routed.fault_after_bytes;
    out.stall_for = routed.stall_for;
    switch (routed.injected) {
    case fault::reset_mid_body:
        out.fault = net::body_fault::reset;
        break;
    case fault::truncate:
        out.fault = net::body_fault::truncate;
        break;
    case fault::stall_mid_body:
        out.fault = net::body_fault::stall;
        break;
    case fault::stall_before_headers:
        out.delay += routed.stall_for;
        break;
    case fault::none:
    case fault::no_etag:
    case fault::wrong_etag:
    case fault::garbage_body:
    case fault::huge_headers:
    case fault::latin1_body:
        break; // the router already changed the headers
    }
    return out;
}

https_frontend::https_frontend(asio::any_io_executor executor,
                               router& routes,
                               frontend_params params)
    : routes_(routes), params_(std::move(params)), workers_(std::max(1u, params_.worker_threads)) {
    auto workers = workers_.get_executor();
    auto latency = params_.latency;
    auto bandwidth = params_.bytes_per_second;
    router* routes_ptr = &routes_;
    const std::unique_ptr<net::https_server>* server_slot = &server_;
    net::server_handler handler = [routes_ptr, workers, latency, bandwidth,
                                   server_slot](net::server_request incoming) {
        return serve(*routes_ptr, workers, latency, bandwidth, server_slot->get(),
                     std::move(incoming));
    };
    server_ = std::make_unique<net::https_server>(std::move(executor), params_.server, handler);
}

https_frontend::~https_frontend() {
    stop();
    workers_.join();
}

void https_frontend::start() {
    server_->start();
}
void https_frontend::stop() {
    server_->stop();
}
std::uint16_t https_frontend::port() const {
    return server_->port();
}
std::string https_frontend::base_url() const {
    return server_->base_url();
}
net::server_stats https_frontend::stats() const {
    return server_->stats();
}

} // namespace grin::emulator
