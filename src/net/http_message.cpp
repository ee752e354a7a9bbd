#include <grin/net/http_message.hpp>

#include <strings.h>

namespace grin::net {

std::optional<std::string> find_header(const header_list& headers, std::string_view name) {
    for (const auto& [key, value] : headers)
        if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), name.size()) == 0)
            return value;
    return std::nullopt;
}

} // namespace grin::net
