// send(), download() and send_with_retry() against a real server that misbehaves on cue.
#include <grin/core/error.hpp>
#include <grin/net/retry.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fstream>
#include <random>

#include "server_fixture.hpp"

namespace asio = boost::asio;
using namespace grin;
using namespace std::chrono_literals;
using test::get;

namespace {

struct download_outcome {
    net::http_response response;
    std::string received;
    std::size_t largest_chunk = 0;
    std::size_t chunks = 0;
};

asio::awaitable<void> append_chunk(download_outcome* outcome, std::string_view chunk) {
    outcome->received.append(chunk);
    outcome->largest_chunk = std::max(outcome->largest_chunk, chunk.size());
    ++outcome->chunks;
    co_return;
}

asio::awaitable<download_outcome>
fetch(net::https_pool& pool, std::string url, net::request_params params) {
    download_outcome outcome;
    net::body_sink sink = [&outcome](std::string_view chunk) {
        return append_chunk(&outcome, chunk);
    };
    net::http_request request = get(url);
    outcome.response = co_await net::download(pool, request, sink, params);
    co_return outcome;
}

asio::awaitable<net::http_response>
send_one(net::https_pool& pool, net::http_request request, net::request_params params) {
    co_return co_await net::send(pool, request, params);
}

asio::awaitable<net::http_response>
send_retrying(net::https_pool& pool, std::string url, net::retry_policy policy) {
    net::http_request request = get(url);
    co_return co_await net::send_with_retry(pool, request, policy);
}

std::string random_bytes(std::size_t size) {
    std::mt19937_64 engine(42);
    std::string bytes(size, '\0');
    for (auto& byte : bytes)
        byte = static_cast<char>(engine());
    return bytes;
}

template <class F>
grin::error expect_error(F&& action) {
    try {
        action();
    } catch (const grin::error& failure) {
        return failure;
    }
    ADD_FAILURE() << "expected a grin::error";
    return grin::error("none");
}

} // namespace

using client = test::server_fixture;

TEST_F(client, download_streams_a_large_body_in_bounded_chunks) {
    std::string payload = random_bytes(5 * 1024 * 1024 + 17);
    auto file = certificates / "archive.bin";
    std::ofstream(file, std::ios::binary) << payload;
    respond = [file](const net::server_request&, int) {
        net::server_response response;
        response.body_file = file;
        response.headers.emplace_back("ETag", "\"abc\"");
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    auto outcome = run(fetch(shared, url("/B1.tar.gz.gpg"), {}));
    EXPECT_EQ(outcome.response.status, 200);
    EXPECT_EQ(outcome.response.header("etag"), "\"abc\"");
    EXPECT_TRUE(outcome.response.body.empty());
    EXPECT_TRUE(outcome.received == payload);
    EXPECT_LE(outcome.largest_chunk, net::download_chunk_size);
    EXPECT_GE(outcome.chunks, payload.size() / net::download_chunk_size);
}

TEST_F(client, file_body_sends_exactly_its_range_in_chunks) {
    // Past one 256 KiB chunk, from an offset, and twice on one kept-alive connection.
    std::string content = random_bytes(3 * net::download_chunk_size + 1000);
    auto file = certificates / "part.bin";
    std::ofstream(file, std::ios::binary) << content;
    std::vector<std::string> received;
    respond = [&received](const net::server_request& request, int) {
        received.push_back(request.body);
        net::server_response response;
        response.body = request.header("content-length").value_or("none");
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    const std::uint64_t offset = 12'345;
    const std::uint64_t length = 2 * net::download_chunk_size + 777;
    for (int round = 0; round < 2; ++round) {
        net::http_request request = get(url("/bucket/key"));
        request.method = "PUT";
        request.body_file = net::file_range{.path = file, .offset = offset, .length = length};
        auto response = run(send_one(shared, request, {}));
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.body, std::to_string(length));
    }
    ASSERT_EQ(received.size(), 2u);
    EXPECT_TRUE(received[0] == content.substr(offset, length)) << received[0].size();
    EXPECT_TRUE(received[1] == received[0]);
    EXPECT_EQ(shared.stats().connections_opened, 1u);
}

TEST_F(client, file_body_shorter_than_its_range_fails_naming_the_file) {
    auto file = certificates / "short.bin";
    std::ofstream(file, std::ios::binary) << std::string(1000, 'x');
    respond = [](const net::server_request&, int) { return net::server_response{}; };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    net::http_request request = get(url("/bucket/key"));
    request.method = "PUT";
    request.body_file = net::file_range{.path = file, .offset = 0, .length = 5000};
    auto failure = expect_error([&] { run(send_one(shared, request, {})); });
    EXPECT_EQ(failure.context().step, "write");
    EXPECT_NE(std::string(failure.what()).find("short.bin"), std::string::npos) << failure.what();
    EXPECT_NE(std::string(failure.what()).find("shrank"), std::string::npos) << failure.what();

    request.body_file->path = certificates / "missing.bin";
    auto missing = expect_error([&] { run(send_one(shared, request, {})); });
    EXPECT_NE(std::string(missing.what()).find("missing.bin"), std::string::npos) << missing.what();
}

TEST_F(client, error_status_bodies_are_collected_not_streamed) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.status = 404;
        response.body = "not converted";
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    auto outcome = run(fetch(shared, url("/missing.tar.gz.gpg"), {}));
    EXPECT_EQ(outcome.response.status, 404);
    EXPECT_EQ(outcome.response.body, "not converted");
    EXPECT_EQ(outcome.chunks, 0u);
}

