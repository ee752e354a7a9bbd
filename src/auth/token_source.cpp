#include <grin/auth/token_source.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/awaitable.hpp>
#include <grin/net/url.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <nlohmann/json.hpp>

namespace grin::auth {
namespace asio = boost::asio;

token_source::token_source(net::https_pool& pool,
                           stored_credentials credentials,
                           std::filesystem::path save_to,
                           token_params params)
    : pool_(pool)
    , credentials_(std::move(credentials))
    , save_to_(std::move(save_to))
    , params_(std::move(params)) {
    register_secrets(credentials_);
}

token_source::~token_source() = default;

asio::awaitable<std::string> token_source::access_token() {
    bool near_expiry = refresh_at_ && std::chrono::steady_clock::now() >= *refresh_at_;
    if (near_expiry || refreshing_) {
        std::string current = credentials_.token;
        co_return co_await refresh_after_rejection(current);
    }
    co_return credentials_.token;
}

asio::awaitable<std::string> token_source::refresh_after_rejection(std::string rejected) {
    if (refreshing_) {
        co_await wait_for_refresh();
    } else if (rejected == credentials_.token) {
        refreshing_ = true;
        last_failure_ = nullptr;
        try {
            co_await refresh_once();
        } catch (...) {
            last_failure_ = std::current_exception();
        }
        refreshing_ = false;
        for (auto* waiter : waiters_)
            waiter->cancel();
        waiters_.clear();
    }
    if (last_failure_ && rejected == credentials_.token)
        std::rethrow_exception(last_failure_);
    co_return credentials_.token;
}

asio::awaitable<void> token_source::wait_for_refresh() {
    asio::steady_timer parked(co_await asio::this_coro::executor,
                              asio::steady_timer::time_point::max());
    waiters_.push_back(&parked);
    auto [woken] = co_await parked.async_wait(net::use_nothrow);
    bool still_listed = std::erase(waiters_, &parked) > 0;
    if (still_listed) // cancelled by our caller, not by the end of the refresh
        throw boost::system::system_error(woken, "waiting for a token refresh");
}

asio::awaitable<void> token_source::refresh_once() {
    net::http_request request;
    request.method = "POST";
    request.url = credentials_.token_uri;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    std::string scopes;
    for (const auto& scope : required_scopes())
        scopes += (scopes.empty() ? "" : " ") + scope;
    request.body =
        "grant_type=refresh_token&client_id=" + net::encode_query_value(credentials_.client_id) +
        "&client_secret=" + net::encode_query_value(credentials_.client_secret) +
        "&refresh_token=" + net::encode_query_value(credentials_.refresh_token) +
        "&scope=" + net::encode_query_value(scopes);
    log::info("refreshing the GRIN access token");
    net::http_response response =
        co_await net::send_with_retry(pool_, request, params_.refresh_retry);
    auto answer = nlohmann::json::parse(response.body, nullptr, false);
    if (response.status != 200) {
        std::string reason = answer.is_object() && answer.contains("error")
                                 ? answer["error"].dump()
                                 : "HTTP " + std::to_string(response.status);
        if (response.status == 400 || response.status == 401)
            throw fatal("the OAuth token endpoint refused the refresh token (" + reason +
                        "); run 'grin auth setup' to sign in again");
        throw error(
            "token refresh failed: " + reason,
            {.step = "auth", .url = credentials_.token_uri, .http_status = response.status});
    }
    if (!answer.is_object() || !answer.contains("access_token") ||
        !answer["access_token"].is_string())
        throw error("token endpoint answered without an access_token",
                    {.step = "auth", .url = credentials_.token_uri, .http_status = 200});
    credentials_.token = answer["access_token"].get<std::string>();
    log::add_secret(credentials_.token);
    if (answer.contains("refresh_token") && answer["refresh_token"].is_string()) {
        credentials_.refresh_token = answer["refresh_token"].get<std::string>();
        log::add_secret(credentials_.refresh_token);
    }
    if (answer.contains("expires_in") && answer["expires_in"].is_number()) {
        std::chrono::steady_clock::duration lifetime =
            std::chrono::seconds(answer["expires_in"].get<long long>());
        refresh_at_ =
            std::chrono::steady_clock::now() + lifetime -
            std::min<std::chrono::steady_clock::duration>(params_.refresh_margin, lifetime / 4);
    }
    ++refreshes_;
    if (!save_to_.empty())
        save_credentials(save_to_, credentials_);
}

namespace {

bool is_login_redirect(const net::http_response& response) {
    if (response.status != 302)
        return false;
    auto location = response.header("Location");
    return location && location->find("accounts.google.com/ServiceLogin") != std::string::npos;
}

[[noreturn]] void throw_permission_denied(const net::http_request& request) {
    throw error("GRIN denied access (HTTP 403): this Google account may not be allowed to read "
                "this library directory, or a recent access change has not taken effect yet "
                "(it can take up to 12 hours)",
                {.step = "auth", .url = log::redact(request.url), .http_status = 403});
}

[[noreturn]] void throw_still_rejected(const net::http_request& request, int status) {
    throw error("GRIN rejected a freshly refreshed token; run 'grin auth setup' to sign in again",
                {.step = "auth", .url = log::redact(request.url), .http_status = status});
}

std::optional<std::string> redirect_target(const net::http_response& response) {
    if (response.status != 301 && response.status != 302 && response.status != 303 &&
        response.status != 307 && response.status != 308)
        return std::nullopt;
    return response.header("Location");
}

constexpr int max_redirects = 5;

// One request with the bearer token, following redirects (same method; the token is
// only sent to the origin it was meant for) and refreshing the token once on rejection.
template <class Perform>
asio::awaitable<net::http_response>
with_token(token_source& tokens, net::http_request request, Perform perform) {
    const std::string token_origin = net::parse_url(request.url).origin();
    int redirects = 0;
    for (int attempt = 0;;) {
        std::string token = co_await tokens.access_token();
        net::http_request signed_request = request;
        if (net::parse_url(request.url).origin() == token_origin)
            signed_request.headers.emplace_back("Authorization", "Bearer " + token);
        net::http_response response = co_await perform(signed_request);
        if (response.status == 401 || is_login_redirect(response)) {
            if (attempt++ > 0)
                throw_still_rejected(request, response.status);
            co_await tokens.refresh_after_rejection(token);
            continue;
        }
        if (response.status == 403)
            throw_permission_denied(request);
        if (auto location = redirect_target(response)) {
            if (++redirects > max_redirects)
                throw error("more than " + std::to_string(max_redirects) + " redirects",
                            {.step = "redirect",
                             .url = log::redact(request.url),
                             .http_status = response.status});
            request.url = net::resolve_url(net::parse_url(request.url), *location).to_string();
            continue;
        }
        co_return response;
    }
}

} // namespace

asio::awaitable<net::http_response> authorized_send(net::https_pool& pool,
                                                    token_source& tokens,
                                                    net::http_request request,
                                                    net::retry_policy policy,
                                                    net::request_params params) {
    // A coroutine itself, so that `policy` and `params` outlive the lambda's references.
    auto perform = [&pool, &policy, &params](net::http_request signed_request) {
        return net::send_with_retry(pool, std::move(signed_request), policy, params);
    };
    co_return co_await with_token(tokens, std::move(request), perform);
}

asio::awaitable<net::http_response> authorized_download(net::https_pool& pool,
                                                        token_source& tokens,
                                                        net::http_request request,
                                                        net::body_sink sink,
                                                        net::request_params params) {
    auto perform = [&pool, &sink, &params](net::http_request signed_request) {
        return net::download(pool, std::move(signed_request), sink, params);
    };
    co_return co_await with_token(tokens, std::move(request), perform);
}

} // namespace grin::auth
