#pragma once
// A small HTTPS/1.1 server on the run's I/O executor, for the GRIN emulator and tests.
//
// The handler maps a request to a declarative response; the server writes it, and can
// misbehave on purpose (latency, limited bandwidth, reset or truncated bodies, stalls) so
// that clients' fault handling is tested against real sockets.
// Thread rules: start/stop/stats from the server's executor's thread (or before run()).
// Sessions end on client close, idle keep-alive timeout, a failed read/write, or stop().
#include <grin/net/http_message.hpp>
#include <grin/net/https_pool.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>

namespace grin::net {

struct server_params {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0; // 0: the kernel picks a free port; see port()
    std::filesystem::path certificate_file;
    std::filesystem::path private_key_file;
    // Idle keep-alive connections are closed after this (like real servers do).
    duration keep_alive_timeout = 30s;
    duration handshake_timeout = 15s;
    duration write_timeout = 60s;
    std::size_t max_request_body = 64 * 1024 * 1024;
    // One link shared by every response body (bytes per second; 0 = unlimited): models a
    // library's uplink, where parallel downloads split the bandwidth instead of each
    // getting all of it.
    std::uint64_t link_bytes_per_second = 0;
};

struct server_request {
    std::string method;
    std::string target; // path?query as received
    header_list headers;
    std::string body;
    std::optional<std::string> header(std::string_view name) const {
        return find_header(headers, name);
    }
};

enum class body_fault {
    none,
    reset,    // send fault_after_bytes of the body, then reset the TCP connection
    truncate, // send fault_after_bytes, then close without finishing (short body)
    stall,    // send fault_after_bytes, then go silent for stall_for, then close
};

struct server_response {
    int status = 200;
    header_list headers;
    std::string body;
    // When set, the body is streamed from this file instead of `body`.
    std::optional<std::filesystem::path> body_file;
    std::chrono::milliseconds delay{0}; // wait before the status line (latency)
    std::uint64_t bytes_per_second = 0; // 0: unlimited
    body_fault fault = body_fault::none;
    std::uint64_t fault_after_bytes = 0;
    std::chrono::milliseconds stall_for{60'000};
    bool close = false; // close the connection after this response
    // Misbehaviour for tests: close the connection at once without answering, or write
    // these bytes verbatim instead of a well-formed response.
    bool abort = false;
    std::optional<std::string> raw;
    // Held until the response has been written or the connection dropped (e.g. an
    // in-flight counter of the emulator's router).
    std::shared_ptr<void> keep_alive;
};

using server_handler = std::function<boost::asio::awaitable<server_response>(server_request)>;

struct server_stats {
    std::uint64_t connections_accepted = 0;
    std::uint64_t full_handshakes = 0;
    std::uint64_t resumed_handshakes = 0;
    std::uint64_t requests = 0;
};

class https_server {
public:
    https_server(boost::asio::any_io_executor executor,
                 server_params params,
                 server_handler handler);
    https_server(const https_server&) = delete;
    https_server& operator=(const https_server&) = delete;
    ~https_server();

    // Binds and starts accepting; throws grin::error when the address is taken.
    void start();
    // Stops accepting and closes every open connection.
    void stop();

    std::uint16_t port() const;
    std::string base_url() const; // "https://127.0.0.1:PORT"
    server_stats stats() const;

    struct impl; // defined in https_server.cpp; public so its helpers can name it

private:
    std::shared_ptr<impl> impl_;
};

} // namespace grin::net
