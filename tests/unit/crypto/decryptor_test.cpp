#include <grin/core/error.hpp>
#include <grin/crypto/decryptor.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "test_message.hpp"
#include "test_support.hpp"

namespace {

using grin::crypto::bytes_view;
using grin::crypto::decrypt_options;
using grin::crypto::decryptor;
using grin::crypto::passphrase;
using grin::test::bytes;
using grin::test::encrypt_message;
using grin::test::message_shape;

struct outcome {
    bytes plain;
    std::string error; // empty on success
    std::size_t sink_calls_before_error = 0;
    grin::crypto::decrypt_info info;
};

outcome decrypt(const bytes& file,
                const std::string& pass = "correct horse",
                std::size_t piece = 65536,
                decrypt_options options = {}) {
    passphrase key(pass);
    outcome result;
    decryptor engine(
        key,
        [&](bytes_view data) { result.plain.insert(result.plain.end(), data.begin(), data.end()); },
        options);
    try {
        for (std::size_t pos = 0; pos < file.size(); pos += piece)
            engine.update(bytes_view(file).subspan(pos, std::min(piece, file.size() - pos)));
        result.info = engine.finish();
    } catch (const grin::error& e) {
        EXPECT_EQ(e.context().step, "decrypt") << e.what();
        result.error = e.message();
        result.sink_calls_before_error = result.plain.size();
    }
    return result;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(crypto_decryptor, round_trips_every_shape) {
    struct row {
        std::size_t size;
        message_shape shape;
    };
    std::vector<row> rows;
    for (std::size_t size : {0, 1, 15, 16, 17, 65535, 65537}) {
        message_shape shape;
        rows.push_back({size, shape});
    }
    for (int cipher : {7, 8, 9, 11, 12, 13, 2, 3, 4}) {
        message_shape shape;
        shape.cipher = cipher;
        rows.push_back({1000, shape});
    }
    for (int hash : {1, 2, 3, 8, 9, 10, 11}) {
        message_shape shape;
        shape.hash = hash;
        rows.push_back({100, shape});
    }
    for (int type : {0, 1, 3}) {
        message_shape shape;
        shape.s2k_type = type;
        rows.push_back({100, shape});
    }
    for (int compression : {0, 1, 2, 3}) {
        message_shape shape;
        shape.compression = compression;
        rows.push_back({200000, shape});
    }
    {
        message_shape shape;
        shape.old_format = true;
        shape.compression = 2;
        rows.push_back({70000, shape});
        shape.partial_chunk = 512;
        rows.push_back({70000, shape});
        shape.old_format = false;
        shape.partial_chunk = 1;
        rows.push_back({3000, shape});
    }
    for (const auto& r : rows) {
        auto plain = grin::test::pattern_bytes(r.size, static_cast<std::uint32_t>(r.size));
        // CAST5 and Blowfish need OpenSSL's legacy provider; without it they go to librnp.
        auto file = encrypt_message(plain, r.shape);
        for (std::size_t piece : {std::size_t{1 << 20}, std::size_t{4093}, std::size_t{1}}) {
            if (piece == 1 && r.size > 5000)
                continue;
            auto got = decrypt(file, "correct horse", piece);
            ASSERT_EQ(got.error, "")
                << "size " << r.size << " cipher " << r.shape.cipher << " piece " << piece;
            ASSERT_EQ(got.plain, plain) << "size " << r.size << " piece " << piece;
            EXPECT_EQ(got.info.literal_name, "data");
            EXPECT_EQ(got.info.plaintext_bytes, r.size);
        }
    }
}

TEST(crypto_decryptor, reports_what_it_found) {
    message_shape shape;
    shape.compression = 3;
    auto got = decrypt(encrypt_message(grin::test::pattern_bytes(10), shape));
    ASSERT_EQ(got.error, "");
    EXPECT_EQ(got.info.engine, "native");
    EXPECT_EQ(got.info.cipher, "AES256");
    EXPECT_EQ(got.info.protection, "cfb-mdc");
    EXPECT_EQ(got.info.s2k_type, 3);
    EXPECT_EQ(got.info.s2k_hash, "SHA256");
    EXPECT_EQ(got.info.s2k_count, 2048u);
    EXPECT_EQ(got.info.compression, "BZIP2");
}

// The sync derives keys ahead, in batches: find_first_s2k names the S2K from the file's
// first bytes, and the decryptor then uses the derived key instead of running the S2K.
TEST(crypto_decryptor, uses_a_key_derived_ahead_for_exactly_its_s2k) {
    message_shape shape;
    shape.old_format = true;
    auto plain = grin::test::pattern_bytes(5000);
    auto file = encrypt_message(plain, shape);

    auto need = grin::crypto::find_first_s2k(bytes_view(file).first(40));
    ASSERT_TRUE(need.has_value());
    EXPECT_EQ(need->spec.type, 3);
    EXPECT_EQ(need->spec.hash, 8);
    EXPECT_EQ(need->spec.count, 2048u);
    EXPECT_EQ(need->key_size, 32u);
    EXPECT_FALSE(grin::crypto::find_first_s2k(bytes_view(file).first(5)).has_value());
    bytes junk = {'h', 'e', 'l', 'l', 'o', 0, 1, 2, 3, 4, 5, 6, 7, 8};
    EXPECT_FALSE(grin::crypto::find_first_s2k(junk).has_value());

    auto right = std::make_shared<grin::crypto::derived_key>();
    right->spec = need->spec;
    right->key.resize(need->key_size);
    grin::crypto::derive_key(right->spec, "correct horse", right->key);
    decrypt_options ahead;
    ahead.derived = right;
    // Decrypts with the derived key even given a wrong passphrase: the S2K did not run.
    auto got = decrypt(file, "not the passphrase", 65536, ahead);
    ASSERT_EQ(got.error, "");
    EXPECT_EQ(got.plain, plain);

    // A wrong key for this very S2K is used, and fails as a wrong passphrase would.
    auto wrong = std::make_shared<grin::crypto::derived_key>();
    wrong->spec = need->spec;
    wrong->key.assign(need->key_size, 0x42);
    ahead.derived = wrong;
    EXPECT_EQ(decrypt(file, "correct horse", 65536, ahead).error, "wrong passphrase");

    // A key for another S2K (another salt) is ignored.
    wrong->spec.salt[0] ^= 1;
    got = decrypt(file, "correct horse", 65536, ahead);
    ASSERT_EQ(got.error, "");
    EXPECT_EQ(got.plain, plain);
}

TEST(crypto_decryptor, wrong_passphrase_fails_before_any_output) {
    auto file = encrypt_message(grin::test::pattern_bytes(100000));
    auto got = decrypt(file, "wrong horse");
    EXPECT_EQ(got.error, "wrong passphrase");
    EXPECT_EQ(got.sink_calls_before_error, 0u);
    // Also when fed one byte at a time.
    got = decrypt(file, "wrong horse", 1);
    EXPECT_EQ(got.error, "wrong passphrase");
    EXPECT_EQ(got.sink_calls_before_error, 0u);
}

TEST(crypto_decryptor, flipped_bit_is_an_mdc_failure) {
    for (int compression : {-1, 2}) {
        message_shape shape;
        shape.compression = compression;
        auto plain = grin::test::pattern_bytes(50000);
        auto file = encrypt_message(plain, shape);
        for (std::size_t at :
             {file.size() / 2, file.size() - 30, file.size() - 1, std::size_t{70}}) {
            auto bad = file;
            bad[at] ^= 0x10;
            auto got = decrypt(bad);
            EXPECT_TRUE(contains(got.error, "integrity check (MDC) failed"))
                << "compression " << compression << " at " << at << ": " << got.error;
        }
    }
}

TEST(crypto_decryptor, missing_mdc_is_refused) {
    message_shape shape;
    shape.with_mdc = false;
    auto got = decrypt(encrypt_message(grin::test::pattern_bytes(1000), shape));
    EXPECT_TRUE(contains(got.error, "MDC")) << got.error;
}

TEST(crypto_decryptor, unprotected_packet_is_refused_before_output) {
    message_shape shape;
    shape.with_mdc = false;
    shape.seipd_tag = 9;
    auto got = decrypt(encrypt_message(grin::test::pattern_bytes(1000), shape));
    EXPECT_TRUE(contains(got.error, "without integrity protection")) << got.error;
    EXPECT_EQ(got.sink_calls_before_error, 0u);
}

TEST(crypto_decryptor, truncation_anywhere_is_a_clear_error) {
    message_shape shape;
    shape.compression = 1;
    auto file = encrypt_message(grin::test::pattern_bytes(20000), shape);
    for (std::size_t keep : {std::size_t{1}, std::size_t{5}, std::size_t{17}, std::size_t{40},
                             file.size() / 2, file.size() - 21, file.size() - 1}) {
        auto cut = bytes(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(keep));
        auto got = decrypt(cut);
        EXPECT_TRUE(contains(got.error, "truncated input")) << keep << ": " << got.error;
    }
    shape.partial_chunk = 1024;
    file = encrypt_message(grin::test::pattern_bytes(20000), shape);
    auto got = decrypt(bytes(file.begin(), file.begin() + 5000));
    EXPECT_TRUE(contains(got.error, "truncated input")) << got.error;
}

TEST(crypto_decryptor, huge_claimed_length_with_little_data) {
    auto file = encrypt_message(grin::test::pattern_bytes(1000));
    // Rewrite the SEIPD header to claim 10 GB; the reader only has 32-bit lengths, so use the
    // largest one (4 GB) and an old-format 4-byte header claiming 0xFFFFFFFF too.
    std::size_t skesk_size = 2 + file[1];
    std::size_t seipd_header = file[skesk_size + 1] < 192 ? 2 : 3;
    bytes seipd_body(file.begin() + static_cast<std::ptrdiff_t>(skesk_size + seipd_header),
                     file.end());
    for (bytes header : {bytes{0xD2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
                         bytes{0x80 | (18 << 2) | 2, 0xFF, 0xFF, 0xFF, 0xFF}}) {
        bytes bad(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(skesk_size));
        bad.insert(bad.end(), header.begin(), header.end());
        bad.insert(bad.end(), seipd_body.begin(), seipd_body.end());
        auto got = decrypt(bad);
        EXPECT_TRUE(contains(got.error, "truncated input")) << got.error;
    }
}

TEST(crypto_decryptor, garbage_and_empty_input) {
    EXPECT_TRUE(contains(decrypt(bytes{}).error, "empty input"));
    EXPECT_TRUE(contains(decrypt(grin::test::pattern_bytes(1000, 7)).error, "OpenPGP"));
    bytes text(500, 'a');
    EXPECT_TRUE(contains(decrypt(text).error, "not OpenPGP data"));
    // Text that starts like armor is held back until it can be told apart, in any split.
    for (std::string start : {"-", "-----BEGIN", "-----BEGIN PGX MESSAGE-----"}) {
        bytes dashes(start.begin(), start.end());
        EXPECT_TRUE(contains(decrypt(dashes, "correct horse", 1).error, "not OpenPGP data"))
            << start;
        EXPECT_TRUE(contains(decrypt(dashes).error, "not OpenPGP data")) << start;
    }
    // A literal packet alone is not encrypted.
    bytes plain_packet;
    grin::test::put_packet(plain_packet, 11, bytes{'b', 0, 0, 0, 0, 0, 'x'}, false);
    EXPECT_TRUE(contains(decrypt(plain_packet).error, "not encrypted"));
    // Random bytes with a valid-looking first header byte.
    for (std::uint32_t seed = 0; seed < 50; ++seed) {
        auto junk = grin::test::pattern_bytes(300, seed);
        junk[0] = 0xC3;
        EXPECT_NE(decrypt(junk).error, "") << seed;
    }
}

TEST(crypto_decryptor, unknown_cipher_is_named) {
    auto file = encrypt_message(grin::test::pattern_bytes(10));
    file[3] = 99; // SKESK cipher byte (header 2 bytes, version 1)
    EXPECT_EQ(decrypt(file).error, "unsupported cipher algorithm 99 (unknown)");
}

TEST(crypto_decryptor, spent_after_an_error) {
    passphrase key("correct horse");
    decryptor engine(key, [](bytes_view) {});
    bytes junk(10, 'x');
    EXPECT_THROW(engine.update(junk), grin::error);
    EXPECT_THROW(engine.update(junk), grin::error);
    EXPECT_THROW(engine.finish(), grin::error);
}

TEST(crypto_decryptor, sink_exceptions_pass_through) {
    passphrase key("correct horse");
    auto file = encrypt_message(grin::test::pattern_bytes(100000));
    decryptor engine(key, [](bytes_view) { throw std::runtime_error("disk full"); });
    EXPECT_THROW(engine.update(file), std::runtime_error);
}

TEST(crypto_decryptor, decrypt_file_publishes_only_verified_output) {
    grin::test::temp_dir dir;
    auto plain = grin::test::pattern_bytes(300000);
    auto file = encrypt_message(plain);
    auto write = [](const std::filesystem::path& path, const bytes& data) {
        std::ofstream(path, std::ios::binary)
            .write(reinterpret_cast<const char*>(data.data()),
                   static_cast<std::streamsize>(data.size()));
    };
    write(dir / "good.gpg", file);
    passphrase key("correct horse");
    auto info = grin::crypto::decrypt_file(dir / "good.gpg", dir / "good.out", key);
    EXPECT_EQ(info.plaintext_bytes, plain.size());
    EXPECT_EQ(std::filesystem::file_size(dir / "good.out"), plain.size());

    file[file.size() / 2] ^= 1;
    write(dir / "bad.gpg", file);
    EXPECT_THROW(grin::crypto::decrypt_file(dir / "bad.gpg", dir / "bad.out", key), grin::error);
    EXPECT_FALSE(std::filesystem::exists(dir / "bad.out"));
    std::size_t leftovers = 0;
    for (auto& entry : std::filesystem::directory_iterator(dir.path()))
        leftovers += entry.path().filename().string().rfind("bad.out", 0) == 0;
    EXPECT_EQ(leftovers, 0u);
}

TEST(crypto_decryptor, many_decryptors_in_parallel) {
    std::vector<bytes> plains, files;
    for (std::uint32_t i = 0; i < 8; ++i) {
        plains.push_back(grin::test::pattern_bytes(100000 + i, i));
        message_shape shape;
        shape.compression = static_cast<int>(i % 4) - 1;
        shape.coded_count = 0x60; // 65536
        files.push_back(encrypt_message(plains.back(), shape));
    }
    std::vector<outcome> results(files.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < files.size(); ++i)
        threads.emplace_back([&, i] { results[i] = decrypt(files[i], "correct horse", 1000 + i); });
    for (auto& t : threads)
        t.join();
    for (std::size_t i = 0; i < files.size(); ++i) {
        EXPECT_EQ(results[i].error, "") << i;
        EXPECT_EQ(results[i].plain, plains[i]) << i;
    }
}

} // namespace
