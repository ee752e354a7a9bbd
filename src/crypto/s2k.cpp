#include <grin/crypto/algorithms.hpp>
#include <grin/crypto/s2k.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "fail.hpp"
#include "sha1_x2.hpp"

namespace grin::crypto {
namespace {

struct md_ctx_deleter {
    void operator()(EVP_MD_CTX* ctx) const noexcept { EVP_MD_CTX_free(ctx); }
};

// Holds salt||passphrase repeated; wiped on the way out because it is the passphrase.
class wiped_buffer {
public:
    explicit wiped_buffer(std::size_t size) : data_(size) {}
    ~wiped_buffer() { OPENSSL_cleanse(data_.data(), data_.size()); }
    wiped_buffer(const wiped_buffer&) = delete;
    wiped_buffer& operator=(const wiped_buffer&) = delete;
    std::uint8_t* data() noexcept { return data_.data(); }
    std::size_t size() const noexcept { return data_.size(); }

private:
    std::vector<std::uint8_t> data_;
};

constexpr std::size_t block_target = 64 * 1024;

// SHA-1 with two contexts (keys of 21..40 bytes, e.g. AES256) on SHA-NI: stream A is the
// repeated salt||passphrase, stream B the same behind one zero byte. Both are periodic, so
// one buffer holding the pattern (plus one period of slack) provides every 64 KiB window.
class two_lane_sha1 {
public:
    two_lane_sha1(const std::uint8_t* unit, std::size_t unit_size, std::uint64_t total)
        : unit_(unit), unit_size_(unit_size), total_(total), pattern_(window + unit_size) {
        for (std::size_t i = 0; i < pattern_.size(); ++i)
            pattern_.data()[i] = unit[i % unit_size];
    }

