#pragma once
// metrics::server: a small plain-HTTP/1.1 server on the command's own I/O executor for
// the metrics endpoints (routes.hpp). One request per connection (Connection: close);
// every connection has a read deadline and a write deadline; stop() closes the acceptor
// and every open connection, so the command's io_context can run out of work.
//
// Bind address: loopback only unless allow_remote (check_bind_address): the endpoints are
// unauthenticated and show run figures (host names, counts) that a library may not want
// on its network.
//
// Threads: start/stop/port from the executor's thread (or before run()).
#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace grin::metrics {

struct http_reply {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

// method ("GET", ...) and target (path?query) to a reply; runs on the I/O thread.
using request_handler = std::function<http_reply(std::string_view method, std::string_view target)>;

struct server_params {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0; // 0: the kernel picks a free one; see port()
    std::chrono::milliseconds read_timeout{10'000};
    std::chrono::milliseconds write_timeout{10'000};
};

// True for 127.0.0.0/8, ::1, ::ffff:127.x and "localhost".
bool is_loopback_address(std::string_view address);

// Throws grin::fatal (exit 2) for an address that is not an IP address, or that is not
// loopback when remote access was not allowed, saying why.
void check_bind_address(std::string_view address, bool allow_remote);

class server {
public:
    server(boost::asio::any_io_executor executor, server_params params, request_handler handler);
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server();

    // Binds and starts accepting; throws grin::fatal when the address cannot be used.
    void start();
    void stop();
    std::uint16_t port() const;
    // "http://ADDRESS:PORT"
    std::string base_url() const;

    struct impl;

private:
    std::shared_ptr<impl> impl_;
};

} // namespace grin::metrics
