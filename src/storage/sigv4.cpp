#include <grin/core/error.hpp>
#include <grin/storage/sigv4.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>

namespace grin::storage {
namespace {

[[noreturn]] void bad_input(const std::string& what) {
    throw error("cannot sign the S3 request: " + what, {.step = "storage"});
}

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

// RFC 9110 token characters.
bool is_token_char(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
        return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return is_token_char(static_cast<unsigned char>(c));
    });
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

// A printable-for-messages copy of a header name we reject (names are short).
std::string shown(std::string_view text) {
    std::string out;
    for (unsigned char c : text.substr(0, 64))
        out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    return out;
}

// Trimall: leading and trailing spaces/tabs removed, inner runs collapsed to one space.
// Rejects control characters other than tab (CR and LF would split the header).
std::string canonical_value(std::string_view name, std::string_view value) {
    std::string out;
    bool pending_space = false;
    for (unsigned char c : value) {
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            bad_input("the value of header " + shown(name) + " contains a control character");
        if (c == ' ' || c == '\t') {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space)
            out += ' ';
        pending_space = false;
        out += static_cast<char>(c);
    }
    return out;
}

// Headers botocore leaves out of the signature: hop-by-hop ones and those that proxies
// and HTTP libraries add or rewrite.
constexpr std::array<std::string_view, 11> unsigned_headers = {"connection",
                                                               "expect",
                                                               "keep-alive",
                                                               "proxy-authenticate",
                                                               "proxy-authorization",
                                                               "te",
                                                               "trailer",
                                                               "transfer-encoding",
                                                               "upgrade",
                                                               "user-agent",
                                                               "x-amzn-trace-id"};
constexpr std::array<std::string_view, 5> signer_headers = {
    "host", "authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"};

template <std::size_t N>
bool contains(const std::array<std::string_view, N>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool is_lower_hex_sha256(std::string_view text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

bool is_scope_part(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    });
}

void check_inputs(const sigv4_request& request,
                  const aws_credentials& credentials,
                  std::string_view region,
                  std::string_view service) {
    if (credentials.access_key_id.empty())
        bad_input("the access key id is empty");
    for (unsigned char c : credentials.access_key_id)
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == ',' || c == '=')
            bad_input("the access key id contains a character not allowed in a credential");
    if (credentials.secret_access_key.empty())
        bad_input("the secret access key is empty");
    if (credentials.session_token) {
        if (credentials.session_token->empty())
            bad_input("the session token is empty");
        for (unsigned char c : *credentials.session_token)
            if (c < 0x20 || c == 0x7f)
                bad_input("the session token contains a control character");
    }
    if (!is_scope_part(region))
        bad_input("the region '" + shown(region) + "' is not [a-z0-9-]+");
    if (!is_scope_part(service))
        bad_input("the service '" + shown(service) + "' is not [a-z0-9-]+");
    if (request.method.empty() || !std::all_of(request.method.begin(), request.method.end(),
                                               [](char c) { return c >= 'A' && c <= 'Z'; }))
        bad_input("the method '" + shown(request.method) + "' is not an upper-case HTTP method");
    if (request.payload_hash != unsigned_payload && !is_lower_hex_sha256(request.payload_hash))
        bad_input("the payload hash is neither a lower-case hex SHA-256 nor UNSIGNED-PAYLOAD");
    if (request.scheme != "https" && request.scheme != "http")
        bad_input("the scheme '" + shown(request.scheme) + "' is neither https nor http");
    if (request.host.empty())
        bad_input("the host is empty");
    for (unsigned char c : request.host)
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == '?' || c == '#' || c == '@')
            bad_input("the host '" + shown(request.host) + "' is not a host name");
}

void append_line(std::string& out, std::string_view line) {
    out.append(line);
    out += '\n';
}

