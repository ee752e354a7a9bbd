#pragma once
// Symmetric-key encrypted session key packets (RFC 4880 5.3) and the session key they
// yield. parse_skesk() accepts v4 only; anything the native path cannot do but librnp can
// (v5/v6, Argon2 or GNU S2K, Twofish, hashes OpenSSL lacks) raises fallback_signal, and
// what nobody can do (unknown algorithm numbers) raises grin::error. Not thread-safe.
#include <grin/crypto/passphrase.hpp>
#include <grin/crypto/s2k.hpp>

#include <optional>
#include <vector>

#include "layer_context.hpp"

namespace grin::crypto::detail {

struct skesk {
    int cipher = 0;
    s2k_spec s2k;
    std::vector<std::uint8_t> encrypted_key; // empty: the S2K output is the session key
};

skesk parse_skesk(bytes_view body);

// Wiped on destruction.
struct session_key {
    int cipher = 0;
    std::vector<std::uint8_t> key;
    session_key() = default;
    session_key(session_key&&) = default;
    session_key& operator=(session_key&&) = default;
    ~session_key();
};

// Runs the S2K (the expensive step), or takes `derived` when it was derived ahead for
// exactly this packet's S2K and key size. nullopt when an encrypted session key decrypts
// to nonsense, which means a wrong passphrase.
std::optional<session_key>
derive_session_key(const skesk& packet, const passphrase& key, const derived_key* derived);

} // namespace grin::crypto::detail
