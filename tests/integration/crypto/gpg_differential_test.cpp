// Differential tests: files made by the real gpg, decrypted by gpg and by us; the outputs
// must be byte-identical. The rows cover every value of every axis (size, gzip input,
// compression, cipher, S2K mode, S2K digest, S2K count, streamed input, armor) without
// running the full cross product.
#include <sstream>

#include "gpg_fixture.hpp"

namespace grin::test {
namespace {

struct row {
    std::string name;
    std::size_t size;
    bool gzip_input;      // gpg adds no compression packet for gzip data
    std::string compress; // "" = gpg's default
    std::string cipher;
    int s2k_mode;
    std::string digest;
    std::uint32_t count; // only for mode 3
    bool streamed;
    bool armor = false;
};

std::ostream& operator<<(std::ostream& os, const row& r) {
    return os << r.name;
}

constexpr std::uint32_t min_count = 1025; // gpg ignores 1024 itself; 1025 encodes as 1088
constexpr std::uint32_t max_count = 65011712;
constexpr std::size_t mib = 1024 * 1024;

const std::vector<row> rows = {
    {"empty_aes_default_compress", 0, false, "", "AES", 3, "SHA1", min_count, false},
    {"one_byte_zip_aes192", 1, false, "zip", "AES192", 3, "SHA256", min_count, false},
    {"fifteen_zlib_aes256_salted", 15, false, "zlib", "AES256", 1, "SHA512", 0, false},
    {"sixteen_bzip2_camellia_simple", 16, false, "bzip2", "CAMELLIA256", 0, "SHA1", 0, false},
    {"seventeen_none_streamed", 17, false, "none", "AES", 3, "SHA512", min_count, true},
    {"gzip_64k_minus_1", 65535, true, "", "AES256", 3, "SHA256", min_count, false},
    {"raw_64k_camellia_streamed", 65536, false, "", "CAMELLIA256", 3, "SHA1", min_count, true},
    {"gzip_64k_plus_1_bzip2_salted_streamed", 65537, true, "bzip2", "AES192", 1, "SHA256", 0, true},
    {"raw_64k_plus_1_zip_streamed", 65537, false, "zip", "AES256", 3, "SHA512", min_count, true},
    {"gzip_10mib_streamed", 10 * mib, true, "", "AES256", 3, "SHA1", min_count, true},
    {"raw_10mib_zlib", 10 * mib, false, "zlib", "AES", 3, "SHA256", min_count, false},
    {"max_count_default_cipher", 1000, true, "", "AES256", 3, "SHA1", max_count, false},
    {"armored_goes_to_librnp", 3000, false, "", "AES256", 3, "SHA256", min_count, false, true},
};

bytes make_input(const row& r, const std::filesystem::path& dir) {
    auto data = pseudo_random(r.size, static_cast<std::uint32_t>(r.size) + 3);
    if (!r.gzip_input)
        return data;
    // Gzip content of about the requested size: gzip -1 of incompressible bytes grows by a
    // few dozen bytes, which does not matter for the shape of the packets.
    write_bytes(dir / "raw", data);
    auto rc = run_command("gzip -1 -n -c '" + (dir / "raw").string() + "' > '" +
                          (dir / "raw.gz").string() + "'");
    EXPECT_EQ(rc.exit_code, 0) << rc.output;
    return read_bytes(dir / "raw.gz");
}

class decrypt_gpg_differential : public gpg_fixture, public ::testing::WithParamInterface<row> {};

TEST_P(decrypt_gpg_differential, output_is_identical_to_gpg) {
    const row& r = GetParam();
    auto input = make_input(r, dir_.path());
    write_bytes(dir_ / "input", input);
    std::ostringstream flags;
    flags << "--cipher-algo " << r.cipher << " --s2k-mode " << r.s2k_mode << " --s2k-digest-algo "
          << r.digest;
    if (r.s2k_mode == 3)
        flags << " --s2k-count " << r.count;
    if (!r.compress.empty())
        flags << " --compress-algo " << r.compress;
    if (r.armor)
        flags << " --armor";
    auto encrypted = encrypt(dir_ / "input", flags.str(), r.streamed);
    auto file = read_bytes(encrypted);
    ASSERT_FALSE(file.empty());
    auto reference = gpg_decrypt(encrypted);
    ASSERT_EQ(reference, input) << "gpg itself did not round-trip";

    for (std::size_t piece : {std::size_t{1 << 20}, std::size_t{65536}, std::size_t{4099}}) {
        auto got = decrypt_bytes(file, pass, piece);
        ASSERT_EQ(got.error, "") << "piece " << piece;
        ASSERT_EQ(got.plain.size(), reference.size()) << "piece " << piece;
        ASSERT_TRUE(got.plain == reference) << "piece " << piece;
        if (r.armor) {
            EXPECT_EQ(got.info.engine, "librnp");
        } else {
            EXPECT_EQ(got.info.engine, "native");
            EXPECT_EQ(got.info.s2k_type, r.s2k_mode);
            EXPECT_EQ(got.info.s2k_hash, r.digest);
            EXPECT_EQ(got.info.protection, "cfb-mdc");
        }
    }
    if (r.size <= 17 || r.armor) { // tiny and armored files also survive byte-by-byte feeding
        auto got = decrypt_bytes(file, pass, 1);
        EXPECT_EQ(got.error, "");
        EXPECT_TRUE(got.plain == reference);
    }
}

INSTANTIATE_TEST_SUITE_P(matrix,
                         decrypt_gpg_differential,
                         ::testing::ValuesIn(rows),
                         [](const auto& info) { return info.param.name; });

} // namespace
} // namespace grin::test
