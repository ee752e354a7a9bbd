#pragma once
// OpenPGP CFB decryption (zero IV, full-block feedback, no resync) done the fast way.
// Why: each CFB plaintext block is C[i] xor E(C[i-1]), so decryption needs no chaining:
// the keystream for a whole run of blocks is one ECB call over the ciphertext shifted by a
// block, which OpenSSL pipelines (AES-NI/VAES) several times faster than its own CFB mode,
// which encrypts one block per call. Partial blocks at chunk edges take a byte-wise path.
// Throws grin::error (step "decrypt") when the cipher is unavailable. Not thread-safe.
#include <grin/crypto/packet_reader.hpp>

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <vector>

namespace grin::crypto::detail {

class cfb_decryptor {
public:
    cfb_decryptor(int algo, bytes_view key);
    ~cfb_decryptor();
    cfb_decryptor(const cfb_decryptor&) = delete;
    cfb_decryptor& operator=(const cfb_decryptor&) = delete;

    // `in` and `out` may be the same buffer only if identical (not overlapping otherwise).
    void decrypt(const std::uint8_t* in, std::uint8_t* out, std::size_t size);
    std::size_t block_size() const noexcept { return block_; }

private:
    void encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t blocks);

    EVP_CIPHER_CTX* ecb_ = nullptr;
    std::size_t block_ = 0;
    std::array<std::uint8_t, 16> keystream_{}; // E(previous ciphertext block)
    std::array<std::uint8_t, 16> current_{};   // ciphertext of the block in progress
    std::size_t pos_ = 0;                      // bytes used of keystream_
    std::vector<std::uint8_t> run_;            // keystream for a run of whole blocks
};

} // namespace grin::crypto::detail