sigv4_result sign_with_key(const sigv4_request& request,
                           const aws_credentials& credentials,
                           std::string_view region,
                           std::string_view service,
                           system_time when,
                           const sha256_digest& signing_key) {
    sigv4_result result;
    result.host = sigv4_host(request.scheme, request.host, request.port);
    std::string canonical_uri = sigv4_canonical_uri(request.path);
    std::string canonical_query = sigv4_canonical_query(request.query);
    result.target = canonical_uri;
    if (!canonical_query.empty())
        result.target += "?" + canonical_query;

    std::string timestamp = sigv4_timestamp(when);
    std::string date = timestamp.substr(0, 8);

    // name -> canonical value; stable_sort keeps repeated names in the order given.
    std::vector<std::pair<std::string, std::string>> signed_list;
    for (const auto& [name, value] : request.headers) {
        if (!is_token(name))
            bad_input("the header name '" + shown(name) + "' is not an HTTP token");
        std::string lower = to_lower(name);
        if (contains(signer_headers, lower))
            bad_input("the header " + lower + " is set by the signer, not by the caller");
        std::string canonical = canonical_value(lower, value);
        if (contains(unsigned_headers, lower))
            continue;
        signed_list.emplace_back(std::move(lower), std::move(canonical));
    }
    signed_list.emplace_back("host", result.host);
    signed_list.emplace_back("x-amz-content-sha256", request.payload_hash);
    signed_list.emplace_back("x-amz-date", timestamp);
    if (credentials.session_token)
        signed_list.emplace_back(
            "x-amz-security-token",
            canonical_value("x-amz-security-token", *credentials.session_token));
    std::stable_sort(signed_list.begin(), signed_list.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });

    std::string canonical_headers;
    for (std::size_t i = 0; i < signed_list.size(); ++i) {
        const auto& [name, value] = signed_list[i];
        if (i > 0 && signed_list[i - 1].first == name) {
            // Same name again: "name:v1,v2".
            canonical_headers.pop_back();
            canonical_headers += ',' + value + '\n';
            continue;
        }
        if (!result.signed_headers.empty())
            result.signed_headers += ';';
        result.signed_headers += name;
        canonical_headers += name + ':' + value + '\n';
    }

    std::string& cr = result.canonical_request;
    append_line(cr, request.method);
    append_line(cr, canonical_uri);
    append_line(cr, canonical_query);
    append_line(cr, canonical_headers);
    append_line(cr, result.signed_headers);
    cr += request.payload_hash;

    std::string scope = date;
    scope.append("/").append(region).append("/").append(service).append("/aws4_request");
    std::string& sts = result.string_to_sign;
    append_line(sts, "AWS4-HMAC-SHA256");
    append_line(sts, timestamp);
    append_line(sts, scope);
    sts += sha256_hex(cr);

    result.signature = hex_lower(as_chars(hmac_sha256(as_chars(signing_key), sts)));

    std::string authorization = "AWS4-HMAC-SHA256 Credential=" + credentials.access_key_id + "/" +
                                scope + ", SignedHeaders=" + result.signed_headers +
                                ", Signature=" + result.signature;
    result.headers.emplace_back("Authorization", std::move(authorization));
    result.headers.emplace_back("x-amz-date", timestamp);
    result.headers.emplace_back("x-amz-content-sha256", request.payload_hash);
    if (credentials.session_token)
        result.headers.emplace_back("x-amz-security-token", *credentials.session_token);
    return result;
}

} // namespace

std::string uri_encode(std::string_view bytes, bool keep_slash) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 3);
    for (unsigned char c : bytes) {
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string sigv4_canonical_uri(std::string_view path) {
    if (path.empty() || path.front() != '/')
        bad_input("the path '" + shown(path) + "' does not start with '/'");
    return uri_encode(path, true);
}

std::string sigv4_canonical_query(const query_list& query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(query.size());
    for (const auto& [name, value] : query) {
        if (name.empty())
            bad_input("a query parameter has an empty name");
        encoded.emplace_back(uri_encode(name, false), uri_encode(value, false));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty())
            out += '&';
        out += name + '=' + value;
    }
    return out;
}

std::string sigv4_host(std::string_view scheme, std::string_view host, std::uint16_t port) {
    std::string out = host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]"
                                                               : std::string(host);
    std::uint16_t default_port = scheme == "http" ? 80 : 443;
    if (port != 0 && port != default_port)
        out += ":" + std::to_string(port);
    return out;
}

std::string sigv4_timestamp(system_time when) {
    using namespace std::chrono;
    auto seconds = floor<std::chrono::seconds>(when);
    auto day = floor<days>(seconds);
    year_month_day ymd(day);
    hh_mm_ss<std::chrono::seconds> clock(seconds - day);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d%02u%02uT%02d%02d%02lldZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(clock.hours().count()),
                  int(clock.minutes().count()), static_cast<long long>(clock.seconds().count()));
    return buffer;
}

sha256_digest sigv4_signing_key(std::string_view secret_access_key,
                                std::string_view date,
                                std::string_view region,
                                std::string_view service) {
    std::string seed = "AWS4" + std::string(secret_access_key);
    sha256_digest key = hmac_sha256(seed, date);
    std::fill(seed.begin(), seed.end(), '\0');
    key = hmac_sha256(as_chars(key), region);
    key = hmac_sha256(as_chars(key), service);
    return hmac_sha256(as_chars(key), "aws4_request");
}

sigv4_result sign_sigv4(const sigv4_request& request,
                        const aws_credentials& credentials,
                        std::string_view region,
                        std::string_view service,
                        system_time when) {
    check_inputs(request, credentials, region, service);
    auto date = sigv4_timestamp(when).substr(0, 8);
    return sign_with_key(request, credentials, region, service, when,
                         sigv4_signing_key(credentials.secret_access_key, date, region, service));
}

sigv4_signer::sigv4_signer(std::string region, std::string service)
    : region_(std::move(region)), service_(std::move(service)) {}

sigv4_result sigv4_signer::sign(const sigv4_request& request,
                                const aws_credentials& credentials,
                                system_time when) const {
    check_inputs(request, credentials, region_, service_);
    auto date = sigv4_timestamp(when).substr(0, 8);
    return sign_with_key(request, credentials, region_, service_, when,
                         signing_key(credentials, date));
}

sha256_digest sigv4_signer::signing_key(const aws_credentials& credentials,
                                        std::string_view date) const {
    std::string secret_sha256 = sha256_hex(credentials.secret_access_key);
    {
        std::lock_guard lock(mutex_);
        if (cached_date_ == date && cached_secret_sha256_ == secret_sha256)
            return cached_key_;
    }
    sha256_digest key = sigv4_signing_key(credentials.secret_access_key, date, region_, service_);
    std::lock_guard lock(mutex_);
    cached_secret_sha256_ = std::move(secret_sha256);
    cached_date_ = std::string(date);
    cached_key_ = key;
    ++keys_derived_;
    return key;
}

std::uint64_t sigv4_signer::keys_derived() const {
    std::lock_guard lock(mutex_);
    return keys_derived_;
}

} // namespace grin::storage
