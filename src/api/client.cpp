#include <grin/api/barcode.hpp>
#include <grin/api/barcode_search_batches.hpp>
#include <grin/api/client.hpp>
#include <grin/api/text_list.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>

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
    throw error("GRIN answered HTTP " + std::to_string(response.status),
                {.step = "grin",
                 .url = log::redact(url),
                 .barcode = barcode,
                 .http_status = response.status});
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
