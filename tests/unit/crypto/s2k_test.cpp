#include <grin/core/error.hpp>
#include <grin/crypto/algorithms.hpp>
#include <grin/crypto/s2k.hpp>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <string>
#include <vector>

namespace {

using grin::crypto::s2k_spec;

// RFC 4880 3.7.1.3 written the obvious way: one salt||passphrase piece per hash call.
std::vector<std::uint8_t>
reference_s2k(const s2k_spec& spec, const std::string& pass, std::size_t key_size) {
    auto md = grin::crypto::fetch_hash(spec.hash);
    std::vector<std::uint8_t> unit;
    if (spec.type != 0)
        unit.assign(spec.salt.begin(), spec.salt.end());
    unit.insert(unit.end(), pass.begin(), pass.end());
    std::uint64_t total =
        spec.type == 3 ? std::max<std::uint64_t>(spec.count, unit.size()) : unit.size();
    std::vector<std::uint8_t> key;
    for (std::size_t context = 0; key.size() < key_size; ++context) {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        EVP_DigestInit_ex(ctx, md.get(), nullptr);
        for (std::size_t i = 0; i < context; ++i)
            EVP_DigestUpdate(ctx, "\0", 1);
        for (std::uint64_t done = 0; done < total;) {
            auto n = std::min<std::uint64_t>(unit.size(), total - done);
            EVP_DigestUpdate(ctx, unit.data(), n);
            done += n;
        }
        std::uint8_t digest[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_DigestFinal_ex(ctx, digest, &len);
        EVP_MD_CTX_free(ctx);
        key.insert(key.end(), digest, digest + std::min<std::size_t>(len, key_size - key.size()));
    }
    return key;
}

TEST(crypto_s2k, coded_count_decodes_like_rfc_4880) {
    EXPECT_EQ(grin::crypto::decode_s2k_count(0), 1024u);
    EXPECT_EQ(grin::crypto::decode_s2k_count(0x60), 65536u);
    EXPECT_EQ(grin::crypto::decode_s2k_count(96), 65536u);
    EXPECT_EQ(grin::crypto::decode_s2k_count(255), 65011712u);
}

TEST(crypto_s2k, block_hashing_matches_piecewise_reference) {
    for (int type : {0, 1, 3}) {
        for (int hash : {1, 2, 8, 9, 10, 11}) {
            for (std::size_t key_size : {16, 24, 32}) {
                for (std::uint32_t count : {1024u, 65536u + 7u, 200000u}) {
                    for (std::string pass : {"x", "correct horse battery staple", ""}) {
                        s2k_spec spec;
                        spec.type = type;
                        spec.hash = hash;
                        spec.salt = {1, 2, 3, 4, 5, 6, 7, 8};
                        spec.count = count;
                        std::vector<std::uint8_t> key(key_size);
                        grin::crypto::derive_key(spec, pass, key);
                        EXPECT_EQ(key, reference_s2k(spec, pass, key_size))
                            << "type " << type << " hash " << hash << " key " << key_size
                            << " count " << count << " pass '" << pass << "'";
                    }
                }
            }
        }
    }
}

// AES256 + SHA-1 (gpg's default) takes the two-lane SHA-NI path when the CPU has it: check
// it at every tail length around block boundaries and for many period lengths.
TEST(crypto_s2k, two_context_sha1_matches_reference_at_odd_lengths) {
    for (std::uint32_t count :
         {65536u, 65536u + 55u, 65536u + 56u, 65536u + 63u, 65536u + 64u, 131071u, 1000003u}) {
        for (std::size_t pass_size : {1u, 2u, 7u, 13u, 56u, 57u, 64u, 100u}) {
            std::string pass(pass_size, 'p');
            for (std::size_t i = 0; i < pass_size; ++i)
                pass[i] = static_cast<char>('a' + (i * 7) % 26);
            s2k_spec spec;
            spec.type = 3;
            spec.hash = 2;
            spec.salt = {9, 8, 7, 6, 5, 4, 3, 2};
            spec.count = count;
            std::vector<std::uint8_t> key(32);
            grin::crypto::derive_key(spec, pass, key);
            EXPECT_EQ(key, reference_s2k(spec, pass, 32)) << count << " " << pass_size;
        }
    }
}

// derive_keys runs two gpg-default requests as one four-chain batch: every key must equal
// the reference, whatever the two requests' counts (the shorter one stops sharing first),
// periods (unit 9..108 bytes: 1 to 27 distinct blocks per lane) and key sizes; requests of
// other kinds in the same batch take the single path.
TEST(crypto_s2k, batched_keys_match_reference) {
    const std::vector<std::uint32_t> counts = {65536u, 65536u + 63u, 131072u + 1u, 1000003u};
    const std::vector<std::size_t> pass_sizes = {1u, 24u, 33u, 56u, 100u};
    int pairs = 0;
    for (std::size_t c1 = 0; c1 < counts.size(); ++c1) {
        for (std::size_t p1 = 0; p1 < pass_sizes.size(); ++p1) {
            const std::uint32_t count_2 = counts[(c1 + p1) % counts.size()];
            const std::size_t pass_size_2 = pass_sizes[(p1 + 2) % pass_sizes.size()];
            std::string pass_1(pass_sizes[p1], 'a'), pass_2(pass_size_2, 'b');
            for (std::size_t i = 0; i < pass_1.size(); ++i)
                pass_1[i] = static_cast<char>('a' + (i * 5) % 26);
            s2k_spec one{.type = 3, .hash = 2, .salt = {1, 3, 5, 7, 9, 11, 13, 15}};
            one.count = counts[c1];
            s2k_spec two{.type = 3, .hash = 2, .salt = {2, 4, 6, 8, 10, 12, 14, 16}};
            two.count = count_2;
            s2k_spec other{.type = 3, .hash = 8, .salt = {7, 7, 7, 7, 7, 7, 7, 7}};
            other.count = 70000;
            std::vector<std::uint8_t> key_1(32), key_2(c1 % 2 ? 24 : 32), key_3(32);
            std::vector<grin::crypto::key_request> batch = {
                {one, pass_1, key_1}, {other, pass_1, key_3}, {two, pass_2, key_2}};
            grin::crypto::derive_keys(batch);
            EXPECT_EQ(key_1, reference_s2k(one, pass_1, 32)) << counts[c1] << " " << pass_sizes[p1];
            EXPECT_EQ(key_2, reference_s2k(two, pass_2, key_2.size()))
                << count_2 << " " << pass_size_2;
            EXPECT_EQ(key_3, reference_s2k(other, pass_1, 32));
            ++pairs;
        }
    }
    EXPECT_EQ(pairs, 20);
    // An odd one out and an empty batch.
    s2k_spec single{.type = 3, .hash = 2, .salt = {1, 1, 1, 1, 1, 1, 1, 1}};
    single.count = 65011712;
    std::vector<std::uint8_t> key(32);
    std::vector<grin::crypto::key_request> lone = {{single, "pass", key}};
    grin::crypto::derive_keys(lone);
    EXPECT_EQ(key, reference_s2k(single, "pass", 32));
    grin::crypto::derive_keys({});
}

TEST(crypto_s2k, unknown_hash_and_type_are_errors) {
    s2k_spec spec;
    spec.type = 3;
    spec.hash = 77;
    std::vector<std::uint8_t> key(16);
    EXPECT_THROW(grin::crypto::derive_key(spec, "p", key), grin::error);
    spec.hash = 2;
    spec.type = 2;
    EXPECT_THROW(grin::crypto::derive_key(spec, "p", key), grin::error);
}

} // namespace
