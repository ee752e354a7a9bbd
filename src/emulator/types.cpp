#include <grin/emulator/types.hpp>

#include <strings.h>

namespace grin::emulator {

std::string_view to_string(fault value) noexcept {
    switch (value) {
    case fault::none:
        return "none";
    case fault::reset_mid_body:
        return "reset_mid_body";
    case fault::truncate:
        return "truncate";
    case fault::stall_before_headers:
        return "stall_before_headers";
    case fault::stall_mid_body:
        return "stall_mid_body";
    case fault::no_etag:
        return "no_etag";
    case fault::wrong_etag:
        return "wrong_etag";
    case fault::garbage_body:
        return "garbage_body";
    case fault::huge_headers:
        return "huge_headers";
    case fault::latin1_body:
        return "latin1_body";
    }
    return "none";
}

const std::string* find_header(const header_list& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (key.size() == name.size() && ::strncasecmp(key.data(), name.data(), name.size()) == 0) {
            return &value;
        }
    }
    return nullptr;
}

const std::string* response::header(std::string_view name) const {
    return find_header(headers, name);
}

} // namespace grin::emulator
