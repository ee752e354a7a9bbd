#include <grin/storage/digest.hpp>

#include <gtest/gtest.h>

#include <string>

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

TEST(digest, hex_lower_of_bytes) {
    EXPECT_EQ(hex_lower(std::string("\x00\x0f\xf0\xff", 4)), "000ff0ff");
    EXPECT_EQ(hex_lower(""), "");
}

} // namespace
