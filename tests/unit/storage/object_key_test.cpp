#include <grin/core/error.hpp>
#include <grin/storage/object_key.hpp>

#include <gtest/gtest.h>

namespace {
using namespace grin::storage;

TEST(object_key, accepts_reference_keys) {
    EXPECT_TRUE(is_valid_key("run1/B1.tar.gz"));
    EXPECT_TRUE(is_valid_key("B1/B1.tar.gz"));
    EXPECT_TRUE(is_valid_key("run1/timestamped/20250101_120000_books.csv.gz"));
    EXPECT_TRUE(is_valid_key("a"));
}

TEST(object_key, rejects_path_traversal_and_absolute_paths) {
    for (const char* bad : {"", "/etc/passwd", "../x", "a/../b", "a/..", "..", ".", "./a", "a//b",
                            "a/", "a\\..\\b", "a/.hidden", ".B1.tar.gz.tmp.abc"}) {
        EXPECT_FALSE(is_valid_key(bad)) << bad;
        EXPECT_THROW(object_key(bucket_role::raw, bad), grin::error) << bad;
    }
    EXPECT_FALSE(is_valid_key(std::string("a\0b", 3)));
    EXPECT_FALSE(is_valid_key("a\nb"));
    EXPECT_FALSE(is_valid_key(std::string(1025, 'a')));
    EXPECT_TRUE(is_valid_key(std::string(1024, 'a')));
}

TEST(object_key, error_names_the_key_and_the_step) {
    try {
        object_key key(bucket_role::full, "run/../../etc");
        FAIL() << "no exception";
    } catch (const grin::error& e) {
        EXPECT_EQ(e.context().step, "storage");
        EXPECT_NE(std::string(e.what()).find("run/../../etc"), std::string::npos);
    }
}

TEST(object_key, prefixes) {
    EXPECT_TRUE(is_valid_key_prefix(""));
    EXPECT_TRUE(is_valid_key_prefix("run1/"));
    EXPECT_TRUE(is_valid_key_prefix("run1/B12"));
    EXPECT_FALSE(is_valid_key_prefix("../"));
    EXPECT_FALSE(is_valid_key_prefix("/run1"));
    EXPECT_FALSE(is_valid_key_prefix("run1//"));
    EXPECT_THROW(require_valid_key_prefix("run1/../.."), grin::error);
}

TEST(object_key, roles_round_trip) {
    for (auto role : {bucket_role::raw, bucket_role::meta, bucket_role::full})
        EXPECT_EQ(parse_bucket_role(to_string(role)), role);
    EXPECT_EQ(to_string(bucket_role::raw), "raw");
    EXPECT_EQ(to_string(bucket_role::meta), "meta");
    EXPECT_EQ(to_string(bucket_role::full), "full");
    EXPECT_FALSE(parse_bucket_role("RAW"));
    EXPECT_EQ(object_key(bucket_role::meta, "r/x.json").to_string(), "meta/r/x.json");
}

} // namespace
