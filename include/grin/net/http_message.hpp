#pragma once
// Plain request/response values at the module boundary: no Beast types here, so that the
// many files that talk HTTP do not pay Beast's compile cost.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grin::net {

using header_list = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup of the first header called `name`.
std::optional<std::string> find_header(const header_list& headers, std::string_view name);

struct http_request {
    std::string method = "GET";
    std::string url; // absolute: https://host[:port]/path?query
    header_list headers;
    std::string body;
};

struct http_response {
    int status = 0;
    header_list headers;
    std::string body; // empty for streamed downloads and HEAD

    std::optional<std::string> header(std::string_view name) const {
        return find_header(headers, name);
    }
    bool ok() const { return status >= 200 && status < 300; }
};

} // namespace grin::net
