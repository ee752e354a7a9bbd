#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/crypto/passphrase.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "test_support.hpp"

namespace {

// Private, as gpg_passphrase.asc must be (world-readable ones are refused).
void write(const std::filesystem::path& path,
           const std::string& text,
           std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                         std::filesystem::perms::owner_write) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
    std::filesystem::permissions(path, mode);
}

class env_guard {
public:
    env_guard(const char* name, const std::string& value) : name_(name) {
        if (const char* old = std::getenv(name))
            old_ = old;
        ::setenv(name, value.c_str(), 1);
    }
    ~env_guard() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(crypto_passphrase, first_line_without_line_ending) {
    grin::test::temp_dir dir;
    write(dir / "a.asc", "red green blue\n");
    EXPECT_EQ(grin::crypto::read_passphrase_file(dir / "a.asc").view(), "red green blue");
    write(dir / "b.asc", "red green\r\nsecond line\n");
    EXPECT_EQ(grin::crypto::read_passphrase_file(dir / "b.asc").view(), "red green");
    write(dir / "c.asc", "no newline");
    EXPECT_EQ(grin::crypto::read_passphrase_file(dir / "c.asc").view(), "no newline");
    write(dir / "d.asc", "\n");
    EXPECT_THROW(grin::crypto::read_passphrase_file(dir / "d.asc"), grin::fatal);
    EXPECT_THROW(grin::crypto::read_passphrase_file(dir / "missing.asc"), grin::fatal);
}

// The passphrase file follows the shared policy: readable by everyone is refused with the
// fix, readable by the group is used with a warning.
TEST(crypto_passphrase, world_readable_file_is_refused_group_readable_warned_about) {
    using std::filesystem::perms;
    grin::test::temp_dir dir;
    auto file = dir / "gpg_passphrase.asc";
    write(file, "open words\n", perms::owner_read | perms::owner_write | perms::others_read);
    try {
        (void)grin::crypto::read_passphrase_file(file);
        ADD_FAILURE() << "a world-readable passphrase file was used";
    } catch (const grin::fatal& failure) {
        std::string message = failure.what();
        EXPECT_NE(message.find("chmod 600 " + file.string()), std::string::npos) << message;
        EXPECT_EQ(message.find("open words"), std::string::npos) << message;
    }
    std::string logged;
    auto old =
        grin::log::set_sink([&](grin::log::level, std::string_view line) { logged += line; });
    write(file, "group words\n", perms::owner_read | perms::owner_write | perms::group_read);
    EXPECT_EQ(grin::crypto::read_passphrase_file(file).view(), "group words");
    grin::log::set_sink(old);
    EXPECT_NE(logged.find("readable by its group"), std::string::npos) << logged;
}

TEST(crypto_passphrase, search_order_follows_grin_transfer) {
    grin::test::temp_dir dir;
    env_guard home("HOME", (dir / "home").string());
    env_guard creds("GRIN_CREDENTIALS_DIR", (dir / "creds").string());
    EXPECT_THROW(grin::crypto::find_passphrase(), grin::fatal);
    write(dir / "home" / ".config" / "grin" / "unrelated", "x");
    write(dir / "home" / ".grin" / "gpg_passphrase.asc", "from dot grin\n");
    EXPECT_EQ(grin::crypto::find_passphrase().view(), "from dot grin");
    write(dir / "home" / ".config" / "grin-transfer" / "gpg_passphrase.asc", "from config\n");
    EXPECT_EQ(grin::crypto::find_passphrase().view(), "from config");
    write(dir / "flag" / "gpg_passphrase.asc", "from flag\n");
    EXPECT_EQ(grin::crypto::find_passphrase(dir / "flag").view(), "from flag");
    write(dir / "creds" / "gpg_passphrase.asc", "from env\n");
    EXPECT_EQ(grin::crypto::find_passphrase(dir / "flag").view(), "from env");
}

TEST(crypto_passphrase, is_redacted_from_logs) {
    grin::crypto::passphrase key("very secret words");
    std::string logged;
    auto old =
        grin::log::set_sink([&](grin::log::level, std::string_view line) { logged += line; });
    grin::log::error("oops very secret words leaked");
    grin::log::set_sink(old);
    EXPECT_EQ(logged.find("very secret words"), std::string::npos);
}

TEST(crypto_passphrase, moved_from_is_empty) {
    grin::crypto::passphrase a("some words here");
    grin::crypto::passphrase b(std::move(a));
    EXPECT_EQ(b.view(), "some words here");
    EXPECT_EQ(a.view(), ""); // NOLINT(bugprone-use-after-move)
}

} // namespace
