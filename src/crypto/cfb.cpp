#include "cfb.hpp"

#include <grin/crypto/algorithms.hpp>

#include <openssl/crypto.h>

#include <algorithm>

#include "fail.hpp"

namespace grin::crypto::detail {
namespace {
constexpr std::size_t run_bytes = 64 * 1024;
}

cfb_decryptor::cfb_decryptor(int algo, bytes_view key) : block_(cipher_block_size(algo)) {
    auto cipher = fetch_ecb_cipher(algo);
    ecb_ = EVP_CIPHER_CTX_new();
    if (!cipher || !ecb_ || block_ == 0 || block_ > 16 ||
        EVP_EncryptInit_ex2(ecb_, cipher.get(), key.data(), nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_set_padding(ecb_, 0) != 1) {
        EVP_CIPHER_CTX_free(ecb_);
        ecb_ = nullptr;
        fail("cannot start the " + cipher_name(algo) + " decryption");
    }
    // The IV is all zeros, so the first keystream block is E(0).
    std::array<std::uint8_t, 16> zero{};
    encrypt_blocks(zero.data(), keystream_.data(), 1);
    run_.resize(run_bytes + 16);
}

cfb_decryptor::~cfb_decryptor() {
    OPENSSL_cleanse(keystream_.data(), keystream_.size());
    if (!run_.empty())
        OPENSSL_cleanse(run_.data(), run_.size());
    EVP_CIPHER_CTX_free(ecb_);
}

void cfb_decryptor::encrypt_blocks(const std::uint8_t* in, std::uint8_t* out, std::size_t blocks) {
    int out_len = 0;
    if (EVP_EncryptUpdate(ecb_, out, &out_len, in, static_cast<int>(blocks * block_)) != 1 ||
        static_cast<std::size_t>(out_len) != blocks * block_)
        fail("block cipher failed");
}

void cfb_decryptor::decrypt(const std::uint8_t* in, std::uint8_t* out, std::size_t size) {
    while (size > 0) {
        if (pos_ == 0 && size >= block_) {
            // Whole blocks: keystream = [E(C[-1])] + E(C[0..m-1]); the last one is kept for
            // the next call.
            std::size_t blocks = std::min(size / block_, run_bytes / block_);
            std::copy_n(keystream_.data(), block_, run_.data());
            encrypt_blocks(in, run_.data() + block_, blocks);
            std::size_t n = blocks * block_;
            const std::uint8_t* keystream = run_.data(); // a local, so the loop vectorises
            for (std::size_t i = 0; i < n; ++i)
                out[i] = in[i] ^ keystream[i];
            std::copy_n(run_.data() + n, block_, keystream_.data());
            in += n;
            out += n;
            size -= n;
            continue;
        }
        std::uint8_t c = *in++;
        *out++ = c ^ keystream_[pos_];
        current_[pos_++] = c;
        --size;
        if (pos_ == block_) {
            encrypt_blocks(current_.data(), keystream_.data(), 1);
            pos_ = 0;
        }
    }
}

} // namespace grin::crypto::detail
