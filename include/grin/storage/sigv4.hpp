#pragma once
// AWS Signature Version 4, header form, as S3 and S3-compatible stores (R2, MinIO) check
// it. Pure functions over plain values: no network, no clock (the caller passes the time),
// no logging. The S3 client builds a sigv4_request from decoded parts, sends the request
// target and Host the result names, and adds the result's headers.
//
// S3 specifics (which differ from SigV4 for other AWS services):
// - Canonical URI: the decoded path with every byte except A-Za-z0-9 - . _ ~ and '/'
//   percent-encoded ONCE, upper-case hex, UTF-8 bytes one by one (space -> %20,
//   '+' -> %2B, '=' -> %3D, '*' -> %2A). No second encoding and no normalisation of "//",
//   "." or ".." (they are part of S3 keys).
// - Canonical query: names and values encoded the same way, '/' included (-> %2F), sorted
//   by encoded name then encoded value; an empty value is "name=" ("uploads=").
// - x-amz-content-sha256 is always sent and signed: the hex SHA-256 of the body, or
//   UNSIGNED-PAYLOAD (acceptable over TLS only).
//
// Signed headers: host (with ":port" when the port is not the scheme's default),
// x-amz-date, x-amz-content-sha256, x-amz-security-token (with a session token) and every
// header the caller passes (content-type, content-md5, range, x-amz-meta-*, ...), except
// the ones proxies may change or drop, which botocore does not sign either: connection,
// expect, keep-alive, proxy-authenticate, proxy-authorization, te, trailer,
// transfer-encoding, upgrade, user-agent, x-amzn-trace-id. Names are lower-cased; values
// trimmed, with inner runs of spaces and tabs collapsed to one space; repeated names are
// joined with ',' in the order given.
//
// Checked against the AWS documentation's S3 examples and, differentially, against
// botocore's S3SigV4Auth (tests/unit/storage/sigv4_*).
#include <grin/core/time.hpp>
#include <grin/net/http_message.hpp>
#include <grin/storage/digest.hpp>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grin::storage {

// Never logged or put into a message (only the access key id may appear).
struct aws_credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::optional<std::string> session_token{}; // temporary credentials (STS)
};

// Decoded query parameters in any order; a parameter without value ("?uploads") has "".
using query_list = std::vector<std::pair<std::string, std::string>>;

inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
// sha256_hex("") for bodiless requests (GET, HEAD, DELETE).
inline constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct sigv4_request {
    std::string method = "GET";   // upper case, as sent
    std::string scheme = "https"; // or "http"
    std::string host;             // lower case, IPv6 without brackets (as net::url holds it)
    std::uint16_t port = 0;       // 0 or the scheme's default: not part of the Host value
    std::string path = "/";       // DECODED, starting with '/': "/bucket/dir/ü ñ/日本.txt"
    query_list query{};           // decoded
    net::header_list headers{};   // besides host and the x-amz-* the signer adds
    // sha256_hex(body) or unsigned_payload; sent as x-amz-content-sha256.
    std::string payload_hash{empty_payload_sha256};
};

struct sigv4_result {
    // To add to the request: Authorization, x-amz-date, x-amz-content-sha256 and, with a
    // session token, x-amz-security-token.
    net::header_list headers;
    std::string host; // the Host value that was signed (net::url::host_header() form)
    // The request target to send: canonical URI + "?" + canonical query, so the wire form
    // is exactly what was signed. A valueless parameter goes out as "uploads=" (moto
    // 5.2.1 accepts it; the S3 client's integration tests cover the other stores).
    std::string target;
    // For tests and debugging. Neither holds the secret key, but the canonical request
    // holds the session token when there is one: do not log it then.
    std::string canonical_request;
    std::string string_to_sign;
    std::string signed_headers; // "host;range;x-amz-content-sha256;x-amz-date"
    std::string signature;      // 64 lower-case hex characters
};

// Percent-encodes every byte except A-Za-z0-9 - . _ ~ (and '/' when keep_slash), with
// upper-case hex. Locale-independent.
std::string uri_encode(std::string_view bytes, bool keep_slash);

// The canonical URI of a decoded path (see above). Throws grin::error (step "storage")
// when `path` does not start with '/'.
std::string sigv4_canonical_uri(std::string_view path);
// The canonical query string (see above); "" for no parameters. Throws grin::error for an
// empty parameter name.
std::string sigv4_canonical_query(const query_list& query);
// "host", "host:port" for a non-default port, "[::1]:9000" for IPv6.
std::string sigv4_host(std::string_view scheme, std::string_view host, std::uint16_t port);
// "20130524T000000Z" (UTC, seconds truncated).
std::string sigv4_timestamp(system_time when);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")
// with `date` as "YYYYMMDD".
sha256_digest sigv4_signing_key(std::string_view secret_access_key,
                                std::string_view date,
                                std::string_view region,
                                std::string_view service);

// Signs `request` at time `when`. Throws grin::error (step "storage", no secret in the
// message) for input that cannot be signed or sent safely: empty access key or secret, a
// region or service outside [a-z0-9-], a method outside [A-Z], a scheme other than
// https/http, an empty host, a path not starting with '/', an empty query name, a header name that
// is not an HTTP token, a header value with a control character (CR/LF would allow header
// injection), a caller-supplied header the signer owns (host, authorization, x-amz-date,
// x-amz-content-sha256, x-amz-security-token), or a payload hash that is neither 64 lower-case hex
// characters nor UNSIGNED-PAYLOAD.
sigv4_result sign_sigv4(const sigv4_request& request,
                        const aws_credentials& credentials,
                        std::string_view region,
                        std::string_view service,
                        system_time when);

// sign_sigv4 for one region and service, caching the signing key of the current day (the
// key changes only with the secret and the UTC date). Thread-safe: the cache is behind a
// mutex held for a comparison and a copy. The cache keeps a SHA-256 of the secret, not the
// secret itself.
class sigv4_signer {
public:
    explicit sigv4_signer(std::string region, std::string service = "s3");

    sigv4_result
    sign(const sigv4_request& request, const aws_credentials& credentials, system_time when) const;

    const std::string& region() const noexcept { return region_; }
    const std::string& service() const noexcept { return service_; }
    // How many signing keys were derived (not taken from the cache): for tests.
    std::uint64_t keys_derived() const;

private:
    sha256_digest signing_key(const aws_credentials& credentials, std::string_view date) const;

    std::string region_;
    std::string service_;
    mutable std::mutex mutex_;
    mutable std::string cached_secret_sha256_;
    mutable std::string cached_date_;
    mutable sha256_digest cached_key_{};
    mutable std::uint64_t keys_derived_ = 0;
};

} // namespace grin::storage
