#include "seipd.hpp"

#include <openssl/crypto.h>

#include <algorithm>

#include "fail.hpp"

namespace grin::crypto::detail {
namespace {
constexpr std::size_t piece = 64 * 1024;
constexpr std::size_t mdc_size = 22; // 0xD3 0x14 + SHA-1
// With encrypted session keys the block size is only known after the S2K, so wait for
// enough bytes for the largest block (16) + 2; any valid body is longer anyway.
constexpr std::size_t max_prefix = 18;
} // namespace

seipd_layer::seipd_layer(std::vector<skesk> keys,
                         const passphrase& pass,
                         std::shared_ptr<const derived_key> derived,
                         layer_context& context)
    : keys_(std::move(keys))
    , passphrase_(pass)
    , derived_(std::move(derived))
    , context_(context)
    , inner_(context, 0) {}

seipd_layer::~seipd_layer() {
    EVP_MD_CTX_free(mdc_);
}

void seipd_layer::feed(bytes_view data) {
    if (!committed()) {
        prefix_.insert(prefix_.end(), data.begin(), data.end());
        if (prefix_.size() < max_prefix)
            return;
        open_session();
        std::vector<std::uint8_t> rest(
            prefix_.begin() + static_cast<std::ptrdiff_t>(block_size_ + 2), prefix_.end());
        prefix_.clear();
        prefix_.shrink_to_fit();
        decrypt(rest);
        return;
    }
    decrypt(data);
}

void seipd_layer::open_session() {
    for (const auto& packet : keys_) {
        auto session = derive_session_key(packet, passphrase_, derived_.get());
        if (!session)
            continue;
        std::size_t block = cipher_block_size(session->cipher);
        if (prefix_.size() < block + 2)
            fail("truncated input: the encrypted data ends inside its first block");
        auto cfb = std::make_unique<cfb_decryptor>(session->cipher, session->key);
        std::uint8_t check[16 + 2];
        cfb->decrypt(prefix_.data(), check, block + 2);
        // The prefix repeats its last two random bytes: a cheap test of the key.
        if (check[block - 2] != check[block] || check[block - 1] != check[block + 1]) {
            OPENSSL_cleanse(check, sizeof check);
            continue;
        }
        cfb_ = std::move(cfb);
        block_size_ = block;
        context_.info.cipher = cipher_name(session->cipher);
        context_.info.protection = "cfb-mdc";
        context_.info.s2k_type = packet.s2k.type;
        context_.info.s2k_hash = hash_name(packet.s2k.hash);
        context_.info.s2k_count = packet.s2k.count;
        sha1_ = fetch_hash(2);
        mdc_ = EVP_MD_CTX_new();
        if (!sha1_ || !mdc_ || EVP_DigestInit_ex(mdc_, sha1_.get(), nullptr) != 1 ||
            EVP_DigestUpdate(mdc_, check, block + 2) != 1)
            fail("cannot start the MDC hash");
        OPENSSL_cleanse(check, sizeof check);
        scratch_.resize(piece);
        return;
    }
    fail("wrong passphrase");
}

void seipd_layer::decrypt(bytes_view data) {
    while (!data.empty()) {
        std::size_t n = std::min(data.size(), piece);
        cfb_->decrypt(data.data(), scratch_.data(), n);
        data = data.subspan(n);
        // Hold back the last 22 bytes seen so far: they may be the MDC packet.
        std::uint8_t* plain = scratch_.data();
        if (n >= mdc_size) {
            release(bytes_view(tail_.data(), tail_len_));
            release(bytes_view(plain, n - mdc_size));
            std::copy_n(plain + n - mdc_size, mdc_size, tail_.data());
            tail_len_ = mdc_size;
        } else {
            std::uint8_t joined[2 * mdc_size];
            std::copy_n(tail_.data(), tail_len_, joined);
            std::copy_n(plain, n, joined + tail_len_);
            std::size_t total = tail_len_ + n;
            std::size_t out = total > mdc_size ? total - mdc_size : 0;
            release(bytes_view(joined, out));
            tail_len_ = total - out;
            std::copy_n(joined + out, tail_len_, tail_.data());
        }
    }
}

void seipd_layer::release(bytes_view plain) {
    if (plain.empty())
        return;
    if (EVP_DigestUpdate(mdc_, plain.data(), plain.size()) != 1)
        fail("MDC hash failed");
    if (deferred_)
        return;
    try {
        inner_.feed(plain);
    } catch (const inner_format_error& e) {
        if (context_.in_sink)
            throw;
        deferred_ = e.message();
    }
}

void seipd_layer::finish() {
    if (!committed())
        fail("truncated input: the encrypted data ends inside its first block");
    if (tail_len_ < mdc_size || tail_[0] != 0xD3 || tail_[1] != 0x14)
        fail("integrity check (MDC) failed: the encrypted data does not end with an MDC packet");
    std::uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    if (EVP_DigestUpdate(mdc_, tail_.data(), 2) != 1 ||
        EVP_DigestFinal_ex(mdc_, digest, &digest_len) != 1 || digest_len != 20)
        fail("MDC hash failed");
    if (CRYPTO_memcmp(digest, tail_.data() + 2, 20) != 0)
        fail("integrity check (MDC) failed");
    if (deferred_)
        fail(*deferred_);
    try {
        inner_.finish();
    } catch (const inner_format_error& e) {
        if (context_.in_sink)
            throw;
        fail(e.message());
    }
}

} // namespace grin::crypto::detail
