// Pooled vs per-request connections against the same local HTTPS server, same run.
// The server runs on its own thread so client and server each get a core.
#include <grin/net/http_client.hpp>
#include <grin/net/https_server.hpp>
#include <grin/net/tls_certificate.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <filesystem>
#include <thread>

namespace asio = boost::asio;
using namespace grin;
using clock_type = std::chrono::steady_clock;

namespace {

asio::awaitable<net::server_response> answer(net::server_request) {
    net::server_response response;
    response.body = std::string(512, 'x'); // the size of a small GRIN/S3 API answer
    co_return response;
}

// `reconnect`: close the connection after every request, so that each one pays a new TCP
// connection and (with resumption off in the pool) a full TLS handshake.
asio::awaitable<void>
request_loop(net::https_pool& pool, std::string url, int count, bool reconnect) {
    for (int i = 0; i < count; ++i) {
        net::http_request request;
        request.url = url;
        auto response = co_await net::send(pool, request);
        if (response.status != 200)
            throw std::runtime_error("bad status");
        if (reconnect)
            pool.close_idle();
    }
}

// The "before": every request builds its own session (TLS context with the system CA
// store, connection, handshake), as grin-transfer's session-per-request code did.
asio::awaitable<void> new_session_worker(net::pool_params params, std::string url, int count) {
    auto executor = co_await asio::this_coro::executor;
    for (int i = 0; i < count; ++i) {
        net::https_pool one_shot(executor, params);
        net::http_request request;
        request.url = url;
        auto response = co_await net::send(one_shot, request);
        if (response.status != 200)
            throw std::runtime_error("bad status");
    }
}

struct measurement {
    double seconds = 0;
    int requests = 0;
    double per_second() const { return requests / seconds; }
};

// Runs `workers` copies of the loop that make_worker(count) returns on `io`, and times
// them until all are done.
template <class MakeWorker>
measurement measure(asio::io_context& io, int workers, int per_worker, MakeWorker make_worker) {
    auto started = clock_type::now();
    for (int w = 0; w < workers; ++w)
        asio::co_spawn(io, make_worker(per_worker), [](std::exception_ptr failure) {
            if (failure)
                std::rethrow_exception(failure);
        });
    io.run();
    return {std::chrono::duration<double>(clock_type::now() - started).count(),
            workers * per_worker};
}

} // namespace

int main() {
    auto dir = std::filesystem::temp_directory_path() / "grin-bench-http-pool";
    auto files = net::ensure_self_signed_certificate(dir);
    asio::io_context server_io;
    net::server_params server_params;
    server_params.certificate_file = files.certificate;
    server_params.private_key_file = files.private_key;
    net::server_handler handler = [](net::server_request request) {
        return answer(std::move(request));
    };
    net::https_server server(server_io.get_executor(), server_params, handler);
    server.start();
    auto guard = asio::make_work_guard(server_io);
    std::thread server_thread([&] { server_io.run(); });

    net::pool_params params;
    params.tls.ca_file = files.certificate.string();
    const std::string url = server.base_url() + "/libraries/Lib/_all_books";

    struct row {
        int workers;
        measurement pooled, new_connection, new_session;
    };
    std::vector<row> rows;
    for (int workers : {1, 8}) {
        asio::io_context pooled_io;
        net::https_pool shared(pooled_io.get_executor(), params);
        auto pooled = measure(pooled_io, workers, 4000 / workers,
                              [&](int count) { return request_loop(shared, url, count, false); });

        asio::io_context connection_io;
        auto fresh_params = params;
        fresh_params.tls.resume_sessions = false;
        net::https_pool no_reuse(connection_io.get_executor(), fresh_params);
        auto new_connection = measure(connection_io, workers, 800 / workers, [&](int count) {
            return request_loop(no_reuse, url, count, true);
        });

        asio::io_context session_io;
        auto new_session = measure(session_io, workers, 160 / workers, [&](int count) {
            return new_session_worker(params, url, count);
        });
        rows.push_back({workers, pooled, new_connection, new_session});
    }

    std::printf("%-12s %12s %22s %22s %8s\n", "mode", "pooled/s", "new connection/s",
                "new session/s", "ratio");
    for (auto& r : rows)
        std::printf("%-12s %12.0f %22.0f %22.0f %8.1f\n",
                    r.workers == 1 ? "sequential" : "8 concurrent", r.pooled.per_second(),
                    r.new_connection.per_second(), r.new_session.per_second(),
                    r.pooled.per_second() / r.new_connection.per_second());
    std::printf("(ratio = pooled / new connection + full TLS handshake per request; a new\n"
                " session per request also reloads the system CA store and is slower still)\n");
    for (auto& r : rows)
        std::printf("BENCH http_pool mode=%s workers=%d pooled_req_per_s=%.0f "
                    "new_connection_req_per_s=%.0f new_session_req_per_s=%.0f ratio=%.1f "
                    "ratio_vs_new_session=%.1f\n",
                    r.workers == 1 ? "sequential" : "concurrent", r.workers, r.pooled.per_second(),
                    r.new_connection.per_second(), r.new_session.per_second(),
                    r.pooled.per_second() / r.new_connection.per_second(),
                    r.pooled.per_second() / r.new_session.per_second());

    guard.reset();
    server_io.stop();
    server_thread.join();
    return 0;
}
