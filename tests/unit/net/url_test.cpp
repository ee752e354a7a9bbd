#include <grin/core/error.hpp>
#include <grin/net/url.hpp>

#include <gtest/gtest.h>

using grin::net::parse_url;
using grin::net::resolve_url;

TEST(url, parses_host_port_and_target) {
    auto parsed = parse_url("HTTPS://Books.Google.com/libraries/Harvard/_all_books?x=1#frag");
    EXPECT_EQ(parsed.scheme, "https");
    EXPECT_EQ(parsed.host, "books.google.com");
    EXPECT_EQ(parsed.port, 443);
    EXPECT_EQ(parsed.target, "/libraries/Harvard/_all_books?x=1");
    EXPECT_EQ(parsed.origin(), "https://books.google.com:443");
    EXPECT_EQ(parsed.host_header(), "books.google.com");
}

TEST(url, explicit_port_ipv6_and_empty_path) {
    auto parsed = parse_url("https://[::1]:8443?q");
    EXPECT_EQ(parsed.host, "::1");
    EXPECT_EQ(parsed.port, 8443);
    EXPECT_EQ(parsed.target, "/?q");
    EXPECT_EQ(parsed.host_header(), "[::1]:8443");
    EXPECT_EQ(parsed.to_string(), "https://[::1]:8443/?q");
}

TEST(url, rejects_what_is_not_an_absolute_http_url) {
    EXPECT_THROW(parse_url("books.google.com/x"), grin::error);
    EXPECT_THROW(parse_url("ftp://host/x"), grin::error);
    EXPECT_THROW(parse_url("https://:443/x"), grin::error);
    EXPECT_THROW(parse_url("https://host:99999/"), grin::error);
    EXPECT_THROW(parse_url("https://host:12ab/"), grin::error);
    EXPECT_THROW(parse_url("https://user:pw@host/"), grin::error);
}

TEST(url, resolves_references_like_a_browser) {
    auto base = parse_url("https://127.0.0.1:9000/libraries/Lib/_all_books?result_count=10");
    EXPECT_EQ(resolve_url(base, "_all_books?first=10").to_string(),
              "https://127.0.0.1:9000/libraries/Lib/_all_books?first=10");
    EXPECT_EQ(resolve_url(base, "/libraries/Other/x").to_string(),
              "https://127.0.0.1:9000/libraries/Other/x");
    EXPECT_EQ(resolve_url(base, "?first=20").to_string(),
              "https://127.0.0.1:9000/libraries/Lib/_all_books?first=20");
    EXPECT_EQ(resolve_url(base, "https://elsewhere/y").to_string(), "https://elsewhere/y");
    EXPECT_EQ(resolve_url(base, "//cdn.example/z").to_string(), "https://cdn.example/z");
}

TEST(url, query_values_are_percent_encoded) {
    EXPECT_EQ(grin::net::encode_query_value("B1 B2/x&y~z"), "B1%20B2%2Fx%26y~z");
}
