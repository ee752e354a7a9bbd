// grin-emulator: a faithful GRIN on loopback (grin-protocol.md section 7) for tests,
// benchmarks and the demo. Prints "listening on https://127.0.0.1:PORT" when ready.
#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/emulator/archive_cache.hpp>
#include <grin/emulator/credentials_writer.hpp>
#include <grin/emulator/faults.hpp>
#include <grin/emulator/https_frontend.hpp>
#include <grin/emulator/router.hpp>
#include <grin/net/tls_certificate.hpp>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <iostream>
#include <thread>

namespace asio = boost::asio;
using namespace grin;

namespace {

struct emulator_options {
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;
    std::vector<std::string> libraries;
    std::uint64_t books = 1000;
    std::uint64_t archive_size = 64 * 1024;
    double converted_fraction = 0.8;
    double failed_fraction = 0.05;
    std::string passphrase_file;
    std::uint32_t s2k_count = 65011712; // gpg's default here
    std::uint64_t seed = 1;
    std::string data_dir = "emulator-data";
    std::string tls_dir;
    unsigned latency_ms = 0;
    std::uint64_t bandwidth = 0;
    std::uint64_t link_bandwidth = 0;
    std::uint64_t queue_cap = 50'000;
    long long token_lifetime = 3599;
    std::int64_t page_size = 100;
    std::vector<std::string> deny;
    bool login_redirect = false;
    double fault_5xx = 0, fault_429 = 0, fault_reset = 0, fault_truncate = 0, fault_stall = 0,
           fault_no_etag = 0, fault_redirect = 0;
    std::vector<std::string> fault_rules;
    std::string write_credentials;
    std::uint64_t corrupt_archives = 0;
    bool next_when_full = false;
    bool empty_table_past_end = false;
    bool dates_with_time = false;
    unsigned workers = 2;
};

void add_probability_rule(emulator::router& routes,
                          const char* route_list,
                          const std::string& what,
                          double probability) {
    if (probability <= 0)
        return;
    std::string list = route_list;
    std::size_t start = 0;
    while (start < list.size()) {
        auto comma = list.find('|', start);
        auto name =
            list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        routes.faults().add(emulator::parse_fault_rule("route=" + name + "," + what +
                                                       ",p=" + std::to_string(probability)));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
}

int run(const emulator_options& options) {
    std::filesystem::path data_dir = options.data_dir;
    std::filesystem::create_directories(data_dir);
    std::filesystem::path tls_dir =
        options.tls_dir.empty() ? data_dir / "tls" : std::filesystem::path(options.tls_dir);
    auto certificate = net::ensure_self_signed_certificate(tls_dir);

    std::string passphrase = options.passphrase_file.empty()
                                 ? emulator::default_passphrase(options.seed)
                                 : read_file(options.passphrase_file);
    while (!passphrase.empty() && (passphrase.back() == '\n' || passphrase.back() == '\r'))
        passphrase.pop_back();
    log::add_secret(passphrase);

    emulator::router_params params;
    params.seed = options.seed;
    params.libraries.clear();
    auto libraries =
        options.libraries.empty() ? std::vector<std::string>{"Harvard"} : options.libraries;
    for (const auto& name : libraries) {
        emulator::library_params library;
        library.catalogue.seed = options.seed;
        library.catalogue.library = name;
        library.catalogue.book_count = options.books;
        library.catalogue.converted_fraction = options.converted_fraction;
        library.catalogue.failed_fraction = options.failed_fraction;
        library.queue_cap = options.queue_cap;
        params.libraries.push_back(library);
    }
    params.tokens.lifetime = std::chrono::seconds(options.token_lifetime);
    params.tokens.seed = options.seed;
    params.default_result_count = options.page_size;
    params.pages.next_when_full = options.next_when_full;
    params.pages.empty_table_past_end = options.empty_table_past_end;
    params.pages.dates_with_time = options.dates_with_time;
    params.login_redirect = options.login_redirect;
    params.denied_libraries = {options.deny.begin(), options.deny.end()};
    params.redirect_archives = options.fault_redirect > 0;
    // Absolute Locations (redirects) use the Host header the client sent.

    emulator::archive_cache_params cache;
    cache.data_dir = data_dir;
    cache.seed = options.seed;
    cache.passphrase = passphrase;
    cache.s2k_count = options.s2k_count;
    // ~7.5 pages per book on average, nearly all of an archive is page images.
    cache.image_bytes_per_page = std::max<std::uint64_t>(1, options.archive_size / 8);
    auto archives = std::make_shared<emulator::archive_cache>(cache);
    emulator::router routes(params, archives);

    add_probability_rule(routes, "archive_head|archive_get|all_books|converted", "status=503",
                         options.fault_5xx);
    add_probability_rule(routes, "archive_get|all_books|process", "status=429", options.fault_429);
    add_probability_rule(routes, "archive_get|all_books", "fault=reset_mid_body,after=1000",
                         options.fault_reset);
    add_probability_rule(routes, "archive_get|all_books", "fault=truncate,after=1000",
                         options.fault_truncate);
    add_probability_rule(routes, "archive_get", "fault=stall_mid_body,after=1000,stall_ms=120000",
                         options.fault_stall);
    add_probability_rule(routes, "archive_head|archive_get", "fault=no_etag",
                         options.fault_no_etag);
    for (const auto& spec : options.fault_rules)
        routes.faults().add(emulator::parse_fault_rule(spec));
    // The first N converted books of each library get archives whose ciphertext is
    // damaged: they download fine and fail the integrity check.
    for (const auto& name : libraries) {
        auto* library = routes.library(name);
        std::uint64_t corrupted = 0;
        for (std::uint64_t i = 0; i < library->size() && corrupted < options.corrupt_archives; ++i)
            if (library->books().is_converted(i) &&
                library->set_defect(library->books().barcode_at(i),
                                    emulator::archive_defect::corrupt_openpgp))
                ++corrupted;
    }

    asio::io_context io;
    emulator::frontend_params frontend;
    frontend.server.address = options.address;
    frontend.server.port = options.port;
    frontend.server.certificate_file = certificate.certificate;
    frontend.server.private_key_file = certificate.private_key;
    frontend.latency = std::chrono::milliseconds(options.latency_ms);
    frontend.bytes_per_second = options.bandwidth;
    frontend.server.link_bytes_per_second = options.link_bandwidth;
    frontend.worker_threads = options.workers;
    emulator::https_frontend server(io.get_executor(), routes, frontend);
    server.start();

    if (!options.write_credentials.empty()) {
        emulator::credentials_params credentials;
        credentials.origin = server.base_url();
        credentials.client = routes.tokens().client();
        credentials.access_token = routes.tokens().issue();
        credentials.passphrase = passphrase;
        std::filesystem::path dir = options.write_credentials;
        emulator::write_credentials(dir, credentials);
        std::filesystem::copy_file(certificate.certificate, dir / "emulator-ca.pem",
                                   std::filesystem::copy_options::overwrite_existing);
    }

    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) {
        server.stop();
        io.stop();
    });
    std::cout << "listening on " << server.base_url() << std::endl;
    io.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    emulator_options options;
    CLI::App app{
        "grin-emulator: a GRIN (Google Return Interface) on loopback, for tests and demos"};
    app.add_option("--address", options.address, "Address to listen on")->capture_default_str();
    app.add_option("--port", options.port, "Port (0: pick a free one)")->capture_default_str();
    app.add_option("--library", options.libraries,
                   "Library directory to serve (repeatable; default Harvard)");
    app.add_option("--books", options.books, "Books per library")->capture_default_str();
    app.add_option("--archive-size", options.archive_size, "Approximate archive size in bytes")
        ->capture_default_str();
    app.add_option("--converted-fraction", options.converted_fraction,
                   "Share of books that are converted")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--failed-fraction", options.failed_fraction,
                   "Share of books whose conversion failed")
        ->check(CLI::Range(0.0, 1.0))
        ->capture_default_str();
    app.add_option("--passphrase-file", options.passphrase_file,
                   "GPG passphrase (default: derived from the seed)")
        ->check(CLI::ExistingFile);
    app.add_option("--s2k-count", options.s2k_count,
                   "OpenPGP S2K iteration count (tests use a low one)")
        ->capture_default_str();
    app.add_option("--seed", options.seed, "Seed of the catalogue, archives, tokens and faults")
        ->capture_default_str();
    app.add_option("--data-dir", options.data_dir, "Where generated archives are cached")
        ->capture_default_str();
    app.add_option("--tls-dir", options.tls_dir,
                   "Certificate directory (created if missing; default DATA_DIR/tls)");
    app.add_option("--latency", options.latency_ms, "Milliseconds before every response")
        ->capture_default_str();
    app.add_option("--bandwidth", options.bandwidth,
                   "Bytes per second per response body (0: unlimited)")
        ->capture_default_str();
    app.add_option("--link-bandwidth", options.link_bandwidth,
                   "Bytes per second shared by all response bodies, like one uplink "
                   "(0: unlimited)")
        ->capture_default_str();
    app.add_option("--queue-cap", options.queue_cap, "GRIN's conversion queue limit")
        ->capture_default_str();
    app.add_option("--token-lifetime", options.token_lifetime, "Access token lifetime in seconds")
        ->capture_default_str();
    app.add_option("--page-size", options.page_size,
                   "Rows per list page when the client gives no result_count")
        ->capture_default_str();
    app.add_option("--deny", options.deny, "Answer 403 for this library (repeatable)");
    app.add_flag("--login-redirect", options.login_redirect,
                 "Reject tokens with a 302 to the Google login page instead of 401");
    app.add_option("--fault-5xx", options.fault_5xx, "Probability of a 503 on lists and archives")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--fault-429", options.fault_429, "Probability of a 429")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--fault-reset", options.fault_reset,
                   "Probability of a connection reset mid-body")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--fault-truncate", options.fault_truncate, "Probability of a truncated body")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--fault-stall", options.fault_stall,
                   "Probability of a stalled archive download")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--fault-no-etag", options.fault_no_etag,
                   "Probability of an archive answer without ETag")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--fault-redirect", options.fault_redirect,
                   "Serve archives through a 302 redirect (any value > 0)")
        ->check(CLI::Range(0.0, 1.0));
    app.add_option("--fault", options.fault_rules,
                   "A fault rule, e.g. route=archive_get,status=503,first=2 (repeatable)");
    app.add_option("--write-credentials", options.write_credentials,
                   "Write a ready GRIN_CREDENTIALS_DIR for this emulator here");
    app.add_flag("--next-when-full", options.next_when_full,
                 "A full last page still has a Next link (the client then meets the page past "
                 "the end)");
    app.add_flag("--empty-table-past-end", options.empty_table_past_end,
                 "Past the end, answer an empty table instead of 'Your request is unavailable'");
    app.add_flag("--dates-with-time", options.dates_with_time,
                 "List dates as YYYY/MM/DD HH:MM (real GRIN lists show the date only)");
    app.add_option("--corrupt-archives", options.corrupt_archives,
                   "Damage the archives of the first N converted books of each library")
        ->capture_default_str();
    app.add_option("--workers", options.workers, "Threads that build archives and answer requests")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        return run(options);
    } catch (const grin::fatal& stop) {
        std::cerr << "grin-emulator: " << stop.what() << '\n';
        return stop.exit_code();
    } catch (const std::exception& failure) {
        std::cerr << "grin-emulator: " << failure.what() << '\n';
        return 1;
    }
}
