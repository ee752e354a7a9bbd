#include <grin/api/barcode.hpp>
#include <grin/api/barcode_search_batches.hpp>
#include <grin/api/client.hpp>
#include <grin/api/text_list.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/time.hpp>
#include <grin/net/retry.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <random>

namespace grin::api {
namespace asio = boost::asio;

namespace {

std::string unquote(std::string value) {
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
        value = value.substr(1, value.size() - 2);
    if (value.starts_with("W/"))
        value = unquote(value.substr(2));
    return value;
}

archive_info info_from(const net::http_response& response) {
    archive_info info;
    info.etag = unquote(response.header("ETag").value_or(""));
    if (auto length = response.header("Content-Length"))
        try {
            info.size = std::stoull(*length);
        } catch (const std::exception&) {
        }
    return info;
}

[[noreturn]] void unexpected_status(const net::http_response& response,
                                    const std::string& url,
                                    const std::string& barcode = {}) {
    std::optional<net::duration> retry_after;
    if (auto header = response.header("Retry-After"))
        retry_after = net::parse_retry_after(*header, now_utc());
    throw status_error("GRIN answered HTTP " + std::to_string(response.status),
                       {.step = "grin",
                        .url = log::redact(url),
                        .barcode = barcode,
                        .http_status = response.status},
                       retry_after);
}

net::http_request get(std::string url) {
    net::http_request request;
    request.url = std::move(url);
    return request;
}

} // namespace

client::client(net::https_pool& pool, auth::token_source& tokens, client_params params)
    : pool_(pool), tokens_(tokens), params_(std::move(params)) {
    require_valid_library_directory(params_.library);
}

std::string client::library_url() const {
    return api::library_url(params_.base_url, params_.library);
}

std::string client::archive_url(std::string_view barcode) const {
    require_valid_barcode(barcode);
    return endpoint_url(params_.base_url, params_.library, std::string(barcode) + ".tar.gz.gpg");
}

asio::awaitable<void> client::probe() {
    std::string url =
        endpoint_url(params_.base_url, params_.library, "?format=text&result_count=1");
    net::http_response response;
    try {
        response = co_await auth::authorized_send(pool_, tokens_, get(url), params_.list_policy,
                                                  params_.list_request);
    } catch (const grin::error& failure) {
        if (failure.context().http_status == 403)
            throw fatal(std::string(failure.what()) + "; check --library-directory '" +
                        params_.library + "'");
        throw;
    }
    if (!response.ok() && response.status != 302)
        unexpected_status(response, url);
}

asio::awaitable<std::string> client::fetch_list_page(std::string url) {
    net::http_response response = co_await auth::authorized_send(
        pool_, tokens_, get(url), params_.list_policy, params_.list_request);
    if (!response.ok())
        unexpected_status(response, url);
    co_return std::move(response.body);
}

asio::awaitable<list_summary> client::for_each_page(std::string list, page_handler on_page) {
    using namespace asio::experimental::awaitable_operators;
    list_summary summary;
    std::string url = endpoint_url(params_.base_url, params_.library,
                                   list + "?result_count=" + std::to_string(params_.page_size));
    std::string body = co_await fetch_list_page(url);
    for (;;) {
        list_page page = parse_list_page(body);
        ++summary.pages;
        summary.rows += page.rows.size();
        auto next = next_page_url(params_.base_url, url, page);
        if (!next) {
            co_await on_page(page);
            co_return summary;
        }
        // Prefetch: the next page downloads while this one is stored.
        auto handling = on_page(page);
        auto prefetch = fetch_list_page(*next);
        auto [keep_going, next_body] = co_await (std::move(handling) && std::move(prefetch));
        if (!keep_going)
            co_return summary;
        url = std::move(*next);
        body = std::move(next_body);
    }
}

asio::awaitable<std::vector<enrichment_row>>
client::barcode_search(std::vector<std::string> barcodes) {
    std::vector<enrichment_row> rows;
    for (auto& url : barcode_search_urls(params_.base_url, params_.library, barcodes)) {
        std::string body = co_await fetch_list_page(std::move(url));
        auto table = parse_barcode_search(body);
        for (auto& row : table.rows)
            rows.push_back(std::move(row));
    }
    co_return rows;
}

asio::awaitable<enrichment_table> client::barcode_search_page(std::string url,
                                                              attempt_hook before_attempt) {
    const net::retry_policy& policy = params_.search_policy;
    // One attempt per authorized_send, so that before_attempt sees every retry.
    net::retry_policy single = policy;
    single.max_attempts = 1;
    std::mt19937_64 random(std::random_device{}());
    for (int attempt = 1;; ++attempt) {
        if (before_attempt) {
            auto waiting = before_attempt();
            co_await std::move(waiting);
        }
        std::optional<net::duration> retry_after;
        std::string reason;
        int status = 0;
        try {
            net::http_request request = get(url);
            auto sending = auth::authorized_send(pool_, tokens_, std::move(request), single,
                                                 params_.list_request);
            net::http_response response = co_await std::move(sending);
            if (response.ok()) {
                auto table = parse_barcode_search(response.body);
                // GRIN's TSV starts with its header row, "Barcode" first. Anything else
                // (a proxy's error page, junk) would otherwise read as "no book known"
                // and mark every book of the batch as enriched: retried, then an error.
                if (table.header.empty() || table.header.front() == "Barcode")
                    co_return table;
                reason = "the answer is not GRIN's TSV (its first line does not start with "
                         "Barcode)";
                if (attempt >= policy.max_attempts)
                    throw error("_barcode_search: " + reason,
                                {.step = "parse", .url = log::redact(url)});
            } else {
                status = response.status;
                if (!policy.retryable_statuses.contains(status) || attempt >= policy.max_attempts)
                    unexpected_status(response, url);
                if (auto header = response.header("Retry-After");
                    header && policy.honour_retry_after)
                    retry_after = net::parse_retry_after(*header, now_utc());
                reason = "HTTP " + std::to_string(status);
            }
        } catch (const grin::error& failure) {
            // A status answer (thrown above or by authorized_send, e.g. 403) is final here;
            // a network failure is retried while attempts remain.
            if (failure.context().http_status || !policy.retry_network_errors ||
                attempt >= policy.max_attempts)
                throw;
            reason = failure.what();
        }
        auto state = co_await asio::this_coro::cancellation_state;
        if (state.cancelled() != asio::cancellation_type::none)
            throw error("_barcode_search cancelled", {.step = "grin", .url = log::redact(url)});
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        net::duration delay = net::backoff_delay(policy, attempt, retry_after, unit(random));
        log::info(
            "retrying _barcode_search in " +
            std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()) +
            " ms (attempt " + std::to_string(attempt + 1) + " of " +
            std::to_string(policy.max_attempts) + "): " + reason);
        auto executor = co_await asio::this_coro::executor;
        asio::steady_timer timer(executor, delay);
        co_await timer.async_wait(asio::use_awaitable);
    }
}

