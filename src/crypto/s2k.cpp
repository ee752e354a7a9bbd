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
    const std::uint8_t* data() const noexcept { return data_.data(); }
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
        start();
        advance(joint_left());
        finish(digest_a, digest_b);
    }

    // Block 0 of both lanes (B's begins with its zero byte). Blocks 1..joint-1 of the two
    // lanes are the bulk (advance, or the four-lane run), then finish() does the tails.
    void start() {
        static constexpr std::uint32_t initial[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                                                     0xC3D2E1F0};
        std::copy_n(initial, 5, a_);
        std::copy_n(initial, 5, b_);
        joint_ = std::min(total_ / 64, (total_ + 1) / 64);
        done_ = 0;
        if (joint_ == 0)
            return;
        std::uint8_t first_b[64];
        first_b[0] = 0;
        for (std::size_t i = 1; i < 64; ++i)
            first_b[i] = byte_a(i - 1);
        detail::sha1_compress_x2(a_, pattern_.data(), b_, first_b, 1);
        OPENSSL_cleanse(first_b, sizeof first_b);
        done_ = 1;
    }

    std::uint64_t joint_left() const noexcept { return joint_ - done_; }

    void advance(std::uint64_t blocks) {
        for (std::uint64_t end = done_ + blocks; done_ < end;) {
            std::uint64_t n = std::min<std::uint64_t>(end - done_, window / 64);
            std::uint64_t pos = done_ * 64;
            detail::sha1_compress_x2(a_, pattern_.data() + pos % unit_size_, b_,
                                     pattern_.data() + (pos - 1) % unit_size_,
                                     static_cast<std::size_t>(n));
            done_ += n;
        }
    }

    // Blocks [done, done + n) of both lanes, with another S2K's, four chains at once
    // (sha1_compress_x4), a window at a time.
    static void advance_together(two_lane_sha1& one, two_lane_sha1& two, std::uint64_t blocks) {
        for (std::uint64_t end = one.done_ + blocks; one.done_ < end;) {
            std::uint64_t n = std::min<std::uint64_t>(end - one.done_, window / 64);
            std::uint32_t* states[4] = {one.a_, one.b_, two.a_, two.b_};
            const std::uint8_t* data[4] = {one.lane_a_at(one.done_), one.lane_b_at(one.done_),
                                           two.lane_a_at(two.done_), two.lane_b_at(two.done_)};
            detail::sha1_compress_x4(states, data, static_cast<std::size_t>(n));
            one.done_ += n;
            two.done_ += n;
        }
    }

    void finish(std::uint8_t digest_a[20], std::uint8_t digest_b[20]) {
        finish(a_, joint_ * 64, total_, false, digest_a);
        finish(b_, joint_ * 64, total_ + 1, true, digest_b);
    }

private:
    static constexpr std::size_t window = 64 * 1024;

    std::uint8_t byte_a(std::uint64_t pos) const { return unit_[pos % unit_size_]; }
    const std::uint8_t* lane_a_at(std::uint64_t block) const {
        return pattern_.data() + (block * 64) % unit_size_;
    }
    const std::uint8_t* lane_b_at(std::uint64_t block) const {
        return pattern_.data() + (block * 64 - 1) % unit_size_;
    }
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
    std::uint32_t a_[5] = {};
    std::uint32_t b_[5] = {};
    std::uint64_t joint_ = 0;
    std::uint64_t done_ = 0;
};

// salt||passphrase (the S2K's unit), laid out repeated a whole number of times in one
// block (wiped: it is the passphrase), and the number of bytes the S2K hashes.
struct s2k_input {
    s2k_input(const s2k_spec& spec, std::string_view passphrase)
        : salt_size(spec.type == 0 ? 0 : spec.salt.size())
        , unit(salt_size + passphrase.size())
        , total(spec.type == 3 ? std::max<std::uint64_t>(spec.count, unit) : unit)
        , repeats(unit == 0 ? 1 : std::max<std::size_t>(1, block_target / unit))
        , block(std::max<std::size_t>(unit * repeats, 1)) {
        // Every block (and a prefix of it, for the remainder) continues the sequence exactly.
        for (std::size_t r = 0; r < repeats && unit > 0; ++r) {
            std::copy_n(spec.salt.data(), salt_size, block.data() + r * unit);
            std::copy_n(reinterpret_cast<const std::uint8_t*>(passphrase.data()), passphrase.size(),
                        block.data() + r * unit + salt_size);
        }
    }
    std::size_t block_size() const noexcept { return unit * repeats; }

