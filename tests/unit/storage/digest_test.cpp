#include <grin/core/error.hpp>
#include <grin/storage/digest.hpp>
#include <grin/storage/s3_client.hpp>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {
using namespace grin::storage;

TEST(digest, sha256_hex_known_values) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // The payload of the AWS SigV4 S3 PUT example.
    EXPECT_EQ(sha256_hex("Welcome to Amazon S3."),
              "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    EXPECT_EQ(sha256_hex(std::string("a\0b", 3)), sha256_hex(std::string("a\0b", 3)));
    EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
}

TEST(digest, md5_base64_known_values) {
    EXPECT_EQ(md5_base64(""), "1B2M2Y8AsgTpgAmY7PhCfg==");
    EXPECT_EQ(md5_base64("abc"), "kAFQmDzST7DWlj99KOF/cg==");
    EXPECT_EQ(md5_base64(std::string(1 << 20, 'x')).size(), 24u);
}

TEST(digest, hmac_sha256_rfc4231_case_2) {
    EXPECT_EQ(hex_lower(as_chars(hmac_sha256("Jefe", "what do ya want for nothing?"))),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(digest, body_hasher_in_pieces_equals_the_one_shot_digests) {
    std::string body;
    for (std::uint64_t i = 0; i < 300'000; ++i)
        body += static_cast<char>(i * 7919 % 251);
    body_hasher hasher;
    for (std::size_t at = 0; at < body.size(); at += 65'537)
        hasher.update(std::string_view(body).substr(at, 65'537));
    body_digests digests = hasher.finish();
    EXPECT_EQ(digests.sha256_hex, sha256_hex(body));
    EXPECT_EQ(digests.md5_base64, md5_base64(body));

    body_hasher empty;
    body_digests none = empty.finish();
    EXPECT_EQ(none.sha256_hex, sha256_hex(""));
    EXPECT_EQ(none.md5_base64, "1B2M2Y8AsgTpgAmY7PhCfg==");
}

// An upload body from a file range: small ranges in memory, large ones streamed from the
// file with the digests of exactly the range.
TEST(digest, file_bodies_carry_the_digests_of_their_range) {
    auto dir =
        std::filesystem::temp_directory_path() / ("grin-digest-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::string content;
    for (std::uint64_t i = 0; i < 3'000'000; ++i)
        content += static_cast<char>(i * 31 % 253);
    std::ofstream(dir / "staged", std::ios::binary) << content;

    auto small = make_s3_file_body(dir / "staged", 100, 5000);
    EXPECT_FALSE(small.file.has_value());
    EXPECT_EQ(small.bytes, content.substr(100, 5000));
    EXPECT_EQ(small.sha256_hex, sha256_hex(content.substr(100, 5000)));

    const std::uint64_t offset = 12'345, length = 2'500'000;
    auto large = make_s3_file_body(dir / "staged", offset, length);
    ASSERT_TRUE(large.file.has_value());
    EXPECT_TRUE(large.bytes.empty());
    EXPECT_EQ(large.file->offset, offset);
    EXPECT_EQ(large.file->length, length);
    EXPECT_EQ(large.sha256_hex, sha256_hex(content.substr(offset, length)));
    EXPECT_EQ(large.md5_base64, md5_base64(content.substr(offset, length)));

    try {
        make_s3_file_body(dir / "staged", 1'000'000, 2'500'000);
        ADD_FAILURE() << "a range past the end must fail";
    } catch (const grin::error& failed) {
        EXPECT_NE(std::string(failed.what()).find("staged"), std::string::npos) << failed.what();
        EXPECT_EQ(failed.context().step, "storage");
    }
    EXPECT_THROW(make_s3_file_body(dir / "missing", 0, 10), grin::error);
    std::filesystem::remove_all(dir);
}

TEST(digest, hex_lower_of_bytes) {
    EXPECT_EQ(hex_lower(std::string("\x00\x0f\xf0\xff", 4)), "000ff0ff");
    EXPECT_EQ(hex_lower(""), "");
}

} // namespace
