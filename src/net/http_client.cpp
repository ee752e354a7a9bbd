#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/net/awaitable.hpp>
#include <grin/net/http_client.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/version.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "pool_state.hpp"

namespace grin::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

constexpr std::size_t chunk_size = download_chunk_size;
constexpr std::size_t error_body_limit = 1024 * 1024;

// Thrown when a reused connection turned out to be closed before the response began:
// the request never reached the server, so repeating it is safe.
struct stale_connection {};

bool is_stale_signal(const boost::system::error_code& code) {
    return code == http::error::end_of_stream || code == asio::error::eof ||
           code == asio::error::connection_reset || code == asio::error::broken_pipe ||
           code == asio::ssl::error::stream_truncated;
}

// The message points into request.body (span_body): the request outlives the write.
http::request<http::span_body<const char>> to_beast(const http_request& request,
                                                    const url& target) {
    http::verb verb = http::string_to_verb(request.method);
    if (verb == http::verb::unknown)
        throw error("unsupported HTTP method " + request.method,
                    {.step = "write", .url = log::redact(request.url)});
    http::request<http::span_body<const char>> message{verb, target.target, 11};
    message.set(http::field::host, target.host_header());
    message.set(http::field::user_agent, "grin-sync/" GRIN_VERSION);
    for (const auto& [name, value] : request.headers)
        message.set(name, value);
    message.body() = {request.body.data(), request.body.size()};
    if (!request.body.empty() || verb == http::verb::put || verb == http::verb::post)
        message.prepare_payload();
    if (request.body_file)
        message.content_length(request.body_file->length);
    return message;
}

// Raw bytes to or from the connection: its TLS stream, or the plain TCP socket of an
// http:// origin. The caller sets the deadline.
asio::awaitable<void> write_exactly(detail::connection& conn, asio::const_buffer data) {
    if (conn.tls)
        co_await asio::async_write(conn.stream, data, asio::use_awaitable);
    else
        co_await asio::async_write(beast::get_lowest_layer(conn.stream), data, asio::use_awaitable);
}

asio::awaitable<void> read_exactly(detail::connection& conn, asio::mutable_buffer target) {
    if (conn.tls)
        co_await asio::async_read(conn.stream, target, asio::use_awaitable);
    else
        co_await asio::async_read(beast::get_lowest_layer(conn.stream), target,
                                  asio::use_awaitable);
}

// A file body's source: one descriptor per attempt, read with pread so that a repeated
// attempt (stale connection) starts again at the range's offset.
class file_body_reader {
public:
    explicit file_body_reader(const file_range& range) : range_(range) {
        fd_ = ::open(range.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd_ < 0)
            fail(errno);
    }
    ~file_body_reader() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    file_body_reader(const file_body_reader&) = delete;
    file_body_reader& operator=(const file_body_reader&) = delete;

    // Fills `out` from the range's next bytes; returns how many (0 at the end).
    std::size_t read(std::vector<char>& out) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), range_.length - done_));
        std::size_t got = 0;
        while (got < want) {
            ssize_t n = ::pread(fd_, out.data() + got, want - got,
                                static_cast<off_t>(range_.offset + done_ + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                fail(n < 0 ? errno : 0);
            got += static_cast<std::size_t>(n);
        }
        done_ += got;
        return got;
    }

private:
    [[noreturn]] void fail(int code) const {
        throw error("cannot read " + range_.path.string() + " to send it" +
                        (code ? std::string(": ") + std::strerror(code) : ": the file shrank"),
                    {.step = "write", .url = range_.path.string()});
    }

    const file_range& range_;
    int fd_ = -1;
    std::uint64_t done_ = 0;
};

