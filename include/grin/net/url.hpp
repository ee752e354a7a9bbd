#pragma once
// Absolute URLs as the pool and clients need them: scheme, host, port, target.
// Only what HTTP(S) clients use; no user-info, no fragments.
#include <cstdint>
#include <string>
#include <string_view>

namespace grin::net {

struct url {
    std::string scheme; // "https" or "http", lower-case
    std::string host;   // without IPv6 brackets
    std::uint16_t port = 0;
    std::string target = "/"; // path + "?" + query, never empty

    // "https://host:port": the key connections are pooled by.
    std::string origin() const;
    std::string to_string() const;
    // The host as it goes into a Host header (brackets for IPv6, port when not default).
    std::string host_header() const;
};

// Throws grin::error (step "parse") naming the text when it is not an absolute
// http(s) URL with a host and a valid port.
url parse_url(std::string_view text);

// Resolves `reference` (absolute, root-relative "/x", or relative "x?y") against `base`,
// the way a browser resolves an href (RFC 3986 section 5.2, without dot-segment games).
url resolve_url(const url& base, std::string_view reference);

// Percent-encodes for a query value: unreserved characters stay, space becomes "%20".
std::string encode_query_value(std::string_view value);

bool is_ip_address(std::string_view host);

} // namespace grin::net
