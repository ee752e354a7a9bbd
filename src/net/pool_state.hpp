#pragma once
// Internal to net: the pieces of the pool that http_client.cpp needs to see.
#include <grin/net/https_pool.hpp>

#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <deque>
#include <map>

namespace grin::net::detail {

using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

struct connection {
    connection(boost::asio::any_io_executor executor, boost::asio::ssl::context& context)
        : stream(executor, context) {}
    tls_stream stream;
    // false for http:// origins (an S3-compatible endpoint such as a local MinIO): the
    // requests then go over stream.next_layer() and the TLS layer stays unused.
    bool tls = true;
    boost::beast::flat_buffer buffer;
    std::vector<char> body_chunk; // reused for every response body read on this connection
    std::chrono::steady_clock::time_point idle_since{};
};

// The TLS session last issued by a server, offered on the next connection to it.
struct session_slot {
    SSL_SESSION* session = nullptr;
    ~session_slot() {
        if (session)
            SSL_SESSION_free(session);
    }
};

struct waiter {
    explicit waiter(boost::asio::any_io_executor executor) : timer(executor) {}
    boost::asio::steady_timer timer;
    bool notified = false;
};

struct host_state {
    std::vector<std::unique_ptr<connection>> idle; // most recently used last; reused oldest first
    std::size_t open = 0;                          // idle + leased + connecting
    std::deque<waiter*> waiters;
    std::string last_error;
    session_slot tls_session;
};

struct pool_state : std::enable_shared_from_this<pool_state> {
    pool_state(boost::asio::any_io_executor executor, pool_params params);

    boost::asio::awaitable<lease> acquire(url origin, bool fresh);
    void give_back(const std::string& origin, std::unique_ptr<connection> conn, bool reusable);
    void close_idle();
    void notify_one(host_state& host);

    boost::asio::any_io_executor executor;
    pool_params params;
    boost::asio::ssl::context tls_context;
    std::map<std::string, host_state> hosts;
    pool_stats stats;
    std::map<std::pair<std::string, int>, std::uint64_t> responses; // (host, status)
};

} // namespace grin::net::detail
