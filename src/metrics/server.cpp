#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/metrics/server.hpp>
#include <grin/net/awaitable.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <map>

namespace grin::metrics {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using net::use_nothrow;

struct server::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor executor_, server_params params_, request_handler handler_)
        : executor(std::move(executor_))
        , params(std::move(params_))
        , handler(std::move(handler_))
        , acceptor(executor) {}

    asio::any_io_executor executor;
    server_params params;
    request_handler handler;
    tcp::acceptor acceptor;
    std::map<std::uint64_t, beast::tcp_stream*> live;
    std::uint64_t next_id = 0;
    bool stopping = false;
};

namespace {

using impl_ptr = std::shared_ptr<server::impl>;

struct registration {
    registration(server::impl& owner, beast::tcp_stream& stream)
        : owner_(owner), id_(owner.next_id++) {
        owner_.live[id_] = &stream;
    }
    ~registration() { owner_.live.erase(id_); }
    registration(const registration&) = delete;
    registration& operator=(const registration&) = delete;
    server::impl& owner_;
    std::uint64_t id_;
};

asio::awaitable<void> run_session(impl_ptr owner, tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    registration registered(*owner, stream);
    beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(16 * 1024);
    stream.expires_after(owner->params.read_timeout);
    auto [read_failed, ignored_bytes] =
        co_await http::async_read(stream, buffer, parser, use_nothrow);
    if (read_failed || owner->stopping)
        co_return; // closed, timed out or not HTTP: nothing to answer
    const auto& request = parser.get();
    http_reply reply;
    try {
        reply = owner->handler(request.method_string(), request.target());
    } catch (const std::exception& failure) {
        reply = {.status = 500,
                 .content_type = "text/plain; charset=utf-8",
                 .body = std::string("internal error: ") + failure.what() + "\n"};
    }
    http::response<http::string_body> response;
    response.version(11);
    response.result(static_cast<unsigned>(reply.status));
    response.set(http::field::server, "grin-metrics");
    response.set(http::field::content_type, reply.content_type);
    response.set(http::field::cache_control, "no-store");
    response.keep_alive(false);
    if (request.method() != http::verb::head)
        response.body() = std::move(reply.body);
    response.prepare_payload();
    stream.expires_after(owner->params.write_timeout);
    auto [write_failed, ignored_written] =
        co_await http::async_write(stream, response, use_nothrow);
    if (!write_failed) {
        boost::system::error_code ignored;
        stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
}

asio::awaitable<void> accept_loop(impl_ptr owner) {
    for (;;) {
        auto [failed, socket] = co_await owner->acceptor.async_accept(use_nothrow);
        if (failed) {
            if (owner->stopping || failed == asio::error::operation_aborted ||
                !owner->acceptor.is_open())
                co_return;
            continue; // e.g. too many open files: keep serving
        }
        auto session = run_session(owner, std::move(socket));
        asio::co_spawn(owner->executor, std::move(session), asio::detached);
    }
}

} // namespace

bool is_loopback_address(std::string_view address) {
    if (address == "localhost")
        return true;
    boost::system::error_code failed;
    auto parsed = asio::ip::make_address(std::string(address), failed);
    if (failed)
        return false;
    if (parsed.is_v6() && parsed.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, parsed.to_v6()).is_loopback();
    return parsed.is_loopback();
}

void check_bind_address(std::string_view address, bool allow_remote) {
    boost::system::error_code failed;
    if (address != "localhost")
        asio::ip::make_address(std::string(address), failed);
    if (failed)
        throw fatal("--metrics-bind '" + std::string(address) +
                    "' is not an IP address (e.g. 127.0.0.1, ::1 or 0.0.0.0)");
    if (!allow_remote && !is_loopback_address(address))
        throw fatal("--metrics-bind " + std::string(address) +
                    " is not a loopback address: the metrics endpoints have no authentication "
                    "and show run figures (hosts, counts, timings) to anyone who can reach the "
                    "port. Add --metrics-allow-remote if that is intended (e.g. a Prometheus "
                    "server on a trusted network), or scrape through an SSH tunnel.");
}

server::server(asio::any_io_executor executor, server_params params, request_handler handler)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(params), std::move(handler))) {}

server::~server() {
    stop();
}

void server::start() {
    auto& owner = *impl_;
    std::string address = owner.params.address == "localhost" ? "127.0.0.1" : owner.params.address;
    boost::system::error_code failed;
    auto ip = asio::ip::make_address(address, failed);
    if (failed)
        throw fatal("metrics: invalid bind address '" + owner.params.address + "'");
    tcp::endpoint endpoint(ip, owner.params.port);
    owner.acceptor.open(endpoint.protocol(), failed);
    if (!failed)
        owner.acceptor.set_option(tcp::acceptor::reuse_address(true), failed);
    if (!failed)
        owner.acceptor.bind(endpoint, failed);
    if (!failed)
        owner.acceptor.listen(asio::socket_base::max_listen_connections, failed);
    if (failed)
        throw fatal("metrics: cannot listen on " + owner.params.address + ":" +
                    std::to_string(owner.params.port) + ": " + failed.message());
    asio::co_spawn(owner.executor, accept_loop(impl_), asio::detached);
}

void server::stop() {
    auto& owner = *impl_;
    owner.stopping = true;
    boost::system::error_code ignored;
    owner.acceptor.close(ignored);
    for (auto& [id, stream] : owner.live)
        stream->socket().close(ignored);
}

std::uint16_t server::port() const {
    boost::system::error_code ignored;
    return impl_->acceptor.local_endpoint(ignored).port();
}

std::string server::base_url() const {
    std::string host = impl_->params.address;
    if (host.find(':') != std::string::npos)
        host = "[" + host + "]";
    return "http://" + host + ":" + std::to_string(port());
}

} // namespace grin::metrics
