#include <grin/core/atomic_file.hpp>
#include <grin/emulator/credentials_writer.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <sys/stat.h>
#include <test_support.hpp>

using namespace grin::emulator;

TEST(credentials_writer, writes_three_private_files_pointing_at_the_emulator) {
    grin::test::temp_dir dir;
    auto target = dir / "creds";
    credentials_params p;
    p.origin = "https://127.0.0.1:8443";
    p.access_token = "ya29.emu-abc";
    p.passphrase = default_passphrase(3);
    write_credentials(target, p);
    for (auto name : {"client_secret.json", "credentials.json", "gpg_passphrase.asc"}) {
        struct stat st {};
        ASSERT_EQ(::stat((target / name).c_str(), &st), 0) << name;
        EXPECT_EQ(st.st_mode & 0777, 0600u) << name;
    }
    auto creds = nlohmann::json::parse(grin::read_file(target / "credentials.json"));
    for (auto key :
         {"token", "refresh_token", "token_uri", "client_id", "client_secret", "scopes"}) {
        EXPECT_TRUE(creds.contains(key)) << key;
    }
    EXPECT_EQ(creds["token_uri"], "https://127.0.0.1:8443/token");
    EXPECT_EQ(creds["token"], "ya29.emu-abc");
    EXPECT_EQ(creds["refresh_token"], p.client.refresh_token);
    EXPECT_EQ(creds["scopes"].size(), 3u);
    auto secret = nlohmann::json::parse(grin::read_file(target / "client_secret.json"));
    EXPECT_EQ(secret["installed"]["token_uri"], "https://127.0.0.1:8443/token");
    EXPECT_EQ(secret["installed"]["client_id"], p.client.client_id);
    EXPECT_EQ(grin::read_file(target / "gpg_passphrase.asc"), p.passphrase + "\n");
}

TEST(credentials_writer, passphrase_is_a_function_of_the_seed) {
    EXPECT_EQ(default_passphrase(1), default_passphrase(1));
    EXPECT_NE(default_passphrase(1), default_passphrase(2));
    auto words = default_passphrase(9);
    EXPECT_EQ(std::count(words.begin(), words.end(), ' '), 4);
}
