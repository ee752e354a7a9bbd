// The whole one-pass chain on a real gpg file: ciphertext -> crypto::decryptor ->
// book_processor (raw tee + walk + OCR + MARC).
#include <grin/archive/book_processor.hpp>
#include <grin/crypto/decryptor.hpp>
#include <grin/emulator/archive_builder.hpp>

#include <gtest/gtest.h>

#include <test_support.hpp>

#include "archive_test_util.hpp"

namespace grin::archive {
namespace {

TEST(archive_gpg, real_gpg_file_through_decryptor_into_processor) {
    if (!grin::test::have_program("gpg")) {
        GTEST_SKIP() << "gpg not installed";
    }
    grin::test::temp_dir dir;
    auto home = dir / "gnupg";
    std::filesystem::create_directory(home);
    std::filesystem::permissions(home, std::filesystem::perms::owner_all);
    auto b = test::book_with_pages(4);
    auto plain_path = dir / "book.tar.gz";
    emulator::build_tarball(b, 0, {.image_bytes_per_page = 20000}, plain_path);
    auto plain = test::read_file(plain_path);
    auto command = "GNUPGHOME='" + home.string() +
                   "' gpg --batch --yes --pinentry-mode loopback --symmetric --passphrase X "
                   "--s2k-count 65536 -o '" +
                   (dir / "book.tar.gz.gpg").string() + "' '" + plain_path.string() + "' 2>&1";
    auto gpg = grin::test::run_command(command);
    ASSERT_EQ(gpg.exit_code, 0) << gpg.output;
    auto cipher = test::read_file(dir / "book.tar.gz.gpg");

    std::string raw;
    book_processor processor({.barcode = b.barcode}, [&](bytes_view d) {
        raw.append(reinterpret_cast<const char*>(d.data()), d.size());
    });
    crypto::passphrase key("X");
    crypto::decryptor decryptor(key, [&](crypto::bytes_view d) { processor.update(d); });
    test::feed_in_chunks(cipher, 8191, [&](bytes_view piece) { decryptor.update(piece); });
    auto info = decryptor.finish();
    auto result = processor.finish();

    EXPECT_EQ(info.plaintext_bytes, plain.size());
    EXPECT_TRUE(raw == plain);
    EXPECT_EQ(result.archive_bytes, plain.size());
    EXPECT_FALSE(result.unpack_error);
    EXPECT_EQ(result.ocr.status, extraction_status::ok) << result.ocr.problem;
    EXPECT_EQ(result.ocr.page_count, b.pages);
    auto first_line = test::gunzip(result.ocr.jsonl_gz);
    EXPECT_EQ(first_line.substr(0, 1 + b.title.size()), "\"" + b.title);
    EXPECT_EQ(result.marc.status, extraction_status::ok) << result.marc.problem;
}

} // namespace
} // namespace grin::archive
