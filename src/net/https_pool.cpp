#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/awaitable.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>

#include <sys/socket.h>

#include "pool_state.hpp"

namespace grin::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

namespace detail {
namespace {

// SSL ex_data slot that points a connection at its host's session_slot, so that the
// new-session callback knows where to keep the ticket the server sends.
int session_slot_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

// TLS 1.3 tickets arrive after the handshake, with the first response; OpenSSL hands them
// to this callback, and the next connection to the host offers the newest one.
int remember_session(SSL* ssl, SSL_SESSION* session) {
    auto* slot = static_cast<session_slot*>(SSL_get_ex_data(ssl, session_slot_index()));
    if (!slot)
        return 0;
    if (slot->session)
        SSL_SESSION_free(slot->session);
    slot->session = session;
    return 1; // we keep the reference
}

asio::ssl::context make_tls_context(const tls_params& tls) {
    asio::ssl::context context(asio::ssl::context::tls_client);
    context.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
    if (tls.verify) {
        context.set_default_verify_paths();
        if (!tls.ca_file.empty()) {
            boost::system::error_code failed;
            context.load_verify_file(tls.ca_file, failed);
            if (failed)
                throw fatal("cannot load CA file " + tls.ca_file + ": " + failed.message());
        }
        context.set_verify_mode(asio::ssl::verify_peer);
    } else {
        context.set_verify_mode(asio::ssl::verify_none);
    }
    SSL_CTX_set_session_cache_mode(context.native_handle(),
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(context.native_handle(), remember_session);
    return context;
}

// A keep-alive connection the server has closed shows up as readable: EOF, or a TLS
// close_notify alert. Checking costs one syscall and saves a failed request.
bool looks_alive(connection& conn) {
    auto& socket = beast::get_lowest_layer(conn.stream).socket();
    if (!socket.is_open())
        return false;
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Closing without a TLS close_notify makes OpenSSL mark the session non-resumable when the
// SSL object is freed; a quiet close keeps the ticket valid for the next connection.
void discard(connection& conn) {
    SSL_set_shutdown(conn.stream.native_handle(), SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    boost::system::error_code ignored;
    beast::get_lowest_layer(conn.stream).socket().close(ignored);
}

std::string describe_system_error(const boost::system::system_error& failure) {
    std::string message = failure.code().message();
    if (failure.code().category() == asio::error::get_ssl_category()) {
        // OpenSSL's reason string says more than the generic category text.
        if (auto reason =
                ERR_reason_error_string(static_cast<unsigned long>(failure.code().value())))
            message = reason;
    }
    return message;
}

[[noreturn]] void throw_step(const boost::system::system_error& failure,
                             const char* step,
                             const std::string& origin) {
    if (failure.code() == asio::error::operation_aborted)
        throw; // cancellation stays a cancellation
    throw error(std::string(step) + " failed: " + describe_system_error(failure),
                {.step = step, .url = origin});
}

asio::awaitable<tcp::resolver::results_type> resolve(url origin, duration timeout) {
    using namespace asio::experimental::awaitable_operators;
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    asio::steady_timer deadline(executor, timeout);
    auto outcome =
        co_await (resolver.async_resolve(origin.host, std::to_string(origin.port), use_nothrow) ||
                  deadline.async_wait(use_nothrow));
    if (outcome.index() == 1)
        throw error("resolve timed out", {.step = "resolve", .url = origin.origin()});
    auto [failed, results] = std::get<0>(outcome);
    if (failed)
        throw error("cannot resolve host " + origin.host + ": " + failed.message(),
                    {.step = "resolve", .url = origin.origin()});
    co_return results;
}

} // namespace

pool_state::pool_state(asio::any_io_executor executor_, pool_params params_)
    : executor(std::move(executor_))
    , params(std::move(params_))
    , tls_context(make_tls_context(params.tls)) {}

void pool_state::notify_one(host_state& host) {
    if (host.waiters.empty())
        return;
    waiter* next = host.waiters.front();
    host.waiters.pop_front();
    next->notified = true;
    next->timer.cancel();
}

void pool_state::give_back(const std::string& origin,
                           std::unique_ptr<connection> conn,
                           bool reusable) {
    auto& host = hosts[origin];
    if (reusable) {
        conn->idle_since = std::chrono::steady_clock::now();
        host.idle.push_back(std::move(conn));
    } else {
        discard(*conn);
        --host.open;
        --stats.open_connections;
    }
    notify_one(host);
}

void pool_state::close_idle() {
    for (auto& [origin, host] : hosts) {
        for (auto& conn : host.idle) {
            discard(*conn);
            --host.open;
            --stats.open_connections;
        }
        host.idle.clear();
        while (!host.waiters.empty())
            notify_one(host);
    }
}

asio::awaitable<std::unique_ptr<connection>>
open_connection(pool_state& state, url origin, host_state& host) {
    const std::string key = origin.origin();
    auto results = co_await resolve(origin, state.params.resolve_timeout);
    auto conn = std::make_unique<connection>(state.executor, state.tls_context);
    auto& tcp_layer = beast::get_lowest_layer(conn->stream);
    try {
        tcp_layer.expires_after(state.params.connect_timeout);
        co_await tcp_layer.async_connect(results, asio::use_awaitable);
    } catch (const boost::system::system_error& failure) {
        throw_step(failure, "connect", key);
    }
    tcp_layer.socket().set_option(tcp::no_delay(true));
    if (origin.scheme == "http") {
        conn->tls = false;
        tcp_layer.expires_never();
        ++state.stats.connections_opened;
        co_return conn;
    }

    SSL* ssl = conn->stream.native_handle();
    if (!is_ip_address(origin.host))
        SSL_set_tlsext_host_name(ssl, origin.host.c_str()); // SNI is for names only
    if (state.params.tls.verify)
        conn->stream.set_verify_callback(asio::ssl::host_name_verification(origin.host));
    SSL_set_ex_data(ssl, session_slot_index(), &host.tls_session);
    if (host.tls_session.session && state.params.tls.resume_sessions)
        SSL_set_session(ssl, host.tls_session.session);
    try {
        tcp_layer.expires_after(state.params.handshake_timeout);
        co_await conn->stream.async_handshake(asio::ssl::stream_base::client, asio::use_awaitable);
    } catch (const boost::system::system_error& failure) {
        throw_step(failure, "handshake", key);
    }
    tcp_layer.expires_never();
    ++state.stats.connections_opened;
    if (SSL_session_reused(ssl))
        ++state.stats.resumed_handshakes;
    else
        ++state.stats.full_handshakes;
    co_return conn;
}

asio::awaitable<lease> pool_state::acquire(url origin, bool fresh) {
    const std::string key = origin.origin();
    auto self = shared_from_this();
    const auto deadline = std::chrono::steady_clock::now() + params.acquire_timeout;
    for (;;) {
        auto& host = hosts[key];
        // Oldest idle first: under steady load every kept connection is used in turn, so
        // none sits out the idle timeout only to be reopened at the next burst (a stack
        // let the bottom ones expire: 30 opened for a pool of 26 in bench set a).
        while (!fresh && !host.idle.empty()) {
            auto conn = std::move(host.idle.front());
            host.idle.erase(host.idle.begin());
            auto age = std::chrono::steady_clock::now() - conn->idle_since;
            if (age > params.idle_timeout || !looks_alive(*conn)) {
                discard(*conn);
                --host.open;
                --stats.open_connections;
                continue;
            }
            ++stats.reuses;
            lease granted;
            granted.state_ = self;
            granted.connection_ = std::move(conn);
            granted.origin_ = key;
            granted.reused_ = true;
            co_return granted;
        }
        if (fresh && host.open >= params.max_connections_per_host && !host.idle.empty()) {
            // Make room for the fresh connection by dropping an idle one.
            auto conn = std::move(host.idle.front());
            host.idle.erase(host.idle.begin());
            discard(*conn);
            --host.open;
            --stats.open_connections;
        }
        if (host.open < params.max_connections_per_host) {
            ++host.open;
            ++stats.open_connections;
            stats.peak_open_connections =
                std::max<std::uint64_t>(stats.peak_open_connections, host.open);
            std::unique_ptr<connection> conn;
            try {
                conn = co_await open_connection(*this, origin, host);
            } catch (const std::exception& failure) {
                auto& again = hosts[key];
                --again.open;
                --stats.open_connections;
                again.last_error = failure.what();
                notify_one(again);
                throw;
            }
            lease granted;
            granted.state_ = self;
            granted.connection_ = std::move(conn);
            granted.origin_ = key;
            co_return granted;
        }
        // At the per-host limit: park until a lease comes back or the deadline passes.
        waiter parked(executor);
        parked.timer.expires_at(deadline);
        host.waiters.push_back(&parked);
        auto [woken] = co_await parked.timer.async_wait(use_nothrow);
        auto& again = hosts[key];
        std::erase(again.waiters, &parked);
        if (parked.notified)
            continue;
        if (woken == asio::error::operation_aborted)
            throw boost::system::system_error(woken, "waiting for a connection");
        throw error("timed out waiting for a free connection (limit " +
                        std::to_string(params.max_connections_per_host) + " per host" +
                        (again.last_error.empty() ? "" : "; last error: " + again.last_error) + ")",
                    {.step = "acquire", .url = key});
    }
}

} // namespace detail

lease::lease(lease&& other) noexcept
    : state_(std::move(other.state_))
    , connection_(std::move(other.connection_))
    , origin_(std::move(other.origin_))
    , reused_(other.reused_) {}

lease& lease::operator=(lease&& other) noexcept {
    if (this != &other) {
        reset();
        state_ = std::move(other.state_);
        connection_ = std::move(other.connection_);
        origin_ = std::move(other.origin_);
        reused_ = other.reused_;
    }
    return *this;
}

lease::~lease() {
    reset();
}

void lease::reset() noexcept {
    if (state_ && connection_)
        state_->give_back(origin_, std::move(connection_), false);
    state_.reset();
}

void lease::release_reusable() {
    if (state_ && connection_)
        state_->give_back(origin_, std::move(connection_), true);
    state_.reset();
}

https_pool::https_pool(asio::any_io_executor executor, pool_params params)
    : state_(std::make_shared<detail::pool_state>(std::move(executor), std::move(params))) {
    // Every command builds its pool after opening the run's log, so this reaches both the
    // console and the log file; it is here, not in the commands, so that no way of turning
    // verification off can stay silent.
    if (!state_->params.tls.verify)
        log::security_warning(tls_verification_off_warning);
}

https_pool::~https_pool() {
    state_->close_idle();
}

asio::awaitable<lease> https_pool::acquire(url origin, bool fresh) {
    if (origin.scheme != "https" && origin.scheme != "http")
        throw error("only https and http URLs are supported by the pool",
                    {.step = "connect", .url = origin.origin()});
    return state_->acquire(std::move(origin), fresh);
}

void https_pool::close_idle() {
    state_->close_idle();
}
pool_stats https_pool::stats() const {
    return state_->stats;
}
std::vector<response_count> https_pool::response_counts() const {
    std::vector<response_count> result;
    result.reserve(state_->responses.size());
    for (const auto& [key, count] : state_->responses)
        result.push_back({.host = key.first, .status = key.second, .count = count});
    return result;
}
const pool_params& https_pool::params() const {
    return state_->params;
}
asio::any_io_executor https_pool::get_executor() const {
    return state_->executor;
}

} // namespace grin::net