    std::size_t salt_size;
    std::size_t unit;
    std::uint64_t total;
    std::size_t repeats;
    wiped_buffer block;
};

void check_supported(const s2k_spec& spec) {
    if (spec.type != 0 && spec.type != 1 && spec.type != 3)
        detail::fail("unsupported S2K type " + std::to_string(spec.type));
}

// gpg's default kind on SHA-NI: SHA-1, a key of 21..40 bytes (two hash contexts), a count
// large enough for the two-lane code.
bool two_lane_fits(const s2k_spec& spec, const s2k_input& input, std::size_t key_size) {
    return spec.hash == 2 && input.unit > 0 && key_size > 20 && key_size <= 40 &&
           input.total >= block_target && detail::have_sha_ni();
}

void take_two_lane_key(std::uint8_t digest_a[20],
                       std::uint8_t digest_b[20],
                       std::span<std::uint8_t> key) {
    std::copy_n(digest_a, 20, key.data());
    std::copy_n(digest_b, key.size() - 20, key.data() + 20);
    OPENSSL_cleanse(digest_a, 20);
    OPENSSL_cleanse(digest_b, 20);
}

// Two S2Ks of the two-lane kind at once: their four SHA-1 chains run together for the
// blocks both still have (sha1_compress_x4), then each finishes alone.
void derive_pair(const key_request& one, const key_request& two) {
    s2k_input in_one(one.spec, one.passphrase);
    s2k_input in_two(two.spec, two.passphrase);
    two_lane_sha1 first(in_one.block.data(), in_one.unit, in_one.total);
    two_lane_sha1 second(in_two.block.data(), in_two.unit, in_two.total);
    first.start();
    second.start();
    std::uint64_t shared = std::min(first.joint_left(), second.joint_left());
    two_lane_sha1::advance_together(first, second, shared);
    first.advance(first.joint_left());
    second.advance(second.joint_left());
    std::uint8_t a[20], b[20];
    first.finish(a, b);
    take_two_lane_key(a, b, one.key);
    second.finish(a, b);
    take_two_lane_key(a, b, two.key);
}

} // namespace

void derive_keys(std::span<const key_request> requests) {
    std::vector<const key_request*> pairable;
    for (const auto& request : requests) {
        check_supported(request.spec);
        s2k_input input(request.spec, request.passphrase);
        if (two_lane_fits(request.spec, input, request.key.size()))
            pairable.push_back(&request);
        else
            derive_key(request.spec, request.passphrase, request.key);
    }
    std::size_t i = 0;
    for (; i + 1 < pairable.size(); i += 2)
        derive_pair(*pairable[i], *pairable[i + 1]);
    if (i < pairable.size())
        derive_key(pairable[i]->spec, pairable[i]->passphrase, pairable[i]->key);
}

void derive_key(const s2k_spec& spec, std::string_view passphrase, std::span<std::uint8_t> key) {
    check_supported(spec);
    md_ptr md = fetch_hash(spec.hash);
    if (!md)
        detail::fail("unsupported S2K hash algorithm " + std::to_string(spec.hash) + " (" +
                     hash_name(spec.hash) + ")");
    std::unique_ptr<EVP_MD_CTX, md_ctx_deleter> ctx(EVP_MD_CTX_new());
    if (!ctx)
        detail::fail("out of memory in S2K");
    auto digest_size = static_cast<std::size_t>(EVP_MD_get_size(md.get()));

    s2k_input input(spec, passphrase);
    const std::uint64_t total = input.total;
    const std::size_t block_size = input.block_size();
    wiped_buffer& block = input.block;

    std::uint8_t digest[EVP_MAX_MD_SIZE];
    if (two_lane_fits(spec, input, key.size())) {
        std::uint8_t second[20];
        two_lane_sha1(block.data(), input.unit, total).run(digest, second);
        take_two_lane_key(digest, second, key);
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
