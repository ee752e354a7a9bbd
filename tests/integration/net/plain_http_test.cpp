// http:// origins (S3-compatible endpoints such as a local MinIO) go through the same pool:
// keep-alive reuse, no TLS. The server is a few lines of plain Asio so that the test
// does not depend on the pool's own server code.
#include <grin/net/http_client.hpp>
#include <grin/net/https_pool.hpp>
#include <grin/net/url.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "io_fixture.hpp"

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace grin;

namespace {

struct plain_server {
    int connections = 0;
    int requests = 0;
    std::vector<std::string> request_lines;
};

// Answers every request on a connection with a keep-alive 200 echoing the request line.
asio::awaitable<void> serve(tcp::socket socket, plain_server* stats) {
    std::string buffer;
    for (;;) {
        boost::system::error_code failed;
        std::size_t head =
            co_await asio::async_read_until(socket, asio::dynamic_buffer(buffer), "\r\n\r\n",
                                            asio::redirect_error(asio::use_awaitable, failed));
        if (failed)
            co_return;
        std::string request_line = buffer.substr(0, buffer.find("\r\n"));
        buffer.erase(0, head);
        ++stats->requests;
        stats->request_lines.push_back(request_line);
        std::string body = "you said " + request_line;
        std::string response = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                               "\r\nConnection: keep-alive\r\n\r\n" + body;
        co_await asio::async_write(socket, asio::buffer(response),
                                   asio::redirect_error(asio::use_awaitable, failed));
        if (failed)
            co_return;
    }
}

asio::awaitable<void> accept_all(tcp::acceptor* acceptor, plain_server* stats) {
    for (;;) {
        tcp::socket socket = co_await acceptor->async_accept(asio::use_awaitable);
        ++stats->connections;
        asio::co_spawn(acceptor->get_executor(), serve(std::move(socket), stats), asio::detached);
    }
}

asio::awaitable<std::vector<std::string>> fetch_three(net::https_pool* pool, std::string base) {
    std::vector<std::string> bodies;
    for (int i = 0; i < 3; ++i) {
        net::http_request request;
        request.url = base + "/bucket/key" + std::to_string(i) + "?x=1";
        net::http_response response = co_await net::send(*pool, request);
        EXPECT_EQ(response.status, 200);
        bodies.push_back(response.body);
    }
    co_return bodies;
}

} // namespace

TEST(plain_http, requests_to_an_http_origin_reuse_one_connection) {
    test::io_fixture fixture;
    tcp::acceptor acceptor(fixture.io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    plain_server stats;
    asio::co_spawn(fixture.io, accept_all(&acceptor, &stats), asio::detached);
    net::https_pool pool(fixture.io.get_executor());
    std::string base = "http://127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());

    auto bodies = fixture.run(fetch_three(&pool, base));
    ASSERT_EQ(bodies.size(), 3u);
    EXPECT_EQ(bodies[1], "you said GET /bucket/key1?x=1 HTTP/1.1");
    EXPECT_EQ(stats.requests, 3);
    EXPECT_EQ(stats.connections, 1);
    auto pool_stats = pool.stats();
    EXPECT_EQ(pool_stats.connections_opened, 1u);
    EXPECT_EQ(pool_stats.full_handshakes, 0u); // no TLS on http://
    EXPECT_EQ(pool_stats.reuses, 2u);
}
