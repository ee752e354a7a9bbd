#pragma once
// Digests the S3 client puts into headers: the hex SHA-256 of a body
// (x-amz-content-sha256), the base64 MD5 of a body (Content-MD5, required by
// DeleteObjects), and HMAC-SHA256 (SigV4 key derivation). OpenSSL underneath; pure
// functions, thread-safe.
#include <array>
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

inline std::string_view as_chars(const sha256_digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

} // namespace grin::storage
