#pragma once
// api::client: every GRIN endpoint the tool uses, through the shared pool and the token
// source, with every URL derived from one configurable base URL (next_link.hpp).
// Per-endpoint retry policies follow grin-protocol.md 1.8-1.9 (404 and 429 are answers,
// not failures, where the reference says so).
// Thread rules: the pool's executor. Errors: grin::error with url/status/barcode context;
// grin::fatal for a refused credential probe.
#include <grin/api/html_list_parser.hpp>
#include <grin/api/next_link.hpp>
#include <grin/api/process_response.hpp>
#include <grin/api/tsv.hpp>
#include <grin/auth/token_source.hpp>
#include <grin/core/error.hpp>

#include <functional>
#include <optional>

namespace grin::api {

using namespace std::chrono_literals;

struct client_params {
    std::string base_url{default_base_url};
    std::string library;
    std::int64_t page_size = 10'000; // _all_books rows per page (GRIN_PAGE_SIZE)
    net::retry_policy list_policy{.max_attempts = 3, .base_delay = 2s, .jitter = 0.1};
    net::retry_policy archive_policy{.max_attempts = 6,
                                     .base_delay = 2s,
                                     .max_delay = 300s,
                                     .retryable_statuses = {408, 500, 502, 503, 504}};
    net::retry_policy process_policy{
        .max_attempts = 3, .base_delay = 2s, .retryable_statuses = {408, 500, 502, 503, 504}};
    // One _barcode_search URL (enrich): 3 attempts, waits 2 s, 4 s (grin-protocol.md 1.6).
    net::retry_policy search_policy{.max_attempts = 3, .base_delay = 2s, .jitter = 0.1};
    net::request_params list_request{.read_header_timeout = 120s, .body_idle_timeout = 60s};
    net::request_params archive_request{.read_header_timeout = 60s, .body_idle_timeout = 60s};
};

// A non-2xx answer from GRIN: context().http_status holds the status; retry_after() the
// wait its Retry-After header asked for (429, 503), when it sent a valid one.
class status_error : public error {
public:
    status_error(const std::string& what,
                 error_context context,
                 std::optional<net::duration> retry_after = std::nullopt)
        : error(what, std::move(context)), retry_after_(retry_after) {}
    std::optional<net::duration> retry_after() const noexcept { return retry_after_; }

private:
    std::optional<net::duration> retry_after_;
};

struct archive_info {
    std::string etag; // without quotes; empty when GRIN sent none
    std::optional<std::uint64_t> size;
};

struct list_summary {
    std::uint64_t pages = 0;
    std::uint64_t rows = 0;
};

class client {
public:
    client(net::https_pool& pool, auth::token_source& tokens, client_params params);

    const client_params& params() const noexcept { return params_; }
    std::string library_url() const;
    std::string archive_url(std::string_view barcode) const;

    // The credential probe collect starts with: GET <library>/?format=text&result_count=1.
    // 200 or a non-login 302 is fine; 403 and a token that cannot be refreshed are fatal.
    boost::asio::awaitable<void> probe();

    // Pages of `list` ("_all_books", "_converted", "_failed"): fetches page N+1 while
    // on_page handles page N; stops at the last page or when on_page returns false.
    using page_handler = std::function<boost::asio::awaitable<bool>(const list_page&)>;
    boost::asio::awaitable<list_summary> for_each_page(std::string list, page_handler on_page);

    // _barcode_search (enrichment TSV) for any number of barcodes: split into requests
    // whose URLs stay under GRIN's length limit; rows in GRIN's order, one per known book.
    boost::asio::awaitable<std::vector<enrichment_row>>
    barcode_search(std::vector<std::string> barcodes);

    // One URL of barcode_search_urls(): the parsed TSV. Retried under
    // params().search_policy (5xx, 429, timeouts, resets; Retry-After honoured).
    // `before_attempt`, when set, is awaited before every attempt, retries included: enrich
    // paces all its requests through one rate limiter there. Throws grin::error (with the
    // HTTP status, if any) when the last attempt fails; cancellation is never retried.
    using attempt_hook = std::function<boost::asio::awaitable<void>()>;
    boost::asio::awaitable<enrichment_table> barcode_search_page(std::string url,
                                                                 attempt_hook before_attempt = {});

    // _in_process?format=text: barcodes in GRIN's conversion queue.
    boost::asio::awaitable<std::vector<std::string>> in_process();

    // _process?barcodes=B. nullopt when GRIN answers 429 (its queue is full).
    boost::asio::awaitable<std::optional<process_entry>> request_conversion(std::string barcode);

    // HEAD <B>.tar.gz.gpg. nullopt on 404 (not converted, or gone).
    boost::asio::awaitable<std::optional<archive_info>> head_archive(std::string barcode);

    // GET <B>.tar.gz.gpg streamed to sink. Throws status_error for a non-2xx answer, and
    // for a 200 without an ETag (it cannot be recorded for change detection). Not retried
    // here: the sink has already seen part of the body, so the caller restarts the book.
    boost::asio::awaitable<archive_info> download_archive(std::string barcode, net::body_sink sink);

private:
    boost::asio::awaitable<std::string> fetch_list_page(std::string url);

    net::https_pool& pool_;
    auth::token_source& tokens_;
    client_params params_;
};

} // namespace grin::api