    void run(std::uint8_t digest_a[20], std::uint8_t digest_b[20]) {
        std::uint32_t a[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
        std::uint32_t b[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
        std::uint64_t length_b = total_ + 1;
        // B's first block is the zero byte and the first 63 pattern bytes.
        std::uint8_t first_b[64];
        first_b[0] = 0;
        for (std::size_t i = 1; i < 64; ++i)
            first_b[i] = byte_a(i - 1);
        std::uint64_t joint = std::min(total_ / 64, length_b / 64);
        if (joint > 0) {
            detail::sha1_compress_x2(a, pattern_.data(), b, first_b, 1);
            for (std::uint64_t done = 1; done < joint;) {
                std::uint64_t n = std::min<std::uint64_t>(joint - done, window / 64);
                std::uint64_t pos = done * 64;
                detail::sha1_compress_x2(a, pattern_.data() + pos % unit_size_, b,
                                         pattern_.data() + (pos - 1) % unit_size_,
                                         static_cast<std::size_t>(n));
                done += n;
            }
        }
        finish(a, joint * 64, total_, false, digest_a);
        finish(b, joint * 64, length_b, true, digest_b);
        OPENSSL_cleanse(first_b, sizeof first_b);
    }

private:
    static constexpr std::size_t window = 64 * 1024;

    std::uint8_t byte_a(std::uint64_t pos) const { return unit_[pos % unit_size_]; }
    std::uint8_t byte_of(bool lane_b, std::uint64_t pos) const {
        if (!lane_b)
            return byte_a(pos);
        return pos == 0 ? 0 : byte_a(pos - 1);
    }

    // The remaining full blocks and the padded tail of one lane, run through the two-lane
    // function with a throwaway second state.
    void finish(std::uint32_t state[5],
                std::uint64_t from,
                std::uint64_t length,
                bool lane_b,
                std::uint8_t digest[20]) {
        std::uint8_t block[128];
        std::uint32_t scratch[5] = {};
        for (; from + 64 <= length; from += 64) {
            for (std::size_t i = 0; i < 64; ++i)
                block[i] = byte_of(lane_b, from + i);
            detail::sha1_compress_x2(state, block, scratch, block, 1);
        }
        std::size_t rest = static_cast<std::size_t>(length - from);
        for (std::size_t i = 0; i < rest; ++i)
            block[i] = byte_of(lane_b, from + i);
        std::size_t padded = rest + 9 <= 64 ? 64 : 128;
        block[rest] = 0x80;
        std::fill(block + rest + 1, block + padded, std::uint8_t{0});
        std::uint64_t bits = length * 8;
        for (int k = 0; k < 8; ++k)
            block[padded - 1 - k] = static_cast<std::uint8_t>(bits >> (8 * k));
        detail::sha1_compress_x2(state, block, scratch, block, padded / 64);
        for (int w = 0; w < 5; ++w)
            for (int k = 0; k < 4; ++k)
                digest[4 * w + k] = static_cast<std::uint8_t>(state[w] >> (24 - 8 * k));
        OPENSSL_cleanse(block, sizeof block);
    }

    const std::uint8_t* unit_;
    std::size_t unit_size_;
    std::uint64_t total_;
    wiped_buffer pattern_;
};

} // namespace

void derive_key(const s2k_spec& spec, std::string_view passphrase, std::span<std::uint8_t> key) {
    if (spec.type != 0 && spec.type != 1 && spec.type != 3)
        detail::fail("unsupported S2K type " + std::to_string(spec.type));
    md_ptr md = fetch_hash(spec.hash);
    if (!md)
        detail::fail("unsupported S2K hash algorithm " + std::to_string(spec.hash) + " (" +
                     hash_name(spec.hash) + ")");
    std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx(EVP_MD_CTX_new());
    if (!ctx)
        detail::fail("out of memory in S2K");
    auto digest_size = static_cast<std::size_t>(EVP_MD_get_size(md.get()));

    std::size_t salt_size = spec.type == 0 ? 0 : spec.salt.size();
    std::size_t unit = salt_size + passphrase.size();
    std::uint64_t total = unit;
    if (spec.type == 3)
        total = std::max<std::uint64_t>(spec.count, unit);

    // One block = salt||passphrase repeated a whole number of times, so every block (and a
    // prefix of it, for the remainder) continues the sequence exactly.
    std::size_t repeats = unit == 0 ? 1 : std::max<std::size_t>(1, block_target / unit);
    wiped_buffer block(std::max<std::size_t>(unit * repeats, 1));
    for (std::size_t r = 0; r < repeats && unit > 0; ++r) {
        std::copy_n(spec.salt.data(), salt_size, block.data() + r * unit);
        std::copy_n(reinterpret_cast<const std::uint8_t*>(passphrase.data()), passphrase.size(),
                    block.data() + r * unit + salt_size);
    }
    std::size_t block_size = unit * repeats;

    std::uint8_t digest[EVP_MAX_MD_SIZE];
    if (spec.hash == 2 && unit > 0 && key.size() > 20 && key.size() <= 40 &&
        total >= block_target && detail::have_sha_ni()) {
        std::uint8_t second[20];
        two_lane_sha1(block.data(), unit, total).run(digest, second);
        std::copy_n(digest, 20, key.data());
        std::copy_n(second, key.size() - 20, key.data() + 20);
        OPENSSL_cleanse(digest, sizeof digest);
        OPENSSL_cleanse(second, sizeof second);
        return;
    }
    static const std::uint8_t zeros[64] = {};
    for (std::size_t done = 0, context = 0; done < key.size(); ++context) {
        if (context > sizeof zeros)
            detail::fail("S2K key too long for the hash");
        if (EVP_DigestInit_ex(ctx.get(), md.get(), nullptr) != 1 ||
            EVP_DigestUpdate(ctx.get(), zeros, context) != 1)
            detail::fail("S2K hash failed");
        std::uint64_t left = total;
        while (left > 0 && block_size > 0) {
            auto n = static_cast<std::size_t>(std::min<std::uint64_t>(left, block_size));
            if (EVP_DigestUpdate(ctx.get(), block.data(), n) != 1)
                detail::fail("S2K hash failed");
            left -= n;
        }
        if (EVP_DigestFinal_ex(ctx.get(), digest, nullptr) != 1)
            detail::fail("S2K hash failed");
        std::size_t n = std::min(digest_size, key.size() - done);
        std::copy_n(digest, n, key.data() + done);
        done += n;
    }
    OPENSSL_cleanse(digest, sizeof digest);
}

} // namespace grin::crypto
