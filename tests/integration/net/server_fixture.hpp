#pragma once
// A real HTTPS server on loopback plus a pool that trusts it, on one io_context.
#include <grin/net/http_client.hpp>
#include <grin/net/https_server.hpp>
#include <grin/net/tls_certificate.hpp>

#include <gtest/gtest.h>

#include "io_fixture.hpp"
#include "test_support.hpp"

namespace grin::test {

class server_fixture : public ::testing::Test, public io_fixture {
public:
    // Called for every request with its 1-based sequence number.
    std::function<net::server_response(const net::server_request&, int)> respond =
        [](const net::server_request&, int) {
            net::server_response response;
            response.body = "hello";
            return response;
        };
    int requests_seen = 0;
    temp_dir certificates;
    std::unique_ptr<net::https_server> server;

    void start_server(net::server_params params = {},
                      const std::vector<std::string>& names = {"127.0.0.1", "localhost"}) {
        auto files = net::ensure_self_signed_certificate(certificates.path(), names);
        params.certificate_file = files.certificate;
        params.private_key_file = files.private_key;
        auto handler = [this](net::server_request request) {
            return answer(this, std::move(request));
        };
        server = std::make_unique<net::https_server>(io.get_executor(), params, handler);
        server->start();
    }

    net::pool_params trusting_pool_params() const {
        net::pool_params params;
        params.tls.ca_file = (certificates.path() / "cert.pem").string();
        return params;
    }

    std::string url(const std::string& path = "/") const { return server->base_url() + path; }

private:
    static boost::asio::awaitable<net::server_response> answer(server_fixture* self,
                                                               net::server_request request) {
        int sequence = ++self->requests_seen;
        co_return self->respond(request, sequence);
    }
};

inline net::http_request get(std::string url) {
    net::http_request request;
    request.url = std::move(url);
    return request;
}

} // namespace grin::test
