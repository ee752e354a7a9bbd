#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/secret_file.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sys/stat.h>

#include "test_support.hpp"

using namespace grin;

// Only the read bits for group and others matter; world wins over group.
TEST(secret_file, exposure_follows_the_read_bits) {
    EXPECT_EQ(exposure_of_mode(0600), file_exposure::none);
    EXPECT_EQ(exposure_of_mode(0620), file_exposure::none);
    EXPECT_EQ(exposure_of_mode(0640), file_exposure::group);
    EXPECT_EQ(exposure_of_mode(0604), file_exposure::world);
    EXPECT_EQ(exposure_of_mode(0644), file_exposure::world);
    EXPECT_EQ(exposure_of(std::filesystem::path("/nonexistent/secret")), file_exposure::none);
}

// World-readable: grin::fatal naming the file, the fix and the rotation advice; group:
// a warning with the fix; private: silence.
TEST(secret_file, policy_refuses_world_warns_group) {
    test::temp_dir dir;
    auto path = dir / "key.json";
    std::ofstream(path) << "{}";
    secret_file file{.path = path, .holds = "test keys", .rotate_hint = "rotate them"};

    ::chmod(path.c_str(), 0644);
    try {
        check_secret_file(file);
        ADD_FAILURE() << "world-readable file accepted";
    } catch (const fatal& failure) {
        EXPECT_EQ(std::string(failure.what()),
                  "refusing to use " + path.string() +
                      ": it holds test keys and is readable by every user of this machine; "
                      "make it private with: chmod 600 " +
                      path.string() + " (and, if others could have read it, rotate them)");
        EXPECT_EQ(failure.exit_code(), 2);
    }

    std::string logged;
    auto old = log::set_sink([&](log::level, std::string_view line) { logged += line; });
    ::chmod(path.c_str(), 0640);
    EXPECT_NO_THROW(check_secret_file(file));
    ::chmod(path.c_str(), 0600);
    EXPECT_NO_THROW(check_secret_file(file));
    log::set_sink(old);
    EXPECT_EQ(logged, path.string() +
                          " holds test keys and is readable by its group; make it "
                          "private with: chmod 600 " +
                          path.string());
}