TEST_F(client, head_reports_length_and_keeps_the_connection) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.body = std::string(1000, 'x');
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    net::http_request head = get(url("/B1.tar.gz.gpg"));
    head.method = "HEAD";
    auto first = run(send_one(shared, head, {}));
    auto second = run(send_one(shared, head, {}));
    EXPECT_EQ(first.status, 200);
    EXPECT_EQ(first.header("Content-Length"), "1000");
    EXPECT_TRUE(first.body.empty());
    EXPECT_EQ(second.status, 200);
    EXPECT_EQ(shared.stats().connections_opened, 1u);
}

TEST_F(client, truncated_body_is_an_error_naming_the_step) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.body = std::string(200'000, 'x');
        response.fault = net::body_fault::truncate;
        response.fault_after_bytes = 100'000;
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    auto failure = expect_error([&] { run(fetch(shared, url("/t"), {})); });
    EXPECT_EQ(failure.context().step, "read-body");
    EXPECT_EQ(failure.context().http_status, 200);
}

TEST_F(client, connection_reset_mid_body_is_an_error) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.body = std::string(500'000, 'x');
        response.fault = net::body_fault::reset;
        response.fault_after_bytes = 70'000;
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    auto failure = expect_error([&] { run(fetch(shared, url("/r"), {})); });
    EXPECT_EQ(failure.context().step, "read-body");
}

TEST_F(client, stalled_body_trips_the_idle_timeout) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.body = std::string(100'000, 'x');
        response.fault = net::body_fault::stall;
        response.fault_after_bytes = 1000;
        response.stall_for = 10s;
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    net::request_params params;
    params.body_idle_timeout = 300ms;
    auto started = std::chrono::steady_clock::now();
    auto failure = expect_error([&] { run(fetch(shared, url("/s"), params)); });
    EXPECT_EQ(failure.context().step, "read-body");
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
}

TEST_F(client, silent_server_trips_the_read_header_timeout) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.delay = 10s;
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    net::request_params params;
    params.read_header_timeout = 300ms;
    auto failure = expect_error([&] { run(send_one(shared, get(url("/slow")), params)); });
    EXPECT_EQ(failure.context().step, "read-headers");
    EXPECT_NE(std::string(failure.what()).find("/slow"), std::string::npos);
}

TEST_F(client, malformed_response_is_an_error_not_a_crash) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.raw = "HTTP/1.1 two hundred OK\r\nContent-Length: zz\r\n\r\nbody";
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    auto failure = expect_error([&] { run(send_one(shared, get(url("/bad")), {})); });
    EXPECT_EQ(failure.context().step, "read-headers");
}

TEST_F(client, body_larger_than_the_limit_is_refused) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.body = std::string(10'000, 'x');
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    net::request_params params;
    params.body_limit = 1000;
    auto failure = expect_error([&] { run(send_one(shared, get(url("/big")), params)); });
    EXPECT_NE(std::string(failure.what()).find("larger than 1000"), std::string::npos);
}

TEST_F(client, refused_connection_names_the_step_and_origin) {
    net::https_pool shared(io.get_executor());
    auto failure = expect_error([&] { run(send_one(shared, get("https://127.0.0.1:1/x"), {})); });
    EXPECT_EQ(failure.context().step, "connect");
    EXPECT_EQ(failure.context().url, "https://127.0.0.1:1");
    EXPECT_NE(std::string(failure.what()).find("refused"), std::string::npos);
}