asio::awaitable<std::vector<std::string>> client::in_process() {
    std::string url = endpoint_url(params_.base_url, params_.library, "_in_process?format=text");
    std::string body = co_await fetch_list_page(url);
    co_return parse_text_list(body).barcodes;
}

asio::awaitable<std::optional<process_entry>> client::request_conversion(std::string barcode) {
    require_valid_barcode(barcode);
    std::string url =
        endpoint_url(params_.base_url, params_.library, "_process?barcodes=" + barcode);
    net::http_response response = co_await auth::authorized_send(
        pool_, tokens_, get(url), params_.process_policy, params_.list_request);
    if (response.status == 429)
        co_return std::nullopt;
    if (!response.ok())
        unexpected_status(response, url, barcode);
    co_return parse_single_process_response(response.body, barcode);
}

asio::awaitable<std::optional<archive_info>> client::head_archive(std::string barcode) {
    std::string url = archive_url(barcode);
    net::http_request request = get(url);
    request.method = "HEAD";
    net::http_response response = co_await auth::authorized_send(
        pool_, tokens_, request, params_.archive_policy, params_.archive_request);
    if (response.status == 404)
        co_return std::nullopt;
    if (!response.ok())
        unexpected_status(response, url, barcode);
    co_return info_from(response);
}

asio::awaitable<archive_info> client::download_archive(std::string barcode, net::body_sink sink) {
    std::string url = archive_url(barcode);
    net::http_response response = co_await auth::authorized_download(
        pool_, tokens_, get(url), std::move(sink), params_.archive_request);
    if (!response.ok())
        unexpected_status(response, url, barcode);
    archive_info info = info_from(response);
    if (info.etag.empty())
        throw error("GRIN sent the archive without an ETag", {.step = "download",
                                                              .url = log::redact(url),
                                                              .barcode = barcode,
                                                              .http_status = response.status});
    co_return info;
}

} // namespace grin::api
