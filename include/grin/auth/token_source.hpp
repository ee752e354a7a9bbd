#pragma once
// token_source: the access token every GRIN request carries, refreshed through the shared
// pool when GRIN rejects it or when its known expiry is near.
//
// Single flight: however many coroutines see a 401 at once, one refresh request is made;
// the others wait for it and use its token. A caller whose rejected token has already been
// replaced gets the new token without another refresh.
// Thread rules: the pool's executor only. Cancellation: a waiting caller can be cancelled;
// the refresh in flight continues for the others.
// Errors: grin::fatal when the token endpoint refuses the refresh token (invalid_grant:
// the user must sign in again); grin::error (step "auth") for transport failures.
#include <grin/auth/credentials.hpp>
#include <grin/net/http_client.hpp>
#include <grin/net/retry.hpp>

#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <list>

namespace grin::auth {

struct token_params {
    // Refresh ahead of a known expiry by this much (google-auth's threshold), but never
    // by more than a quarter of the token's lifetime: a short-lived token would otherwise
    // be refreshed before every request.
    net::duration refresh_margin = std::chrono::seconds(225);
    net::retry_policy refresh_retry{.max_attempts = 3, .base_delay = std::chrono::seconds(1)};
};

class token_source {
public:
    // save_to: where refreshed credentials are written (0600); empty = keep in memory.
    token_source(net::https_pool& pool,
                 stored_credentials credentials,
                 std::filesystem::path save_to,
                 token_params params = {});
    token_source(const token_source&) = delete;
    token_source& operator=(const token_source&) = delete;
    ~token_source();

    boost::asio::awaitable<std::string> access_token();
    boost::asio::awaitable<std::string> refresh_after_rejection(std::string rejected);

    std::uint64_t refresh_count() const noexcept { return refreshes_; }

private:
    boost::asio::awaitable<void> refresh_once();
    boost::asio::awaitable<void> wait_for_refresh();

    net::https_pool& pool_;
    stored_credentials credentials_;
    std::filesystem::path save_to_;
    token_params params_;
    std::optional<std::chrono::steady_clock::time_point> refresh_at_;
    bool refreshing_ = false;
    std::exception_ptr last_failure_;
    std::list<boost::asio::steady_timer*> waiters_;
    std::uint64_t refreshes_ = 0;
};

// send_with_retry() with the bearer token; on 401, or a 302 to Google's login page, the
// token is refreshed once and the request repeated. 403 becomes a grin::error (status
// 403) that says the account lacks permission. Other statuses are returned.
boost::asio::awaitable<net::http_response> authorized_send(net::https_pool& pool,
                                                           token_source& tokens,
                                                           net::http_request request,
                                                           net::retry_policy policy,
                                                           net::request_params params = {});

// download() with the bearer token and the same refresh-once rule.
boost::asio::awaitable<net::http_response> authorized_download(net::https_pool& pool,
                                                               token_source& tokens,
                                                               net::http_request request,
                                                               net::body_sink sink,
                                                               net::request_params params = {});

} // namespace grin::auth
