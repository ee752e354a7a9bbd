#pragma once
// Requests through the shared pool.
//
// send():     whole response body in memory (bounded by body_limit); for API calls.
// download(): response body handed to `sink` chunk by chunk as it arrives (constant
//             memory); for archives. Non-2xx bodies are collected (bounded) instead, so
//             the caller can report them.
// Both: one deadline per phase (write, response headers, each body read); a request on a
// reused keep-alive connection that fails before any response byte arrives is repeated
// once on a fresh connection (the server had closed it); the connection goes back to the
// pool only after a complete keep-alive response.
// Cancellation: the awaiting coroutine's cancellation slot aborts the current step; the
// connection is then closed, never reused.
// Errors: grin::error with step "write", "read-headers", "read-body" (or the pool's
// steps), the URL with secrets masked, and the HTTP status when one was received.
// HTTP error statuses are NOT exceptions: check response.status.
#include <grin/net/http_message.hpp>
#include <grin/net/https_pool.hpp>

#include <functional>
#include <string_view>

namespace grin::net {

// Body bytes read per call and handed to a download sink at most: large enough that the
// per-read cost of the TLS and HTTP layers stays small against the bytes moved (64 KiB
// reads spent ~18% of a 64 MiB download in that overhead), small per connection.
inline constexpr std::size_t download_chunk_size = 256 * 1024;

struct request_params {
    duration write_timeout = 60s;
    duration read_header_timeout = 120s;
    // Longest silence allowed between two pieces of a body.
    duration body_idle_timeout = 60s;
    // Largest body send() keeps in memory; larger bodies are an error ("body too large").
    std::size_t body_limit = 256 * 1024 * 1024;
};

using body_sink = std::function<boost::asio::awaitable<void>(std::string_view chunk)>;

boost::asio::awaitable<http_response>
send(https_pool& pool, http_request request, request_params params = {});

boost::asio::awaitable<http_response>
download(https_pool& pool, http_request request, body_sink sink, request_params params = {});

} // namespace grin::net
