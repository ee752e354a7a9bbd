#pragma once
// net::https_pool: the one shared HTTPS connection pool of a run (DESIGN section 4).
//
// Connections are keyed by origin (scheme + host + port). `co_await pool.acquire(origin)`
// returns a move-only `lease`: an idle keep-alive connection when one is alive, else a new
// one (resolve, connect, TLS handshake with SNI, host-name verification and session
// resumption), else it waits until the per-host limit frees a slot.
// http:// origins are pooled the same way without TLS: S3-compatible endpoints (a MinIO
// on the local network) are often plain HTTP. GRIN is https only (api::client's URLs),
// and TLS verification of https origins is unaffected.
//
// Thread rules: the pool and its leases are used from the pool's executor only (the run's
// single I/O thread); no locking. Leases may outlive the pool object.
// Timeouts: every phase has its own named deadline in pool_params; waiting for a slot is
// bounded by acquire_timeout and reports the host's last connect error.
// Cancellation: acquire() honours the awaiting coroutine's cancellation slot (waiting,
// resolving, connecting and handshaking all stop with operation_aborted).
// Errors: grin::error with step "resolve", "connect", "handshake" or "acquire" and the
// origin as url.
#include <grin/net/url.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grin::net {

using namespace std::chrono_literals;
using duration = std::chrono::steady_clock::duration;

struct tls_params {
    // Extra trust anchor (PEM file) added to the system store, e.g. the emulator's CA.
    std::string ca_file;
    // Peer verification (chain + host name). Off only through an explicit flag (--insecure);
    // a pool built with it off says so with log::security_warning (no log level hides it).
    bool verify = true;
    // Offer the last session ticket on new connections (abbreviated handshake).
    bool resume_sessions = true;
};

// What a pool with tls.verify off logs when it is created.
inline constexpr const char* tls_verification_off_warning =
    "TLS CERTIFICATE VERIFICATION IS OFF (--insecure): this run's HTTPS connections (GRIN, "
    "the OAuth token endpoint, S3) accept any certificate, so anyone on the network path can "
    "read the access token and the archives. For a private CA (the emulator) use --ca-file "
    "instead; never use --insecure against real GRIN.";

struct pool_params {
    std::size_t max_connections_per_host = 8;
    duration resolve_timeout = 10s;
    duration connect_timeout = 10s;
    duration handshake_timeout = 15s;
    // An idle connection older than this is closed instead of reused: servers drop idle
    // keep-alive connections (GRIN, S3 after ~20 s), and a dead one costs a retry.
    duration idle_timeout = 15s;
    // How long acquire() may wait for a free slot under the per-host limit.
    duration acquire_timeout = 300s;
    tls_params tls;
};

// Monotonic counters since the pool was created; they prove reuse in tests and benches.
struct pool_stats {
    std::uint64_t connections_opened = 0;
    std::uint64_t full_handshakes = 0;
    std::uint64_t resumed_handshakes = 0;
    std::uint64_t requests = 0;
    std::uint64_t reuses = 0;           // leases served from an idle connection
    std::uint64_t stale_retries = 0;    // requests repeated because a reused connection was dead
    std::uint64_t open_connections = 0; // now: idle + in use + connecting
    std::uint64_t peak_open_connections = 0; // max of open_connections for any one host
};

// Requests by host and the HTTP status of their response; status 0: the request failed
// before any response arrived (write or header-read error or timeout).
struct response_count {
    std::string host;
    int status = 0;
    std::uint64_t count = 0;
};

namespace detail {
struct connection;
struct pool_state;
} // namespace detail

class lease {
public:
    lease() = default;
    lease(lease&& other) noexcept;
    lease& operator=(lease&& other) noexcept;
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    // Closes the connection unless release_reusable() was called: after an exception,
    // a timeout or a half-read body its state is unknown.
    ~lease();

    bool valid() const noexcept { return connection_ != nullptr; }
    // True when the connection had served an earlier request (it may have gone stale).
    bool reused() const noexcept { return reused_; }
    // Call only after a complete keep-alive response was read: hands the connection
    // back to the pool for the next request.
    void release_reusable();

    detail::connection& connection() const noexcept { return *connection_; }
    detail::pool_state& pool() const noexcept { return *state_; }

private:
    friend struct detail::pool_state;
    void reset() noexcept;

    std::shared_ptr<detail::pool_state> state_;
    std::unique_ptr<detail::connection> connection_;
    std::string origin_;
    bool reused_ = false;
};

class https_pool {
public:
    https_pool(boost::asio::any_io_executor executor, pool_params params = {});
    https_pool(const https_pool&) = delete;
    https_pool& operator=(const https_pool&) = delete;
    ~https_pool();

    // `fresh`: never hand out an idle connection (used to retry after a stale one).
    boost::asio::awaitable<lease> acquire(url origin, bool fresh = false);

    // Closes every idle connection (open leases are unaffected).
    void close_idle();

    pool_stats stats() const;
    // Sorted by host, then status.
    std::vector<response_count> response_counts() const;
    const pool_params& params() const;
    boost::asio::any_io_executor get_executor() const;

private:
    std::shared_ptr<detail::pool_state> state_;
};

} // namespace grin::net
