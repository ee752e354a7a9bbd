#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/awaitable.hpp>
#include <grin/net/retry.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <charconv>
#include <cmath>
#include <ctime>
#include <random>

namespace grin::net {
namespace asio = boost::asio;

duration backoff_delay(const retry_policy& policy,
                       int attempt,
                       std::optional<duration> retry_after,
                       double random01) {
    if (policy.honour_retry_after && retry_after)
        return std::min(*retry_after, policy.max_delay);
    double factor = std::pow(2.0, std::max(0, attempt - 1));
    double base = std::chrono::duration<double>(policy.base_delay).count() * factor;
    base = std::min(base, std::chrono::duration<double>(policy.max_delay).count());
    double jittered = base * (1.0 - policy.jitter + 2.0 * policy.jitter * random01);
    return std::chrono::duration_cast<duration>(std::chrono::duration<double>(jittered));
}

std::optional<duration> parse_retry_after(std::string_view value, system_time now) {
    while (!value.empty() && value.front() == ' ')
        value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ')
        value.remove_suffix(1);
    if (value.empty())
        return std::nullopt;
    long long seconds = 0;
    auto [end, failure] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (failure == std::errc{} && end == value.data() + value.size())
        return seconds < 0 ? std::nullopt : std::optional<duration>(std::chrono::seconds(seconds));
    std::tm parts{};
    std::string text(value);
    if (::strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts) == nullptr)
        return std::nullopt;
    auto when = std::chrono::system_clock::from_time_t(::timegm(&parts));
    return when > now ? std::chrono::duration_cast<duration>(when - now) : duration::zero();
}

namespace {

double random_unit() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

} // namespace

asio::awaitable<http_response> send_with_retry(https_pool& pool,
                                               http_request request,
                                               retry_policy policy,
                                               request_params params) {
    auto executor = co_await asio::this_coro::executor;
    for (int attempt = 1;; ++attempt) {
        std::optional<duration> retry_after;
        std::string reason;
        try {
            http_response response = co_await send(pool, request, params);
            bool retryable = policy.retryable_statuses.contains(response.status);
            if (!retryable || attempt >= policy.max_attempts)
                co_return response;
            if (auto header = response.header("Retry-After"))
                retry_after = parse_retry_after(*header, now_utc());
            reason = "HTTP " + std::to_string(response.status);
        } catch (const grin::error& failure) {
            if (!policy.retry_network_errors || attempt >= policy.max_attempts)
                throw;
            reason = failure.what();
        }
        duration delay = backoff_delay(policy, attempt, retry_after, random_unit());
        log::info(
            "retrying " + request.method + " " + log::redact(request.url) + " in " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) +
            " ms (attempt " + std::to_string(attempt + 1) + " of " +
            std::to_string(policy.max_attempts) + "): " + reason);
        asio::steady_timer timer(executor, delay);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

} // namespace grin::net
