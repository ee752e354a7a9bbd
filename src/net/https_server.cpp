#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/awaitable.hpp>
#include <grin/net/https_server.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <fstream>
#include <map>

namespace grin::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

struct https_server::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor executor_, server_params params_, server_handler handler_)
        : executor(std::move(executor_))
        , params(std::move(params_))
        , handler(std::move(handler_))
        , tls_context(asio::ssl::context::tls_server)
        , acceptor(executor) {}

    asio::any_io_executor executor;
    server_params params;
    server_handler handler;
    asio::ssl::context tls_context;
    tcp::acceptor acceptor;
    server_stats stats;
    std::map<std::uint64_t, tcp::socket*> live_sessions;
    std::uint64_t next_session_id = 0;
    bool stopping = false;
    // When the shared link (params.link_bytes_per_second) is free again.
    std::chrono::steady_clock::time_point link_free_at{};
};

namespace {

using impl_ptr = std::shared_ptr<https_server::impl>;

// Keeps the session's socket findable by stop() for as long as the session runs.
struct session_registration {
    session_registration(https_server::impl& server, tcp::socket& socket)
        : server_(server), id_(server.next_session_id++) {
        server_.live_sessions[id_] = &socket;
    }
    ~session_registration() { server_.live_sessions.erase(id_); }
    https_server::impl& server_;
    std::uint64_t id_;
};

std::string status_head(const server_response& response, std::uint64_t length, bool close) {
    std::string head = "HTTP/1.1 " + std::to_string(response.status) + " " +
                       std::string(http::obsolete_reason(
                           http::int_to_status(static_cast<unsigned>(response.status)))) +
                       "\r\n";
    bool has_length = false;
    for (const auto& [name, value] : response.headers) {
        head += name + ": " + value + "\r\n";
        if (beast::iequals(name, "Content-Length"))
            has_length = true;
    }
    if (!has_length)
        head += "Content-Length: " + std::to_string(length) + "\r\n";
    if (close)
        head += "Connection: close\r\n";
    return head + "\r\n";
}

void reset_connection(tcp::socket& socket) {
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
}

// Reads the next piece of the response body, from memory or from a file.
class body_reader {
public:
    explicit body_reader(const server_response& response) : response_(response) {
        if (response.body_file) {
            file_.open(*response.body_file, std::ios::binary);
            if (!file_)
                throw error("cannot open " + response.body_file->string(), {.step = "read"});
            length_ = std::filesystem::file_size(*response.body_file);
        } else {
            length_ = response.body.size();
        }
    }
    std::uint64_t length() const { return length_; }
    std::string_view next(std::size_t max) {
        if (response_.body_file) {
            buffer_.resize(max);
            file_.read(buffer_.data(), static_cast<std::streamsize>(max));
            return {buffer_.data(), static_cast<std::size_t>(file_.gcount())};
        }
        auto piece = std::string_view(response_.body).substr(offset_, max);
        offset_ += piece.size();
        return piece;
    }

private:
    const server_response& response_;
    std::ifstream file_;
    std::vector<char> buffer_;
    std::uint64_t length_ = 0;
    std::size_t offset_ = 0;
};

// Returns false when the connection must not be used again.
asio::awaitable<bool> write_response(tls_stream& stream,
                                     https_server::impl& server,
                                     const server_response& response,
                                     bool head_only) {
    const duration write_timeout = server.params.write_timeout;
    auto executor = co_await asio::this_coro::executor;
    auto& tcp_layer = beast::get_lowest_layer(stream);
    if (response.delay.count() > 0) {
        asio::steady_timer latency(executor, response.delay);
        co_await latency.async_wait(asio::use_awaitable);
    }
    if (response.abort) {
        reset_connection(tcp_layer.socket());
        co_return false;
    }
    if (response.raw) {
        tcp_layer.expires_after(write_timeout);
        co_await asio::async_write(stream, asio::buffer(*response.raw), asio::use_awaitable);
        co_return false;
    }
    body_reader body(response);
    std::string head = status_head(response, body.length(), response.close);
    tcp_layer.expires_after(write_timeout);
    co_await asio::async_write(stream, asio::buffer(head), asio::use_awaitable);
    if (head_only)
        co_return !response.close;

    // Paced bodies go out in pieces of about 1/20 s, so the pacing stays smooth.
    auto paced_chunk = [](std::uint64_t rate) {
        return rate > 0 ? std::clamp<std::size_t>(rate / 20, 1024, 64 * 1024) : 64 * 1024;
    };
    const std::size_t chunk = std::min(paced_chunk(response.bytes_per_second),
                                       paced_chunk(server.params.link_bytes_per_second));
    const auto started = std::chrono::steady_clock::now();
    std::uint64_t sent = 0;
    const bool faulty = response.fault != body_fault::none;
    for (;;) {
        std::size_t want = chunk;
        if (faulty)
            want = static_cast<std::size_t>(
                std::min<std::uint64_t>(want, response.fault_after_bytes - sent));
        std::string_view piece = want == 0 ? std::string_view{} : body.next(want);
        if (!piece.empty()) {
            if (const auto link = server.params.link_bytes_per_second; link > 0) {
                // The piece occupies the shared link for its share of a second, after the
                // pieces of parallel responses already queued; it reaches the client when
                // its slot ends, so together they never beat the link.
                const auto slot_start =
                    std::max(std::chrono::steady_clock::now(), server.link_free_at);
                server.link_free_at =
                    slot_start + std::chrono::microseconds(piece.size() * 1'000'000 / link);
                asio::steady_timer on_the_wire(executor, server.link_free_at);
                co_await on_the_wire.async_wait(asio::use_awaitable);
            }
            tcp_layer.expires_after(write_timeout);
            co_await asio::async_write(stream, asio::buffer(piece), asio::use_awaitable);
            sent += piece.size();
        }
        if (faulty && sent >= response.fault_after_bytes)
            break;
        if (piece.empty())
            co_return !response.close;
        if (response.bytes_per_second > 0) {
            auto due =
                started + std::chrono::microseconds(sent * 1'000'000 / response.bytes_per_second);
            if (due > std::chrono::steady_clock::now()) {
                asio::steady_timer pace(executor, due);
                co_await pace.async_wait(asio::use_awaitable);
            }
        }
    }
    switch (response.fault) {
    case body_fault::reset:
        reset_connection(tcp_layer.socket());
        break;
    case body_fault::stall: {
        asio::steady_timer silence(executor, response.stall_for);
        co_await silence.async_wait(use_nothrow);
        reset_connection(tcp_layer.socket());
        break;
    }
    case body_fault::truncate:
    case body_fault::none: {
        boost::system::error_code ignored;
        tcp_layer.socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp_layer.socket().close(ignored);
        break;
    }
    }
    co_return false;
}

asio::awaitable<void> run_session(impl_ptr server, tcp::socket socket) {
    tls_stream stream(std::move(socket), server->tls_context);
    auto& tcp_layer = beast::get_lowest_layer(stream);
    session_registration registration(*server, tcp_layer.socket());
    ++server->stats.connections_accepted;
    boost::system::error_code ignored_option;
    tcp_layer.socket().set_option(tcp::no_delay(true), ignored_option);
    try {
        tcp_layer.expires_after(server->params.handshake_timeout);
        co_await stream.async_handshake(asio::ssl::stream_base::server, asio::use_awaitable);
        if (SSL_session_reused(stream.native_handle()))
            ++server->stats.resumed_handshakes;
        else
            ++server->stats.full_handshakes;

        beast::flat_buffer buffer;
        for (;;) {
            http::request_parser<http::string_body> parser;
            parser.body_limit(server->params.max_request_body);
            tcp_layer.expires_after(server->params.keep_alive_timeout);
            auto [read_failed, ignored_bytes] =
                co_await http::async_read(stream, buffer, parser, use_nothrow);
            if (read_failed)
                break; // client closed, idle timeout, or garbage: end the session quietly
            ++server->stats.requests;
            auto message = parser.release();
            server_request request;
            request.method = std::string(message.method_string());
            request.target = std::string(message.target());
            for (const auto& field : message)
                request.headers.emplace_back(std::string(field.name_string()),
                                             std::string(field.value()));
            request.body = std::move(message.body());
            const bool head_only = message.method() == http::verb::head;
            const bool client_keeps_alive = message.keep_alive();

            server_response response = co_await server->handler(std::move(request));
            if (!client_keeps_alive)
                response.close = true;
            bool keep = co_await write_response(stream, *server, response, head_only);
            if (!keep || server->stopping)
                break;
        }
        if (tcp_layer.socket().is_open()) {
            tcp_layer.expires_after(std::chrono::seconds(2));
            co_await stream.async_shutdown(use_nothrow);
        }
    } catch (const std::exception& failure) {
        log::debug(std::string("emulated server session ended: ") + failure.what());
    }
}

asio::awaitable<void> accept_loop(impl_ptr server) {
    for (;;) {
        auto [failed, socket] = co_await server->acceptor.async_accept(use_nothrow);
        if (failed) {
            if (server->stopping || failed == asio::error::operation_aborted)
                co_return;
            continue;
        }
        auto session = run_session(server, std::move(socket));
        asio::co_spawn(server->executor, std::move(session), asio::detached);
    }
}

} // namespace

