#include <grin/api/barcode.hpp>
#include <grin/api/next_link.hpp>
#include <grin/core/error.hpp>

#include <algorithm>
#include <cctype>
#include <vector>

namespace grin::api {
namespace {

struct url_parts {
    std::string scheme; // lower-case, without ':'
    std::string authority;
    std::string path;
    std::string query; // with '?', or empty
    bool has_authority = false;
};

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

bool starts_with_icase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && lower(text.substr(0, prefix.size())) == prefix;
}

std::string_view without_fragment(std::string_view text) {
    return text.substr(0, text.find('#'));
}

// Splits an absolute URL; only http and https are GRIN URLs.
url_parts split_absolute(std::string_view url) {
    url = without_fragment(url);
    auto colon = url.find("://");
    if (colon == std::string_view::npos) {
        throw error("not an absolute URL", {.step = "parse", .url = std::string(url)});
    }
    url_parts parts;
    parts.scheme = lower(url.substr(0, colon));
    if (parts.scheme != "http" && parts.scheme != "https") {
        throw error("unsupported URL scheme '" + parts.scheme + "'",
                    {.step = "parse", .url = std::string(url)});
    }
    auto rest = url.substr(colon + 3);
    auto authority_end = rest.find_first_of("/?");
    parts.authority = std::string(rest.substr(0, authority_end));
    parts.has_authority = true;
    if (parts.authority.empty() || parts.authority.find('@') != std::string::npos) {
        // user:password@host is refused: credentials never travel in GRIN URLs.
        throw error("URL without a plain host", {.step = "parse", .url = std::string(url)});
    }
    rest =
        authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    auto query_start = rest.find('?');
    parts.path = std::string(rest.substr(0, query_start));
    if (query_start != std::string_view::npos) {
        parts.query = std::string(rest.substr(query_start));
    }
    if (parts.path.empty()) {
        parts.path = "/";
    }
    return parts;
}

// RFC 3986 5.2.4.
std::string remove_dot_segments(std::string_view path) {
    std::vector<std::string_view> out;
    bool absolute = !path.empty() && path.front() == '/';
    std::size_t pos = absolute ? 1 : 0;
    bool trailing_slash = false;
    while (pos <= path.size()) {
        auto end = path.find('/', pos);
        auto segment = path.substr(pos, end == std::string_view::npos ? path.npos : end - pos);
        bool last = end == std::string_view::npos;
        if (segment == ".") {
            trailing_slash = last;
        } else if (segment == "..") {
            if (!out.empty()) {
                out.pop_back();
            }
            trailing_slash = last;
        } else {
            out.push_back(segment);
            trailing_slash = false;
        }
        if (last) {
            break;
        }
        pos = end + 1;
    }
    std::string result = absolute ? "/" : "";
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i > 0) {
            result += '/';
        }
        result.append(out[i]);
    }
    if (trailing_slash && (result.empty() || result.back() != '/')) {
        result += '/';
    }
    return result;
}

std::string join(const url_parts& parts) {
    return parts.scheme + "://" + lower(parts.authority) + parts.path + parts.query;
}

} // namespace

std::string url_origin(std::string_view url) {
    auto parts = split_absolute(url);
    return parts.scheme + "://" + lower(parts.authority);
}

std::string library_url(std::string_view base_url, std::string_view library) {
    require_valid_library_directory(library);
    auto parts = split_absolute(base_url);
    if (!parts.query.empty()) {
        throw error("base URL must not have a query",
                    {.step = "validate", .url = std::string(base_url)});
    }
    std::string out = join(parts);
    if (out.back() != '/') {
        out += '/';
    }
    out.append(library);
    out += '/';
    return out;
}

std::string
endpoint_url(std::string_view base_url, std::string_view library, std::string_view path_and_query) {
    while (!path_and_query.empty() && path_and_query.front() == '/') {
        path_and_query.remove_prefix(1);
    }
    return library_url(base_url, library) + std::string(path_and_query);
}

std::string resolve_reference(std::string_view page_url, std::string_view href) {
    auto base = split_absolute(page_url);
    href = without_fragment(href);
    if (starts_with_icase(href, "http://") || starts_with_icase(href, "https://")) {
        return join(split_absolute(href));
    }
    url_parts target;
    target.scheme = base.scheme;
    if (href.substr(0, 2) == "//") {
        return join(split_absolute(base.scheme + ":" + std::string(href)));
    }
    auto query_start = href.find('?');
    auto href_path = href.substr(0, query_start);
    auto href_query =
        query_start == std::string_view::npos ? std::string_view{} : href.substr(query_start);
    // A scheme we do not speak ("javascript:", "mailto:") is not a page link.
    auto colon = href_path.find(':');
    if (colon != std::string_view::npos &&
        href_path.substr(0, colon).find('/') == std::string_view::npos) {
        throw error("link with an unsupported scheme", {.step = "parse", .url = std::string(href)});
    }
    target.authority = base.authority;
    if (href_path.empty()) {
        target.path = base.path;
        target.query = href_query.empty() ? base.query : std::string(href_query);
    } else {
        if (href_path.front() == '/') {
            target.path = remove_dot_segments(href_path);
        } else {
            auto dir = base.path.substr(0, base.path.rfind('/') + 1);
            target.path = remove_dot_segments(dir + std::string(href_path));
        }
        target.query = std::string(href_query);
    }
    return join(target);
}

std::string
resolve_next_url(std::string_view base_url, std::string_view page_url, std::string_view href) {
    auto resolved = resolve_reference(page_url, href);
    if (url_origin(resolved) != url_origin(base_url)) {
        throw error("Next link leaves the GRIN base URL's host; not following it",
                    {.step = "parse", .url = resolved});
    }
    return resolved;
}

std::optional<std::string>
next_page_url(std::string_view base_url, std::string_view page_url, const list_page& page) {
    bool no_rows =
        page.rows.empty() && page.invalid_barcodes.empty() && page.rows_without_barcode == 0;
    if (page.unavailable || no_rows || !page.next_href) {
        return std::nullopt;
    }
    return resolve_next_url(base_url, page_url, *page.next_href);
}

bool is_next_link(std::string_view href, std::string_view text) {
    if (href.find("first=") == std::string_view::npos &&
        href.find("ctoken=") == std::string_view::npos) {
        return false;
    }
    std::string folded;
    folded.reserve(text.size());
    for (unsigned char c : text) {
        folded += static_cast<char>(std::tolower(c));
    }
    return folded.find("next") != std::string::npos || folded.find('>') != std::string::npos ||
           folded.find("\xC2\xBB") != std::string::npos;
}

} // namespace grin::api
