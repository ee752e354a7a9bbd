#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "test_support.hpp"

TEST(atomic_file, commit_replaces_the_target) {
    grin::test::temp_dir dir;
    auto target = dir / "config.json";
    grin::write_file_atomically(target, "old");
    grin::write_file_atomically(target, "new");
    EXPECT_EQ(grin::read_file(target), "new");
}

TEST(atomic_file, not_committing_leaves_the_previous_content_and_no_temporaries) {
    grin::test::temp_dir dir;
    auto target = dir / "config.json";
    grin::write_file_atomically(target, "kept");
    {
        grin::atomic_file file(target);
        file.write("half-written");
    }
    EXPECT_EQ(grin::read_file(target), "kept");
    int entries = 0;
    for ([[maybe_unused]] auto& entry : std::filesystem::directory_iterator(dir.path()))
        ++entries;
    EXPECT_EQ(entries, 1);
}

TEST(atomic_file, credentials_mode_is_0600) {
    grin::test::temp_dir dir;
    auto target = dir / "credentials.json";
    grin::write_file_atomically(target, "{}", 0600);
    struct stat info {};
    ASSERT_EQ(::stat(target.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(atomic_file, unwritable_directory_is_an_error_naming_the_path) {
    try {
        grin::write_file_atomically("/proc/grin-no-such-dir/x.json", "data");
        FAIL() << "expected an error";
    } catch (const grin::error& failure) {
        EXPECT_NE(std::string(failure.what()).find("/proc/grin-no-such-dir"), std::string::npos);
    }
}
