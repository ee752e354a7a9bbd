// `grin demo`: a self-contained run of the two engines. It starts a local HTTPS server,
// then N book coroutines each fetch their record through the shared pool and write a
// book row and status rows through the database actor, and prints what both engines did.
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/progress.hpp>
#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>
#include <grin/net/http_client.hpp>
#include <grin/net/https_server.hpp>
#include <grin/net/tls_certificate.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

namespace grin::cli {
namespace asio = boost::asio;

namespace {

struct demo_options {
    std::string output_dir = "output/demo";
    int books = 500;
    int concurrency = 16;
    int connections = 4;
};

asio::awaitable<net::server_response> serve_book(net::server_request request) {
    net::server_response response;
    auto barcode = request.target.substr(request.target.rfind('/') + 1);
    response.headers.emplace_back("Content-Type", "application/json");
    response.headers.emplace_back("ETag", "\"etag-" + barcode + "\"");
    response.body = R"({"barcode":")" + barcode + R"(","title":"Annals of )" + barcode + "\"}";
    co_return response;
}

asio::awaitable<void> process_book(net::https_pool& pool,
                                   db::database& database,
                                   std::string base_url,
                                   std::string barcode) {
    net::http_request request;
    request.url = base_url + "/demo/books/" + barcode;
    net::http_response response = co_await net::send(pool, request);
    std::vector<db::queries::book_upsert> books(1);
    books[0].barcode = barcode;
    books[0].columns.push_back({"title", "Annals of " + barcode});
    books[0].columns.push_back({"grin_state", "CONVERTED"});
    co_await db::queries::upsert_books(database, std::move(books),
                                       db::queries::on_existing::refresh);
    std::vector<db::queries::status_update> updates;
    updates.push_back(
        {.barcode = barcode,
         .status_type = "sync",
         .status_value = response.ok() ? "checked" : "check_failed",
         .metadata_json = nlohmann::json{{"etag", response.header("ETag").value_or("")}}.dump()});
    std::vector<db::queries::column_value> fields;
    fields.push_back({"last_etag_check", format_iso8601_utc(now_utc())});
    co_await db::queries::record_status(database, std::move(updates), barcode, std::move(fields));
}

asio::awaitable<void> worker(net::https_pool& pool,
                             db::database& database,
                             std::string base_url,
                             int first,
                             int stride,
                             int total,
                             int& done) {
    for (int i = first; i < total; i += stride) {
        char barcode[16];
        std::snprintf(barcode, sizeof barcode, "DEMO%06d", i);
        co_await process_book(pool, database, base_url, barcode);
        ++done;
    }
}

int run_demo(const demo_options& options) {
    std::filesystem::path dir = options.output_dir;
    std::filesystem::create_directories(dir);
    auto certificate = net::ensure_self_signed_certificate(dir / "tls");

    asio::io_context io;
    net::server_params server_params;
    server_params.certificate_file = certificate.certificate;
    server_params.private_key_file = certificate.private_key;
    net::server_handler handler = [](net::server_request request) {
        return serve_book(std::move(request));
    };
    net::https_server server(io.get_executor(), server_params, handler);
    server.start();

    net::pool_params pool_params;
    pool_params.max_connections_per_host = static_cast<std::size_t>(options.connections);
    pool_params.tls.ca_file = certificate.certificate.string();
    net::https_pool pool(io.get_executor(), pool_params);
    db::database database({.path = dir / "books.db"});

    std::cout << "grin demo: " << options.books << " books, " << options.concurrency
              << " coroutines, at most " << options.connections << " connections to "
              << server.base_url() << "\n";
    const auto started = std::chrono::steady_clock::now();
    int done = 0, finished_workers = 0;
    std::exception_ptr failure;
    for (int w = 0; w < options.concurrency; ++w) {
        auto on_done = [&](std::exception_ptr error) {
            if (error && !failure)
                failure = error;
            if (++finished_workers == options.concurrency)
                io.stop();
        };
        asio::co_spawn(
            io,
            worker(pool, database, server.base_url(), w, options.concurrency, options.books, done),
            on_done);
    }
    io.run();
    database.stop();
    if (failure)
        std::rethrow_exception(failure);
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;

    auto net_stats = pool.stats();
    auto db_stats = database.stats();
    std::cout << progress_head(static_cast<std::uint64_t>(done),
                               static_cast<std::uint64_t>(options.books),
                               done / std::max(elapsed.count(), 1e-9), elapsed)
              << "\n"
              << "HTTPS pool: " << net_stats.requests << " requests over "
              << net_stats.connections_opened << " connections (" << net_stats.full_handshakes
              << " full TLS handshakes, " << net_stats.resumed_handshakes << " resumed, "
              << net_stats.reuses << " keep-alive reuses)\n"
              << "database actor: " << db_stats.writes_committed << " writes in "
              << db_stats.transactions << " transactions (largest batch " << db_stats.largest_batch
              << ")\n";
    for (const auto& op : database.metrics())
        std::printf("  %-16s count=%llu errors=%llu p50=%.2fms p95=%.2fms p99=%.2fms\n",
                    op.name.c_str(), static_cast<unsigned long long>(op.count),
                    static_cast<unsigned long long>(op.errors), op.p50.count() / 1e6,
                    op.p95.count() / 1e6, op.p99.count() / 1e6);
    std::cout << "results: " << (dir / "books.db").string() << "\n";
    return 0;
}

} // namespace

void add_demo(CLI::App& app, command_list& commands) {
    auto options = std::make_shared<demo_options>();
    auto* sub = app.add_subcommand(
        "demo", "Self-contained demonstration of the two engines: starts a local HTTPS server and "
                "runs book coroutines through the shared connection pool and the database actor");
    sub->footer("For the demo of the whole job against the bundled GRIN emulator, run "
                "scripts/demo.sh.\n\nExamples:\n  grin demo\n  grin demo --books 100000 "
                "--concurrency 256\n\nExit codes: 0 ok, 1 the demo failed, 2 usage error.");
    sub->add_option("--output-dir", options->output_dir, "Where the demo database goes")
        ->capture_default_str();
    sub->add_option("--books", options->books, "Number of books")
        ->check(CLI::Range(1, 10'000'000))
        ->capture_default_str();
    sub->add_option("--concurrency", options->concurrency, "Book coroutines in flight")
        ->check(CLI::Range(1, 10'000))
        ->capture_default_str();
    sub->add_option("--connections", options->connections, "Per-host connection limit")
        ->check(CLI::Range(1, 1'000))
        ->capture_default_str();
    commands.push_back({sub, [options] { return run_demo(*options); }});
}

} // namespace grin::cli
