#pragma once
// Symmetrically encrypted integrity-protected data, version 1 (RFC 4880 5.13): OpenPGP CFB
// (zero IV, no resync) over a random prefix, the message packets, and a trailing MDC
// packet (0xD3 0x14 + SHA-1 of everything before its last 20 bytes).
// The first block+2 bytes are the "quick check": the session key is derived from the
// SKESKs (the expensive S2K) and tried against them before anything is output, so a wrong
// passphrase fails early. The last 22 decrypted bytes are always held back, since the
// MDC can only be recognised at the end. Errors in the content are deferred until the MDC
// has been checked, so that tampering is reported as "integrity check (MDC) failed".
// Not thread-safe.
#include <grin/crypto/algorithms.hpp>

#include <openssl/evp.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cfb.hpp"
#include "layer_context.hpp"
#include "message_layer.hpp"
#include "skesk.hpp"

namespace grin::crypto::detail {

class seipd_layer {
public:
    seipd_layer(std::vector<skesk> keys,
                const passphrase& pass,
                std::shared_ptr<const derived_key> derived,
                layer_context& context);
    ~seipd_layer();
    seipd_layer(const seipd_layer&) = delete;
    seipd_layer& operator=(const seipd_layer&) = delete;

    // Bytes after the version octet.
    void feed(bytes_view data);
    void finish();
    // True once the quick check has passed (the decryption is then committed to this path).
    bool committed() const noexcept { return cfb_ != nullptr; }

private:
    void open_session(); // S2K + quick check on prefix_
    void decrypt(bytes_view data);
    void release(bytes_view plain); // to the MDC hash and the message layer

    std::vector<skesk> keys_;
    const passphrase& passphrase_;
    std::shared_ptr<const derived_key> derived_;
    layer_context& context_;
    std::vector<std::uint8_t> prefix_;
    std::size_t block_size_ = 0;
    std::unique_ptr<cfb_decryptor> cfb_;
    EVP_MD_CTX* mdc_ = nullptr;
    md_ptr sha1_;
    std::vector<std::uint8_t> scratch_;
    std::array<std::uint8_t, 22> tail_{};
    std::size_t tail_len_ = 0;
    message_layer inner_;
    std::optional<std::string> deferred_;
};

} // namespace grin::crypto::detail
