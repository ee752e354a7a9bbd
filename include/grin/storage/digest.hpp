#pragma once
// Digests the S3 client puts into headers: the hex SHA-256 of a body
// (x-amz-content-sha256), the base64 MD5 of a body (Content-MD5, required by
// DeleteObjects), and HMAC-SHA256 (SigV4 key derivation). OpenSSL underneath; pure
// functions, thread-safe.
#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace grin::storage {

using sha256_digest = std::array<unsigned char, 32>;

// Lower-case hex of the SHA-256 of `bytes`: 64 characters.
std::string sha256_hex(std::string_view bytes);

// Base64 (with padding, no line breaks) of the MD5 of `bytes`: 24 characters.
std::string md5_base64(std::string_view bytes);

sha256_digest hmac_sha256(std::string_view key, std::string_view message);

// Lower-case hex of any byte string.
std::string hex_lower(std::string_view bytes);

// SHA-256 (hex) and MD5 (base64) of one body fed in pieces, e.g. a file range read a
// chunk at a time, so that hashing a large part needs no copy of it in memory.
struct body_digests {
    std::string sha256_hex;
    std::string md5_base64;
};

class body_hasher {
public:
    body_hasher();
    ~body_hasher();
    body_hasher(const body_hasher&) = delete;
    body_hasher& operator=(const body_hasher&) = delete;

    void update(std::string_view piece);
    body_digests finish();

private:
    struct contexts;
    std::unique_ptr<contexts> contexts_;
};

inline std::string_view as_chars(const sha256_digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

} // namespace grin::storage