TEST_F(client, unresolvable_host_names_the_step) {
    net::https_pool shared(io.get_executor());
    auto failure =
        expect_error([&] { run(send_one(shared, get("https://no-such-host.invalid/x"), {})); });
    EXPECT_EQ(failure.context().step, "resolve");
}

TEST_F(client, retry_honours_retry_after_then_succeeds) {
    respond = [](const net::server_request&, int sequence) {
        net::server_response response;
        response.status = sequence < 3 ? 503 : 200;
        response.body = sequence < 3 ? "busy" : "done";
        if (sequence < 3)
            response.headers.emplace_back("Retry-After", "0");
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    net::retry_policy policy{.max_attempts = 3, .base_delay = 10s};
    auto started = std::chrono::steady_clock::now();
    auto response = run(send_retrying(shared, url("/x"), policy));
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "done");
    EXPECT_EQ(requests_seen, 3);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 5s); // Retry-After: 0 beat 10 s
}

TEST_F(client, non_retryable_status_is_returned_at_once) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.status = 404;
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    net::retry_policy policy{.max_attempts = 5, .base_delay = 10ms};
    auto response = run(send_retrying(shared, url("/x"), policy));
    EXPECT_EQ(response.status, 404);
    EXPECT_EQ(requests_seen, 1);
}

TEST_F(client, exhausted_retries_return_the_last_response) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.status = 500;
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    net::retry_policy policy{.max_attempts = 3, .base_delay = 10ms};
    auto response = run(send_retrying(shared, url("/x"), policy));
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(requests_seen, 3);
}

namespace {

asio::awaitable<void> cancel_after(asio::cancellation_signal& signal,
                                   std::chrono::milliseconds delay) {
    asio::steady_timer timer(co_await asio::this_coro::executor, delay);
    co_await timer.async_wait(asio::use_awaitable);
    signal.emit(asio::cancellation_type::terminal);
}

} // namespace

TEST_F(client, cancellation_stops_a_stalled_download_promptly) {
    respond = [](const net::server_request&, int) {
        net::server_response response;
        response.body = std::string(100'000, 'x');
        response.fault = net::body_fault::stall;
        response.fault_after_bytes = 1000;
        response.stall_for = 20s;
        return response;
    };
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    asio::cancellation_signal signal;
    std::exception_ptr outcome;
    bool finished = false;
    auto record = [&](std::exception_ptr failure, download_outcome) {
        outcome = failure;
        finished = true;
    };
    asio::co_spawn(io, fetch(shared, url("/s"), {}),
                   asio::bind_cancellation_slot(signal.slot(), record));
    asio::co_spawn(io, cancel_after(signal, 200ms), asio::detached);
    auto started = std::chrono::steady_clock::now();
    while (!finished && std::chrono::steady_clock::now() - started < 10s)
        io.run_for(50ms);
    ASSERT_TRUE(finished);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
    try {
        std::rethrow_exception(outcome);
    } catch (const boost::system::system_error& failure) {
        EXPECT_EQ(failure.code(), asio::error::operation_aborted);
    } catch (...) {
        ADD_FAILURE() << "expected operation_aborted";
    }
}

// The shared link splits its bandwidth among parallel responses: three 200 KB bodies over a
// 1 MB/s link cannot all arrive in less than 0.6 s, while each alone would take 0.2 s.
// (A lower bound, so a slow machine cannot make it fail.)
TEST_F(client, shared_link_limit_paces_parallel_responses_together) {
    const std::string payload = random_bytes(200'000);
    respond = [&payload](const net::server_request&, int) {
        net::server_response response;
        response.body = payload;
        return response;
    };
    net::server_params params;
    params.link_bytes_per_second = 1'000'000;
    start_server(params);
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    std::vector<download_outcome> outcomes(3);
    auto fetch_into = [&shared, this](download_outcome* slot) -> asio::awaitable<void> {
        *slot = co_await fetch(shared, url("/parallel"), {});
    };
    std::vector<asio::awaitable<void>> works;
    for (auto& outcome : outcomes)
        works.push_back(fetch_into(&outcome));
    auto started = std::chrono::steady_clock::now();
    run_all(std::move(works));
    auto elapsed = std::chrono::steady_clock::now() - started;
    for (const auto& outcome : outcomes)
        EXPECT_TRUE(outcome.received == payload);
    EXPECT_GE(elapsed, 550ms) << "three bodies passed a 1 MB/s link faster than it allows";
}