// Writes the request: the message whole, or its header and then the file range chunk by
// chunk (each chunk has the write timeout). The chunks are read on the I/O thread: the
// file is the one storage just wrote, so they come from the page cache (tens of
// microseconds per 256 KiB) and a round trip to the file threads would cost more.
template <typename Message>
asio::awaitable<void> write_request(detail::connection& conn,
                                    Message& message,
                                    const http_request& request,
                                    const request_params& params) {
    auto& tcp_layer = beast::get_lowest_layer(conn.stream);
    tcp_layer.expires_after(params.write_timeout);
    if (!request.body_file) {
        if (conn.tls)
            co_await http::async_write(conn.stream, message, asio::use_awaitable);
        else
            co_await http::async_write(tcp_layer, message, asio::use_awaitable);
        co_return;
    }
    file_body_reader source(*request.body_file);
    http::request_serializer<http::span_body<const char>> serializer(message);
    if (conn.tls)
        co_await http::async_write_header(conn.stream, serializer, asio::use_awaitable);
    else
        co_await http::async_write_header(tcp_layer, serializer, asio::use_awaitable);
    auto& chunk = conn.body_chunk;
    chunk.resize(chunk_size);
    for (std::size_t got = source.read(chunk); got > 0; got = source.read(chunk)) {
        tcp_layer.expires_after(params.write_timeout);
        co_await write_exactly(conn, asio::buffer(chunk.data(), got));
    }
}

// A streamed body of known length (every archive download): read straight from the
// stream into the chunk buffer, bypassing the HTTP parser, which would copy every byte
// once more (dynamic buffer -> chunk) and wrap each 16 KiB TLS record in its own
// composed operation. Bytes the header read already buffered come first. Each chunk of
// up to 256 KiB has the body idle timeout, as the parser path does. A short body (the
// server closed early) throws from the read.
asio::awaitable<void> read_sized_body(detail::connection& conn,
                                      std::uint64_t length,
                                      const body_sink& sink,
                                      const request_params& params) {
    auto& tcp_layer = beast::get_lowest_layer(conn.stream);
    auto& chunk = conn.body_chunk;
    std::uint64_t remaining = length;
    const auto buffered =
        static_cast<std::size_t>(std::min<std::uint64_t>(remaining, conn.buffer.size()));
    if (buffered > 0) {
        const auto* bytes = static_cast<const char*>(conn.buffer.data().data());
        co_await sink(std::string_view(bytes, buffered));
        conn.buffer.consume(buffered);
        remaining -= buffered;
    }
    while (remaining > 0) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining, chunk.size()));
        tcp_layer.expires_after(params.body_idle_timeout);
        co_await read_exactly(conn, asio::buffer(chunk.data(), want));
        remaining -= want;
        co_await sink(std::string_view(chunk.data(), want));
    }
}

struct exchange_result {
    http_response response;
    bool reusable = false;
};

