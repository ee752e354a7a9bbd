#include <grin/api/barcode.hpp>
#include <grin/core/error.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace grin::api;

TEST(barcode, accepts_real_shapes) {
    EXPECT_TRUE(is_valid_barcode("HX4Q2A"));
    EXPECT_TRUE(is_valid_barcode("33433012345678"));
    EXPECT_TRUE(is_valid_barcode("a_b-c"));
    EXPECT_TRUE(is_valid_barcode("abc"));
    EXPECT_TRUE(is_valid_barcode(std::string(50, 'Z')));
}

TEST(barcode, rejects_length_and_characters) {
    EXPECT_FALSE(is_valid_barcode(""));
    EXPECT_FALSE(is_valid_barcode("ab"));
    EXPECT_FALSE(is_valid_barcode(std::string(51, 'Z')));
    for (std::string bad : {"../etc", "a b c", "abc/", "ab.c", "abc%", "ab\xC3\xA9", "abc\n"}) {
        EXPECT_FALSE(is_valid_barcode(bad)) << bad;
    }
    EXPECT_FALSE(is_valid_barcode(std::string("ab\0c", 4)));
}

TEST(barcode, require_throws_with_context) {
    EXPECT_NO_THROW(require_valid_barcode("HX4Q2A"));
    try {
        require_valid_barcode("../x");
        FAIL() << "no throw";
    } catch (const grin::error& e) {
        EXPECT_EQ(e.context().step, "validate");
        EXPECT_EQ(e.context().barcode, "../x");
    }
}

TEST(library_directory, validation) {
    EXPECT_TRUE(is_valid_library_directory("Harvard"));
    EXPECT_TRUE(is_valid_library_directory("a"));
    EXPECT_TRUE(is_valid_library_directory("NYPL_2-x"));
    EXPECT_FALSE(is_valid_library_directory(""));
    EXPECT_FALSE(is_valid_library_directory("Har/vard"));
    EXPECT_FALSE(is_valid_library_directory("https://x"));
    EXPECT_FALSE(is_valid_library_directory("a b"));
    EXPECT_THROW(require_valid_library_directory(".."), grin::error);
}
