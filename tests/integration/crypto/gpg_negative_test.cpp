// Damaged and unusual files made by the real gpg (and by librnp for AEAD): every one is a
// clear error or a correct decryption, never a crash, and failed output is discarded.
#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <thread>

#include "gpg_fixture.hpp"

namespace grin::test {
namespace {

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

class decrypt_gpg_negative : public gpg_fixture {
protected:
    // A 200 KB gzip-like (no compression packet) or compressible input, gpg-encrypted.
    bytes make_file(bool compressible, const std::string& flags = "--s2k-count 65536") {
        auto data = pseudo_random(200000, 11);
        if (compressible)
            for (std::size_t i = 0; i < data.size(); ++i)
                data[i] = static_cast<std::uint8_t>('a' + (i % 7));
        plain_ = data;
        write_bytes(dir_ / "in", data);
        return read_bytes(encrypt(dir_ / "in", flags, false));
    }
    bytes plain_;
};

TEST_F(decrypt_gpg_negative, wrong_passphrase_errors_before_any_output) {
    auto file = make_file(false);
    auto got = decrypt_bytes(file, "wrong");
    EXPECT_EQ(got.error, "wrong passphrase");
    EXPECT_EQ(got.output_before_error, 0u);
}

TEST_F(decrypt_gpg_negative, flipped_bit_fails_the_mdc_and_decrypt_file_discards_output) {
    for (bool compressible : {false, true}) {
        auto file = make_file(compressible);
        file[file.size() / 2] ^= 0x04;
        auto got = decrypt_bytes(file, pass);
        EXPECT_TRUE(contains(got.error, "integrity check (MDC) failed")) << got.error;
        write_bytes(dir_ / "bad.gpg", file);
        crypto::passphrase key(pass);
        EXPECT_THROW(crypto::decrypt_file(dir_ / "bad.gpg", dir_ / "bad.out", key), grin::error);
        EXPECT_FALSE(std::filesystem::exists(dir_ / "bad.out"));
    }
}

TEST_F(decrypt_gpg_negative, truncated_files) {
    auto file = make_file(true);
    for (std::size_t keep :
         {std::size_t{3}, std::size_t{15}, std::size_t{20}, file.size() / 2, file.size() - 1}) {
        auto got = decrypt_bytes(
            bytes(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(keep)), pass);
        EXPECT_TRUE(contains(got.error, "truncated input")) << keep << ": " << got.error;
    }
}

TEST_F(decrypt_gpg_negative, length_past_the_end_and_huge_claims) {
    // gpg writes files with partial lengths; a fixed-length file comes from gzip input.
    auto data = pseudo_random(5000, 3);
    write_bytes(dir_ / "raw", data);
    run_command("gzip -c '" + (dir_ / "raw").string() + "' > '" + (dir_ / "raw.gz").string() + "'");
    auto file = read_bytes(encrypt(dir_ / "raw.gz", "--s2k-count 65536", false));
    std::size_t skesk = 2 + file[1];
    ASSERT_EQ(file[skesk], 0xD2); // new-format SEIPD
    std::size_t header = file[skesk + 1] < 192 ? 2 : (file[skesk + 1] < 224 ? 3 : 6);
    bytes body(file.begin() + static_cast<std::ptrdiff_t>(skesk + header), file.end());
    // 1 KB more than there is, then a 4 GB claim (the largest a header can make) with 1 KB.
    for (std::uint32_t claim : {static_cast<std::uint32_t>(body.size() + 1024), 0xFFFFFFFFu}) {
        bytes bad(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(skesk));
        bad.insert(bad.end(),
                   {0xD2, 0xFF, static_cast<std::uint8_t>(claim >> 24),
                    static_cast<std::uint8_t>(claim >> 16), static_cast<std::uint8_t>(claim >> 8),
                    static_cast<std::uint8_t>(claim)});
        bad.insert(bad.end(), body.begin(),
                   body.begin() +
                       static_cast<std::ptrdiff_t>(claim == 0xFFFFFFFFu ? 1024 : body.size()));
        auto got = decrypt_bytes(bad, pass);
        EXPECT_TRUE(contains(got.error, "truncated input")) << got.error;
    }
}

TEST_F(decrypt_gpg_negative, garbage_and_empty) {
    EXPECT_TRUE(contains(decrypt_bytes({}, pass).error, "empty input"));
    auto junk = pseudo_random(4096, 5);
    junk[0] = 0x41;
    EXPECT_TRUE(contains(decrypt_bytes(junk, pass).error, "not OpenPGP data"));
}

TEST_F(decrypt_gpg_negative, unprotected_file_is_refused_unless_allowed) {
    auto file = make_file(false, "--s2k-count 65536 --rfc2440 --cipher-algo AES256");
    auto got = decrypt_bytes(file, pass);
    EXPECT_TRUE(contains(got.error, "without integrity protection")) << got.error;
    EXPECT_EQ(got.output_before_error, 0u);
    crypto::decrypt_options allow;
    allow.allow_unprotected = true;
    got = decrypt_bytes(file, pass, 65536, allow);
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(got.info.engine, "librnp");
    EXPECT_TRUE(got.plain == plain_);
}

TEST_F(decrypt_gpg_negative, public_key_and_passphrase_file_goes_to_librnp) {
    auto home = (dir_ / "gnupg").string();
    auto r =
        run_command("GNUPGHOME=" + home +
                        " gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "
                        "'T <t@example.org>' future-default default never",
                    std::chrono::seconds(60));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto file = make_file(true, "--s2k-count 65536 --trust-model always -e -r t@example.org");
    auto got = decrypt_bytes(file, pass);
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(got.info.engine, "librnp");
    EXPECT_TRUE(got.plain == plain_);
    EXPECT_TRUE(contains(decrypt_bytes(file, "wrong").error, "wrong passphrase"));
}

TEST_F(decrypt_gpg_negative, twofish_goes_to_librnp) {
    auto file = make_file(false, "--s2k-count 65536 --cipher-algo TWOFISH");
    auto got = decrypt_bytes(file, pass);
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(got.info.engine, "librnp");
    EXPECT_TRUE(got.plain == plain_);
    crypto::decrypt_options native_only;
    native_only.allow_fallback = false;
    got = decrypt_bytes(file, pass, 65536, native_only);
    EXPECT_TRUE(contains(got.error, "TWOFISH")) << got.error;
}

TEST_F(decrypt_gpg_negative, legacy_ciphers_match_gpg) {
    for (const char* cipher : {"CAST5", "3DES", "BLOWFISH", "CAMELLIA128", "CAMELLIA192"}) {
        auto file = make_file(true, std::string("--s2k-count 65536 --cipher-algo ") + cipher);
        auto got = decrypt_bytes(file, pass, 5000);
        EXPECT_EQ(got.error, "") << cipher;
        EXPECT_TRUE(got.plain == plain_) << cipher;
        EXPECT_EQ(got.info.cipher, cipher);
        // CAST5 and Blowfish come from OpenSSL's legacy provider, loaded in a private context.
        EXPECT_EQ(got.info.engine, "native") << cipher;
    }
}

TEST_F(decrypt_gpg_negative, aead_file_from_librnp_goes_to_librnp) {
    auto data = pseudo_random(300000, 9);
    write_bytes(dir_ / "in", data);
    rnp_ffi_t ffi = nullptr;
    ASSERT_EQ(rnp_ffi_create(&ffi, "GPG", "GPG"), rnp_result_t{RNP_SUCCESS});
    rnp_input_t in = nullptr;
    rnp_output_t out = nullptr;
    rnp_op_encrypt_t op = nullptr;
    ASSERT_EQ(rnp_input_from_path(&in, (dir_ / "in").c_str()), rnp_result_t{RNP_SUCCESS});
    ASSERT_EQ(rnp_output_to_path(&out, (dir_ / "aead.gpg").c_str()), rnp_result_t{RNP_SUCCESS});
    ASSERT_EQ(rnp_op_encrypt_create(&op, ffi, in, out), rnp_result_t{RNP_SUCCESS});
    ASSERT_EQ(rnp_op_encrypt_add_password(op, pass, "SHA256", 65536, "AES256"),
              rnp_result_t{RNP_SUCCESS});
    ASSERT_EQ(rnp_op_encrypt_set_cipher(op, "AES256"), rnp_result_t{RNP_SUCCESS});
    ASSERT_EQ(rnp_op_encrypt_set_aead(op, "OCB"), rnp_result_t{RNP_SUCCESS});
    ASSERT_EQ(rnp_op_encrypt_execute(op), rnp_result_t{RNP_SUCCESS});
    rnp_op_encrypt_destroy(op);
    rnp_output_destroy(out);
    rnp_input_destroy(in);
    rnp_ffi_destroy(ffi);
    auto file = read_bytes(dir_ / "aead.gpg");
    auto got = decrypt_bytes(file, pass, 7777);
    EXPECT_EQ(got.error, "");
    EXPECT_EQ(got.info.engine, "librnp");
    EXPECT_TRUE(got.plain == data);
    file[file.size() / 2] ^= 1;
    got = decrypt_bytes(file, pass);
    EXPECT_NE(got.error, "");
}

TEST_F(decrypt_gpg_negative, parallel_decryptors_on_threads) {
    std::vector<bytes> files, plains;
    for (int i = 0; i < 4; ++i) {
        auto data =
            pseudo_random(1000000 + static_cast<std::size_t>(i), static_cast<std::uint32_t>(i));
        write_bytes(dir_ / ("p" + std::to_string(i)), data);
        plains.push_back(data);
        files.push_back(read_bytes(
            encrypt(dir_ / ("p" + std::to_string(i)),
                    "--s2k-count 65536" + std::string(i % 2 ? " --compress-algo zlib" : ""),
                    i % 2 == 0, "p" + std::to_string(i) + ".gpg")));
    }
    std::vector<decrypt_outcome> results(files.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < files.size(); ++i)
        threads.emplace_back([&, i] { results[i] = decrypt_bytes(files[i], pass, 32768 + i); });
    for (auto& t : threads)
        t.join();
    for (std::size_t i = 0; i < files.size(); ++i) {
        EXPECT_EQ(results[i].error, "") << i;
        EXPECT_TRUE(results[i].plain == plains[i]) << i;
    }
}

} // namespace
} // namespace grin::test
