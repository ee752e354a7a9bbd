#pragma once
// The emulator on the wire: an HTTPS server (net::https_server) whose requests go to the
// router on a small worker pool (the router may block while it builds and encrypts an
// archive), and whose responses act out the router's fault decisions on the socket.
#include <grin/emulator/router.hpp>
#include <grin/net/https_server.hpp>

#include <boost/asio/thread_pool.hpp>

namespace grin::emulator {

struct frontend_params {
    net::server_params server;
    std::chrono::milliseconds latency{0}; // before every response
    std::uint64_t bytes_per_second = 0;   // per response body; 0 = unlimited
    // (the shared link limit is server.link_bytes_per_second)
    unsigned worker_threads = 2;
};

class https_frontend {
public:
    https_frontend(boost::asio::any_io_executor executor, router& routes, frontend_params params);
    https_frontend(const https_frontend&) = delete;
    https_frontend& operator=(const https_frontend&) = delete;
    ~https_frontend();

    void start(); // binds; throws grin::fatal when the port is taken
    void stop();
    std::uint16_t port() const;
    std::string base_url() const; // https://127.0.0.1:PORT
    net::server_stats stats() const;

private:
    router& routes_;
    frontend_params params_;
    boost::asio::thread_pool workers_;
    std::unique_ptr<net::https_server> server_;
};

// Translates one router response into what the socket server writes (exposed for tests).
net::server_response to_server_response(response routed,
                                        std::chrono::milliseconds latency,
                                        std::uint64_t bytes_per_second);

} // namespace grin::emulator
