#pragma once
// Plain request/response structs between the emulator's router (pure, no sockets) and
// the HTTPS server that the net module wraps around it. No Beast/Asio types here.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grin::emulator {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct request {
    std::string method;  // "GET", "HEAD", "POST"
    std::string target;  // path?query, as on the request line
    header_list headers; // names in any case
    std::string body;    // POST bodies (token endpoint, _process)
};

// A transport-level misbehaviour the server must act out while sending `response`
// (grin-protocol.md 7.4). The router has already chosen it, deterministically.
enum class fault {
    none,
    reset_mid_body, // send headers + `fault_after_bytes` body bytes, then reset (RST)
    truncate,       // send headers (full Content-Length) + `fault_after_bytes`, then close cleanly
    stall_before_headers, // wait `stall_for` before sending anything (slow first byte)
    stall_mid_body,       // send `fault_after_bytes` body bytes, wait `stall_for`, then the rest
    no_etag,              // informational: the router already left out the ETag header
    wrong_etag,           // informational: the router already replaced the ETag (HEAD/GET mismatch)
    garbage_body,         // informational: the router replaced the body with seeded junk bytes
                          // (unbalanced markup, NULs, invalid UTF-8), same status and type
    huge_headers,         // informational: the router added ~96 KiB of response headers
    latin1_body,          // informational: the router re-encoded the UTF-8 body as Latin-1
                          // (code points up to U+00FF become one byte; others are kept)
};

std::string_view to_string(fault value) noexcept;

struct response {
    int status = 200;
    header_list headers; // Content-Length is included for every response with a body
    std::string body;    // used when body_file is empty
    // The body is this file's content (archives); Content-Length says its size.
    std::optional<std::filesystem::path> body_file;
    fault injected = fault::none;
    std::uint64_t fault_after_bytes = 0;
    std::chrono::milliseconds stall_for{0};
    // Keep alive until the body is fully sent (or the connection dropped): it holds the
    // route's in-flight count used for concurrency high-water marks in /_emulator/stats.
    std::shared_ptr<void> in_flight;

    // First header with this name (case-insensitive), or nullptr.
    const std::string* header(std::string_view name) const;
};

// Case-insensitive header lookup on a request.
const std::string* find_header(const header_list& headers, std::string_view name);

using clock_fn = std::function<std::chrono::system_clock::time_point()>;

} // namespace grin::emulator
