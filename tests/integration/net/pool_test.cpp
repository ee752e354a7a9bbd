// The pool against a real HTTPS server on loopback: reuse, per-host limits, idle and
// stale connections, and waiting with a deadline.
#include <grin/core/error.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server_fixture.hpp"

namespace asio = boost::asio;
using namespace grin;
using namespace std::chrono_literals;
using test::get;

namespace {

asio::awaitable<int> sequential_requests(net::https_pool& pool, std::string url, int count) {
    int good = 0;
    for (int i = 0; i < count; ++i) {
        net::http_request request = get(url);
        net::http_response response = co_await net::send(pool, request);
        if (response.status == 200 && response.body == "hello")
            ++good;
    }
    co_return good;
}

asio::awaitable<void>
requests_counted(net::https_pool& pool, std::string url, int count, int& good) {
    good += co_await sequential_requests(pool, url, count);
}

asio::awaitable<void> pause(std::chrono::milliseconds how_long) {
    asio::steady_timer timer(co_await asio::this_coro::executor, how_long);
    co_await timer.async_wait(asio::use_awaitable);
}

asio::awaitable<std::pair<int, int>>
two_requests_with_pause(net::https_pool& pool, std::string url, std::chrono::milliseconds gap) {
    net::http_request first = get(url);
    auto a = co_await net::send(pool, first);
    co_await pause(gap);
    net::http_request second = get(url);
    auto b = co_await net::send(pool, second);
    co_return std::pair{a.status, b.status};
}

} // namespace

using pool = test::server_fixture;

TEST_F(pool, reuses_one_connection_for_1000_sequential_requests) {
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    int good = run(sequential_requests(shared, url("/hello"), 1000), 120s);
    EXPECT_EQ(good, 1000);
    auto stats = shared.stats();
    EXPECT_EQ(stats.connections_opened, 1u);
    EXPECT_EQ(stats.full_handshakes, 1u);
    EXPECT_EQ(stats.requests, 1000u);
    EXPECT_EQ(stats.reuses, 999u);
    EXPECT_EQ(server->stats().connections_accepted, 1u);
}

TEST_F(pool, never_opens_more_than_the_per_host_limit) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.body = "hello";
        response.delay = 5ms; // keeps requests overlapping
        return response;
    };
    start_server();
    auto params = trusting_pool_params();
    params.max_connections_per_host = 4;
    net::https_pool shared(io.get_executor(), params);
    std::vector<int> good(16, 0);
    std::vector<asio::awaitable<void>> workers;
    for (int i = 0; i < 16; ++i)
        workers.push_back(requests_counted(shared, url("/x"), 10, good[static_cast<size_t>(i)]));
    run_all(std::move(workers), 60s);
    for (int count : good)
        EXPECT_EQ(count, 10);
    EXPECT_EQ(shared.stats().peak_open_connections, 4u);
    EXPECT_LE(server->stats().connections_accepted, 4u);
    EXPECT_EQ(shared.stats().requests, 160u);
}

TEST_F(pool, server_closing_idle_connections_causes_no_failed_request) {
    net::server_params params;
    params.keep_alive_timeout = 100ms;
    start_server(params);
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    auto [first, second] = run(two_requests_with_pause(shared, url("/"), 400ms));
    EXPECT_EQ(first, 200);
    EXPECT_EQ(second, 200);
    EXPECT_EQ(shared.stats().connections_opened, 2u);
}

TEST_F(pool, stale_reused_connection_is_retried_once_on_a_fresh_one) {
    // The second request arrives on the kept-alive connection, which the server drops
    // without answering: exactly what a server that timed the connection out does.
    respond = [](const net::server_request&, int sequence) {
        net::server_response response;
        response.body = "hello";
        response.abort = sequence == 2;
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    auto [first, second] = run(two_requests_with_pause(shared, url("/"), 0ms));
    EXPECT_EQ(first, 200);
    EXPECT_EQ(second, 200);
    EXPECT_EQ(shared.stats().stale_retries, 1u);
    EXPECT_EQ(requests_seen, 3);
}

TEST_F(pool, idle_connections_past_idle_timeout_are_not_reused) {
    start_server();
    auto params = trusting_pool_params();
    params.idle_timeout = 50ms;
    net::https_pool shared(io.get_executor(), params);
    run(two_requests_with_pause(shared, url("/"), 200ms));
    EXPECT_EQ(shared.stats().connections_opened, 2u);
    EXPECT_EQ(shared.stats().reuses, 0u);
}

// Idle connections are reused in turn, so a steady trickle keeps all of them alive: three
// connections, then 16 requests one at a time over ~0.9 s (longer than the idle timeout),
// then three at once again need no new connection. Reusing the newest first would let two
// of them expire and open two more.
TEST_F(pool, steady_use_keeps_every_idle_connection_alive) {
    respond = [](const net::server_request&, int sequence) {
        net::server_response response;
        response.body = "hello";
        if (sequence <= 3)
            response.delay = 100ms; // the first three overlap: three connections
        return response;
    };
    start_server();
    auto params = trusting_pool_params();
    params.idle_timeout = 600ms;
    net::https_pool shared(io.get_executor(), params);
    int good = 0;
    auto burst = [&] {
        std::vector<asio::awaitable<void>> works;
        for (int i = 0; i < 3; ++i)
            works.push_back(requests_counted(shared, url("/"), 1, good));
        run_all(std::move(works));
    };
    burst();
    ASSERT_EQ(shared.stats().connections_opened, 3u);
    auto trickle = [&shared, this]() -> asio::awaitable<void> {
        for (int i = 0; i < 16; ++i) {
            net::http_request request = get(url("/"));
            co_await net::send(shared, request);
            co_await pause(50ms);
        }
    };
    run(trickle());
    burst();
    EXPECT_EQ(good, 6);
    EXPECT_EQ(shared.stats().connections_opened, 3u);
}

TEST_F(pool, second_connection_resumes_the_tls_session) {
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    run(sequential_requests(shared, url("/"), 1));
    shared.close_idle();
    run(sequential_requests(shared, url("/"), 1));
    auto stats = shared.stats();
    EXPECT_EQ(stats.connections_opened, 2u);
    EXPECT_EQ(stats.full_handshakes, 1u);
    EXPECT_EQ(stats.resumed_handshakes, 1u);
    EXPECT_EQ(server->stats().resumed_handshakes, 1u);
}

TEST_F(pool, waiting_for_a_slot_times_out_with_a_clear_error) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.body = "hello";
        response.delay = 1500ms;
        return response;
    };
    start_server();
    auto params = trusting_pool_params();
    params.max_connections_per_host = 1;
    params.acquire_timeout = 200ms;
    net::https_pool shared(io.get_executor(), params);
    int slow_good = 0, fast_good = 0;
    std::vector<asio::awaitable<void>> workers;
    workers.push_back(requests_counted(shared, url("/slow"), 1, slow_good));
    workers.push_back(requests_counted(shared, url("/fast"), 1, fast_good));
    try {
        run_all(std::move(workers), 20s);
        FAIL() << "expected the second request to time out waiting for the only connection";
    } catch (const grin::error& failure) {
        EXPECT_EQ(failure.context().step, "acquire");
        EXPECT_NE(std::string(failure.what()).find("limit 1 per host"), std::string::npos);
    }
    EXPECT_EQ(slow_good, 1);
}
