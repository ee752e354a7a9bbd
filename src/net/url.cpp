#include <grin/core/error.hpp>
#include <grin/net/url.hpp>

#include <arpa/inet.h>
#include <charconv>

namespace grin::net {
namespace {

[[noreturn]] void bad_url(std::string_view text, const std::string& why) {
    throw error("invalid URL '" + std::string(text) + "': " + why, {.step = "parse"});
}

std::uint16_t default_port(std::string_view scheme) {
    return scheme == "https" ? 443 : 80;
}

} // namespace

std::string url::origin() const {
    std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return scheme + "://" + name + ":" + std::to_string(port);
}

std::string url::to_string() const {
    return scheme + "://" + host_header() + target;
}

std::string url::host_header() const {
    std::string name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != default_port(scheme))
        name += ":" + std::to_string(port);
    return name;
}

url parse_url(std::string_view text) {
    url result;
    auto scheme_end = text.find("://");
    if (scheme_end == std::string_view::npos)
        bad_url(text, "no scheme (expected https://host/...)");
    for (char c : text.substr(0, scheme_end))
        result.scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (result.scheme != "https" && result.scheme != "http")
        bad_url(text, "scheme must be http or https");
    auto rest = text.substr(scheme_end + 3);
    auto authority_end = rest.find_first_of("/?#");
    auto authority = rest.substr(0, authority_end);
    if (authority.find('@') != std::string_view::npos)
        bad_url(text, "user information in URLs is not supported");
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos)
            bad_url(text, "unterminated IPv6 address");
        result.host = std::string(authority.substr(1, close - 1));
        auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                bad_url(text, "garbage after IPv6 address");
            port_text = after.substr(1);
        }
    } else {
        auto colon = authority.rfind(':');
        result.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos)
            port_text = authority.substr(colon + 1);
    }
    if (result.host.empty())
        bad_url(text, "no host");
    for (auto& c : result.host)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (port_text.empty()) {
        result.port = default_port(result.scheme);
    } else {
        unsigned value = 0;
        auto [end, failure] =
            std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
        if (failure != std::errc{} || end != port_text.data() + port_text.size() || value == 0 ||
            value > 65535)
            bad_url(text, "invalid port '" + std::string(port_text) + "'");
        result.port = static_cast<std::uint16_t>(value);
    }
    if (authority_end != std::string_view::npos) {
        auto target = rest.substr(authority_end);
        target = target.substr(0, target.find('#'));
        result.target = std::string(target);
        if (result.target.empty() || result.target.front() == '?')
            result.target = "/" + result.target;
    }
    return result;
}

url resolve_url(const url& base, std::string_view reference) {
    if (reference.find("://") != std::string_view::npos &&
        reference.find("://") < reference.find_first_of("/?"))
        return parse_url(reference);
    url result = base;
    reference = reference.substr(0, reference.find('#'));
    if (reference.starts_with("//"))
        return parse_url(base.scheme + ":" + std::string(reference));
    if (reference.starts_with("/")) {
        result.target = std::string(reference);
        return result;
    }
    std::string_view base_path = std::string_view(base.target).substr(0, base.target.find('?'));
    if (reference.empty())
        return result;
    if (reference.front() == '?') {
        result.target = std::string(base_path) + std::string(reference);
        return result;
    }
    auto slash = base_path.rfind('/');
    std::string directory =
        slash == std::string_view::npos ? "/" : std::string(base_path.substr(0, slash + 1));
    result.target = directory + std::string(reference);
    return result;
}

std::string encode_query_value(std::string_view value) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : value) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

bool is_ip_address(std::string_view host) {
    std::string text(host);
    unsigned char buffer[16];
    return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
           ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

} // namespace grin::net
