#include <grin/archive/ocr_text.hpp>

#include <gtest/gtest.h>

namespace grin::archive {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

TEST(ocr_text, page_numbers_follow_grin_transfer) {
    EXPECT_EQ(page_number("00000001.txt"), 1u);
    EXPECT_EQ(page_number("./00000042.txt"), 42u);
    EXPECT_EQ(page_number("a/b/00999999.txt"), 999999u);
    EXPECT_EQ(page_number("00000000.txt"), std::nullopt);
    EXPECT_EQ(page_number("01000000.txt"), std::nullopt);
    EXPECT_EQ(page_number("0000001.txt"), std::nullopt);
    EXPECT_EQ(page_number("000000001.txt"), std::nullopt);
    EXPECT_EQ(page_number("00000001.TXT"), std::nullopt);
    EXPECT_EQ(page_number("00000001.html"), std::nullopt);
    EXPECT_EQ(page_number("0000000a.txt"), std::nullopt);
    EXPECT_EQ(page_number("x00000001.txt"), std::nullopt);
    EXPECT_EQ(page_number("00000001.txt/"), std::nullopt);
    EXPECT_TRUE(is_text_member("dir/notes.txt"));
    EXPECT_FALSE(is_text_member("notes.txt.gz"));
    EXPECT_EQ(base_name("a/b/c.txt"), "c.txt");
}

// Expected values are what CPython's bytes.decode("utf-8", "replace") gives.
TEST(ocr_text, invalid_utf8_is_replaced_like_python) {
    EXPECT_EQ(decode_page_text("caf\xC3\xA9"), "caf\xC3\xA9");
    EXPECT_EQ(decode_page_text("caf\xE9!"), "caf" + fffd + "!");
    EXPECT_EQ(decode_page_text("\xFF\xFE"), fffd + fffd);
    // A truncated 3-byte sequence is ONE replacement (maximal subpart).
    EXPECT_EQ(decode_page_text("a\xE2\x80z"), "a" + fffd + "z");
    EXPECT_EQ(decode_page_text("a\xE2\x80"), "a" + fffd);
    // Overlong, surrogate and out-of-range lead bytes: one replacement per byte.
    EXPECT_EQ(decode_page_text("\xC0\xAF"), fffd + fffd);
    EXPECT_EQ(decode_page_text("\xE0\x80\x80"), fffd + fffd + fffd);
    EXPECT_EQ(decode_page_text("\xED\xA0\x80"), fffd + fffd + fffd);
    EXPECT_EQ(decode_page_text("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd);
    EXPECT_EQ(decode_page_text("\xF0\x9F\x98"), fffd);
    EXPECT_EQ(decode_page_text("\xF0\x9F\x98\x80"), "\xF0\x9F\x98\x80");
    // A BOM stays.
    EXPECT_EQ(decode_page_text("\xEF\xBB\xBFhi"), "\xEF\xBB\xBFhi");
}

TEST(ocr_text, universal_newlines) {
    EXPECT_EQ(decode_page_text("a\r\nb\rc\n\r\r\n"), "a\nb\nc\n\n\n");
    EXPECT_EQ(decode_page_text(std::string("x\0y", 3)), std::string("x\0y", 3));
}

// The example of grin-protocol.md 3.4, byte for byte.
TEST(ocr_text, json_lines_escape_like_json_dumps) {
    EXPECT_EQ(ocr_json_line("PHYSICAL REVIEW\nVol. 12"), "\"PHYSICAL REVIEW\\nVol. 12\"\n");
    EXPECT_EQ(ocr_json_line(""), "\"\"\n");
    EXPECT_EQ(ocr_json_line("\xE2\x80\x94 3 \xE2\x80\x94\nCaf\xC3\xA9 \"Zur Post\"\tp. 3\f"),
              "\"\xE2\x80\x94 3 \xE2\x80\x94\\nCaf\xC3\xA9 \\\"Zur Post\\\"\\tp. 3\\f\"\n");
    EXPECT_EQ(ocr_json_line(std::string("\x01\x1f\b\\/\x7f\xE2\x80\xA8", 9)),
              "\"\\u0001\\u001f\\b\\\\/\x7f\xE2\x80\xA8\"\n");
    EXPECT_EQ(ocr_json_line(std::string("\0", 1)), "\"\\u0000\"\n");
}

} // namespace
} // namespace grin::archive