https_server::https_server(asio::any_io_executor executor,
                           server_params params,
                           server_handler handler)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(params), std::move(handler))) {}

https_server::~https_server() {
    stop();
}

void https_server::start() {
    auto& server = *impl_;
    boost::system::error_code failed;
    server.tls_context.use_certificate_chain_file(server.params.certificate_file.string(), failed);
    if (!failed)
        server.tls_context.use_private_key_file(server.params.private_key_file.string(),
                                                asio::ssl::context::pem, failed);
    if (failed)
        throw fatal("cannot load TLS certificate " + server.params.certificate_file.string() +
                    ": " + failed.message());
    tcp::endpoint endpoint(asio::ip::make_address(server.params.address), server.params.port);
    server.acceptor.open(endpoint.protocol());
    server.acceptor.set_option(tcp::acceptor::reuse_address(true));
    server.acceptor.bind(endpoint, failed);
    if (failed)
        throw fatal("cannot listen on " + server.params.address + ":" +
                    std::to_string(server.params.port) + ": " + failed.message());
    server.acceptor.listen();
    asio::co_spawn(server.executor, accept_loop(impl_), asio::detached);
}

void https_server::stop() {
    auto& server = *impl_;
    server.stopping = true;
    boost::system::error_code ignored;
    server.acceptor.close(ignored);
    for (auto& [id, socket] : server.live_sessions)
        socket->close(ignored);
}

std::uint16_t https_server::port() const {
    boost::system::error_code ignored;
    return impl_->acceptor.local_endpoint(ignored).port();
}

std::string https_server::base_url() const {
    std::string host = impl_->params.address;
    if (host.find(':') != std::string::npos)
        host = "[" + host + "]";
    return "https://" + host + ":" + std::to_string(port());
}

server_stats https_server::stats() const {
    return impl_->stats;
}

} // namespace grin::net
