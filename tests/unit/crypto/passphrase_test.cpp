#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/crypto/passphrase.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "test_support.hpp"

namespace {

void write(const std::filesystem::path& path, const std::string& text) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
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