// One request/response on one leased connection.
asio::awaitable<exchange_result> exchange(lease& conn_lease,
                                          const http_request& request,
                                          const url& target,
                                          const body_sink& sink,
                                          const request_params& params) {
    auto& conn = conn_lease.connection();
    auto& tcp_layer = beast::get_lowest_layer(conn.stream);
    const std::string where = log::redact(target.to_string());
    auto fail = [&](const boost::system::system_error& failure, const char* step,
                    std::optional<int> status) -> error {
        // No response at all: counted under status 0 ("error" in /metrics; response_counts).
        if (!status)
            ++conn_lease.pool().responses[{target.host, 0}];
        return error(std::string(step) + " failed: " + failure.code().message(),
                     {.step = step, .url = where, .http_status = status});
    };
    ++conn_lease.pool().stats.requests;

    auto message = to_beast(request, target);
    try {
        co_await write_request(conn, message, request, params);
    } catch (const boost::system::system_error& failure) {
        if (failure.code() == asio::error::operation_aborted)
            throw;
        if (conn_lease.reused() && is_stale_signal(failure.code()))
            throw stale_connection{};
        throw fail(failure, "write", std::nullopt);
    }

    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(64 * 1024);
    if (message.method() == http::verb::head)
        parser.skip(true);
    try {
        tcp_layer.expires_after(params.read_header_timeout);
        if (conn.tls)
            co_await http::async_read_header(conn.stream, conn.buffer, parser, asio::use_awaitable);
        else
            co_await http::async_read_header(tcp_layer, conn.buffer, parser, asio::use_awaitable);
    } catch (const boost::system::system_error& failure) {
        if (failure.code() == asio::error::operation_aborted)
            throw;
        if (conn_lease.reused() && !parser.got_some() && is_stale_signal(failure.code()))
            throw stale_connection{};
        throw fail(failure, "read-headers", std::nullopt);
    }

    exchange_result result;
    auto& head = parser.get();
    result.response.status = static_cast<int>(head.result_int());
    ++conn_lease.pool().responses[{target.host, result.response.status}];
    for (const auto& field : head)
        result.response.headers.emplace_back(std::string(field.name_string()),
                                             std::string(field.value()));
    const bool stream_to_sink = sink && result.response.ok();
    const std::size_t limit = stream_to_sink ? 0 : (sink ? error_body_limit : params.body_limit);

    auto& buffer = conn.body_chunk;
    buffer.resize(chunk_size);
    if (stream_to_sink && !parser.is_done() && parser.content_length() && !parser.chunked()) {
        try {
            co_await read_sized_body(conn, *parser.content_length(), sink, params);
        } catch (const boost::system::system_error& failure) {
            if (failure.code() == asio::error::operation_aborted)
                throw;
            throw fail(failure, "read-body", result.response.status);
        }
        tcp_layer.expires_never();
        result.reusable = parser.keep_alive();
        co_return result;
    }
    while (!parser.is_done()) {
        parser.get().body().data = buffer.data();
        parser.get().body().size = buffer.size();
        try {
            tcp_layer.expires_after(params.body_idle_timeout);
            if (conn.tls)
                co_await http::async_read(conn.stream, conn.buffer, parser, asio::use_awaitable);
            else
                co_await http::async_read(tcp_layer, conn.buffer, parser, asio::use_awaitable);
        } catch (const boost::system::system_error& failure) {
            if (failure.code() != http::error::need_buffer) {
                if (failure.code() == asio::error::operation_aborted)
                    throw;
                throw fail(failure, "read-body", result.response.status);
            }
        }
        std::size_t got = buffer.size() - parser.get().body().size;
        if (got == 0)
            continue;
        std::string_view piece(buffer.data(), got);
        if (stream_to_sink) {
            co_await sink(piece);
        } else {
            if (result.response.body.size() + got > limit)
                throw error(
                    "response body larger than " + std::to_string(limit) + " bytes",
                    {.step = "read-body", .url = where, .http_status = result.response.status});
            result.response.body.append(piece);
        }
    }
    tcp_layer.expires_never();
    result.reusable = parser.keep_alive();
    co_return result;
}

asio::awaitable<http_response>
perform(https_pool& pool, http_request request, body_sink sink, request_params params) {
    const url target = parse_url(request.url);
    for (int attempt = 0;; ++attempt) {
        lease conn_lease = co_await pool.acquire(target, attempt > 0);
        bool stale = false;
        try {
            exchange_result result = co_await exchange(conn_lease, request, target, sink, params);
            if (result.reusable)
                conn_lease.release_reusable();
            co_return std::move(result.response);
        } catch (const stale_connection&) {
            stale = true;
        }
        if (stale && attempt == 0) {
            ++conn_lease.pool().stats.stale_retries;
            log::debug("reused connection to " + target.origin() + " was closed; retrying");
            continue;
        }
        throw error("connection closed by the server before the response",
                    {.step = "read-headers", .url = log::redact(target.to_string())});
    }
}

} // namespace

asio::awaitable<http_response> send(https_pool& pool, http_request request, request_params params) {
    body_sink no_sink;
    return perform(pool, std::move(request), std::move(no_sink), params);
}

asio::awaitable<http_response>
download(https_pool& pool, http_request request, body_sink sink, request_params params) {
    return perform(pool, std::move(request), std::move(sink), params);
}

} // namespace grin::net
