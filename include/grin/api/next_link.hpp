#pragma once
// GRIN URLs, all derived from ONE configurable base URL (grin-protocol.md 1.0: the Python
// tool hard-codes https://books.google.com in places, which made an emulator impossible),
// and the "Next" link rules of list pages (1.3). Pure functions, thread-safe.
// Throw grin::error (step "parse" or "validate", url set) on malformed input.
#include <grin/api/html_list_parser.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace grin::api {

inline constexpr std::string_view default_base_url = "https://books.google.com/libraries/";

// "https://host[:port]" of an http(s) URL, scheme and host lower-cased.
std::string url_origin(std::string_view url);

// "<base>/<library>/" with exactly one '/' at each joint. The library directory is
// validated (barcode.hpp) because it becomes part of every URL.
std::string library_url(std::string_view base_url, std::string_view library);

// "<base>/<library>/<path_and_query>", e.g. endpoint_url(b, "Harvard",
// "_all_books?result_count=10").
std::string
endpoint_url(std::string_view base_url, std::string_view library, std::string_view path_and_query);

// RFC 3986 section 5 reference resolution of `href` against the absolute URL `page_url`
// (absolute, "//host", "/root", "?query", "relative/../path"); the fragment is dropped.
std::string resolve_reference(std::string_view page_url, std::string_view href);

// A list page's Next href turned into the URL to fetch. Absolute hrefs are used as they
// are, root-relative ones go to the base URL's origin (never a hard-coded host), relative
// ones are resolved against the page they came from. The result must stay on the base
// URL's origin: the request carries our bearer token, so a link to another host is
// rejected (grin::error, step "parse") rather than followed.
std::string
resolve_next_url(std::string_view base_url, std::string_view page_url, std::string_view href);

// 1.3: an <a> is the Next link when its href has "first=" or "ctoken=" and its text
// (entities already decoded, so "&gt;" is '>') contains "next" in any case, '>' or a
// right guillemet.
bool is_next_link(std::string_view href, std::string_view text);

// The paging loop's decision (1.3): nullopt when the listing is over, i.e. the page says
// "Your request is unavailable", has no rows at all, or has no Next link; otherwise the
// next page's URL (resolve_next_url, so it may throw grin::error). Rows dropped for a
// malformed barcode still count as rows: a bad row does not end the listing.
std::optional<std::string>
next_page_url(std::string_view base_url, std::string_view page_url, const list_page& page);

} // namespace grin::api
