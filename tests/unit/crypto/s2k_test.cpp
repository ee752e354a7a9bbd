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
