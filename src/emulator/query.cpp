#include <grin/emulator/query.hpp>

namespace grin::emulator {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

query_params parse_query(std::string_view query) {
    query_params out;
    std::size_t pos = 0;
    while (pos <= query.size() && !query.empty()) {
        auto amp = query.find('&', pos);
        auto part = query.substr(pos, amp == std::string_view::npos ? query.npos : amp - pos);
        if (!part.empty()) {
            auto eq = part.find('=');
            if (eq == std::string_view::npos) {
                out.emplace_back(percent_decode(part), std::string());
            } else {
                out.emplace_back(percent_decode(part.substr(0, eq)),
                                 percent_decode(part.substr(eq + 1)));
            }
        }
        if (amp == std::string_view::npos) {
            break;
        }
        pos = amp + 1;
    }
    return out;
}

std::optional<std::string> first_value(const query_params& params, std::string_view key) {
    for (const auto& [k, v] : params) {
        if (k == key) {
            return v;
        }
    }
    return std::nullopt;
}

std::vector<std::string> all_values(const query_params& params, std::string_view key) {
    std::vector<std::string> out;
    for (const auto& [k, v] : params) {
        if (k == key) {
            out.push_back(v);
        }
    }
    return out;
}

std::pair<std::string_view, std::string_view> split_target(std::string_view target) noexcept {
    auto q = target.find('?');
    if (q == std::string_view::npos) {
        return {target, {}};
    }
    return {target.substr(0, q), target.substr(q + 1)};
}

std::vector<std::string> split_barcode_list(std::string_view text) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        if (c == ' ' || c == ',' || c == '\n' || c == '\r' || c == '\t') {
            if (!current.empty()) {
                out.push_back(std::move(current));
                current.clear();
            }
        } else {
            current += c;
        }
    }
    if (!current.empty()) {
        out.push_back(std::move(current));
    }
    return out;
}

} // namespace grin::emulator
