#pragma once
// String-to-key (RFC 4880 section 3.7): turns the passphrase into a key.
// The iterated form hashes `count` bytes of salt||passphrase repeated; gpg's default count
// is the maximum, 65,011,712 bytes per hash context. gpg and librnp feed the hash one
// salt||passphrase piece (~9-30 bytes) per call; we lay the repetition out once in a 64 KiB
// block and hash that block over and over, which lets OpenSSL's SHA-NI/AVX code run at full
// speed; two-context keys (AES256 + SHA-1, gpg's default) run both contexts interleaved
// on SHA-NI (sha1_x2). Thread-safe (no shared state).
#include <grin/crypto/packet_reader.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace grin::crypto {

struct s2k_spec {
    int type = 0; // 0 simple, 1 salted, 3 iterated and salted
    int hash = 0; // OpenPGP hash algorithm number
    std::array<std::uint8_t, 8> salt{};
    std::uint32_t count = 0; // bytes to hash (decoded), type 3 only

    bool operator==(const s2k_spec&) const = default;
};

// The one-byte coded count of RFC 4880 3.7.1.3 decoded into bytes.
constexpr std::uint32_t decode_s2k_count(std::uint8_t coded) {
    return (16u + (coded & 15u)) << ((coded >> 4) + 6);
}

// Fills `key` (any length) from the passphrase. Throws grin::error (step "decrypt") with
// "unsupported S2K hash algorithm N (...)" when OpenSSL lacks the hash, or for an S2K
// type other than 0, 1, 3.
void derive_key(const s2k_spec& spec, std::string_view passphrase, std::span<std::uint8_t> key);

// One key for derive_keys().
struct key_request {
    s2k_spec spec;
    std::string_view passphrase;
    std::span<std::uint8_t> key;
};

// Fills every request's key exactly as derive_key() would. Two requests of gpg's default
// kind (iterated and salted SHA-1, a 21..40-byte key such as AES256's) run together on
// SHA-NI: their four hash chains take 54 ms where one request's two take 39.5 ms
// (sha1_x2.hpp), so a batch of two costs about a third less CPU per key. Throws like
// derive_key().
void derive_keys(std::span<const key_request> requests);

// A key derived before the decryptor needed it (the sync derives keys in batches), with
// the S2K it came from; the decryptor uses it only for exactly that S2K. Wiped on
// destruction.
struct derived_key {
    s2k_spec spec;
    std::vector<std::uint8_t> key;
    derived_key() = default;
    derived_key(const derived_key&) = delete;
    derived_key& operator=(const derived_key&) = delete;
    ~derived_key();
};

// The S2K that the first passphrase packet (SKESK v4) at the start of a file needs, and
// the size of the key it must produce.
struct s2k_need {
    s2k_spec spec;
    std::size_t key_size = 0;
};

// Reads the packets at the start of `prefix` (the first bytes of a file; marker packets
// are skipped). nullopt when they are not a native SKESK, or not complete in `prefix`:
// the decryptor then derives its key itself. Never throws for malformed input.
std::optional<s2k_need> find_first_s2k(bytes_view prefix);

} // namespace grin::crypto
