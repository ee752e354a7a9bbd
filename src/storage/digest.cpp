#include <grin/storage/digest.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace grin::storage {
namespace {

// OpenSSL fails here only when out of memory or when an algorithm is unavailable
// (a FIPS provider without MD5): both are environment faults, not per-book ones.
[[noreturn]] void openssl_failed(const char* what) {
    throw std::runtime_error(std::string("OpenSSL ") + what + " failed");
}

std::string base64_of_md5(const std::array<unsigned char, 16>& digest) {
    // 16 bytes -> 24 characters + the terminating NUL EVP_EncodeBlock writes.
    std::array<unsigned char, 25> encoded{};
    int written = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest.size()));
    if (written != 24)
        openssl_failed("base64");
    return std::string(reinterpret_cast<const char*>(encoded.data()), 24);
}

} // namespace

std::string hex_lower(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char byte : bytes) {
        out += digits[byte >> 4];
        out += digits[byte & 15];
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    sha256_digest digest{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) !=
            1 ||
        length != digest.size())
        openssl_failed("SHA-256");
    return hex_lower(as_chars(digest));
}

std::string md5_base64(std::string_view bytes) {
    std::array<unsigned char, 16> digest{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_md5(), nullptr) != 1 ||
        length != digest.size())
        openssl_failed("MD5");
    return base64_of_md5(digest);
}

struct body_hasher::contexts {
    EVP_MD_CTX* sha256 = EVP_MD_CTX_new();
    EVP_MD_CTX* md5 = EVP_MD_CTX_new();
    ~contexts() {
        EVP_MD_CTX_free(sha256);
        EVP_MD_CTX_free(md5);
    }
};

body_hasher::body_hasher() : contexts_(std::make_unique<contexts>()) {
    if (!contexts_->sha256 || !contexts_->md5 ||
        EVP_DigestInit_ex(contexts_->sha256, EVP_sha256(), nullptr) != 1 ||
        EVP_DigestInit_ex(contexts_->md5, EVP_md5(), nullptr) != 1)
        openssl_failed("digest setup");
}

body_hasher::~body_hasher() = default;

void body_hasher::update(std::string_view piece) {
    if (EVP_DigestUpdate(contexts_->sha256, piece.data(), piece.size()) != 1 ||
        EVP_DigestUpdate(contexts_->md5, piece.data(), piece.size()) != 1)
        openssl_failed("digest");
}

body_digests body_hasher::finish() {
    sha256_digest sha256{};
    std::array<unsigned char, 16> md5{};
    unsigned int sha256_length = 0;
    unsigned int md5_length = 0;
    if (EVP_DigestFinal_ex(contexts_->sha256, sha256.data(), &sha256_length) != 1 ||
        EVP_DigestFinal_ex(contexts_->md5, md5.data(), &md5_length) != 1 ||
        sha256_length != sha256.size() || md5_length != md5.size())
        openssl_failed("digest");
    return {.sha256_hex = hex_lower(as_chars(sha256)), .md5_base64 = base64_of_md5(md5)};
}

sha256_digest hmac_sha256(std::string_view key, std::string_view message) {
    sha256_digest out{};
    unsigned int length = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(),
              &length) ||
        length != out.size())
        openssl_failed("HMAC-SHA256");
    return out;
}

} // namespace grin::storage
