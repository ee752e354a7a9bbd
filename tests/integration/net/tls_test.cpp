// TLS verification is on by default: a wrong CA or a wrong host name is refused.
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include "server_fixture.hpp"

using namespace grin;
using namespace std::chrono_literals;

namespace {

boost::asio::awaitable<int> status_of(net::https_pool& pool, std::string url) {
    net::http_request request = test::get(url);
    net::http_response response = co_await net::send(pool, request);
    co_return response.status;
}

} // namespace

using tls = test::server_fixture;

TEST_F(tls, untrusted_certificate_is_refused) {
    start_server();
    test::temp_dir other;
    auto other_ca = net::ensure_self_signed_certificate(other.path());
    net::pool_params params;
    params.tls.ca_file = other_ca.certificate.string();
    net::https_pool shared(io.get_executor(), params);
    try {
        run(status_of(shared, url("/")));
        FAIL() << "a certificate from an untrusted CA was accepted";
    } catch (const grin::error& failure) {
        EXPECT_EQ(failure.context().step, "handshake");
        EXPECT_NE(std::string(failure.what()).find("certificate verify failed"), std::string::npos)
            << failure.what();
    }
}

TEST_F(tls, wrong_host_name_is_refused) {
    start_server({}, {"grin.example"}); // the certificate does not name 127.0.0.1
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    try {
        run(status_of(shared, url("/")));
        FAIL() << "a certificate for another host was accepted";
    } catch (const grin::error& failure) {
        EXPECT_EQ(failure.context().step, "handshake");
    }
}

// Turned off, and never silently: the pool says so even when the log level hides warnings.
TEST_F(tls, verification_can_be_turned_off_explicitly) {
    start_server({}, {"grin.example"});
    net::pool_params params;
    params.tls.verify = false;
    std::string logged;
    auto level = log::current_level();
    log::set_level(log::level::off);
    auto old = log::set_sink([&](log::level, std::string_view line) { logged += line; });
    net::https_pool shared(io.get_executor(), params);
    log::set_sink(old);
    log::set_level(level);
    EXPECT_EQ(logged, net::tls_verification_off_warning);
    EXPECT_EQ(run(status_of(shared, url("/"))), 200);
}

TEST_F(tls, trusted_certificate_for_the_host_is_accepted) {
    start_server();
    net::https_pool shared(io.get_executor(), trusting_pool_params());
    EXPECT_EQ(run(status_of(shared, url("/"))), 200);
}

TEST(tls_files, missing_ca_file_is_a_fatal_error_naming_it) {
    boost::asio::io_context io;
    net::pool_params params;
    params.tls.ca_file = "/nonexistent/ca.pem";
    try {
        net::https_pool shared(io.get_executor(), params);
        FAIL() << "expected grin::fatal";
    } catch (const grin::fatal& failure) {
        EXPECT_NE(std::string(failure.what()).find("/nonexistent/ca.pem"), std::string::npos);
    }
}
