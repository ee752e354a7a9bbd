#pragma once
// Retry policy shared by the GRIN and S3 clients: how many attempts, exponential backoff
// with jitter, which HTTP statuses are worth another try, and Retry-After.
#include <grin/core/time.hpp>
#include <grin/net/http_client.hpp>

#include <optional>
#include <set>
#include <string_view>

namespace grin::net {

struct retry_policy {
    int max_attempts = 3;     // total tries, including the first
    duration base_delay = 1s; // delay before the 2nd try; doubles each time
    duration max_delay = 60s; // cap for one delay (and for an honoured Retry-After)
    double jitter = 0.2;      // each delay is scaled by a random factor in [1-j, 1+j]
    std::set<int> retryable_statuses = {408, 429, 500, 502, 503, 504};
    bool retry_network_errors = true; // connect/read failures and timeouts
    bool honour_retry_after = true;
};

// Delay before try number `attempt + 1` (attempt counts from 1): base * 2^(attempt-1),
// capped, jittered with `random01` in [0,1); a server's Retry-After wins when honoured
// (still capped by max_delay).
duration backoff_delay(const retry_policy& policy,
                       int attempt,
                       std::optional<duration> retry_after,
                       double random01);

// Parses a Retry-After value: delta-seconds or an HTTP date. nullopt when malformed.
std::optional<duration> parse_retry_after(std::string_view value, system_time now);

// send() under a policy. Retryable statuses are retried; after the last attempt the last
// response is returned (the caller decides what a 503 means). Network errors are retried
// and the last one is rethrown. Cancellation is never retried.
boost::asio::awaitable<http_response> send_with_retry(https_pool& pool,
                                                      http_request request,
                                                      retry_policy policy,
                                                      request_params params = {});

} // namespace grin::net
