#include <grin/auth/credentials.hpp>
#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>

#include "test_support.hpp"

using namespace grin;

namespace {

auth::stored_credentials sample() {
    return {.token = "ya29.sample-access",
            .refresh_token = "1//sample-refresh",
            .token_uri = "https://127.0.0.1:9/token",
            .client_id = "1234-abc.apps.googleusercontent.com",
            .client_secret = "GOCSPX-sample-secret",
            .scopes = auth::required_scopes()};
}

std::string fatal_message(const std::filesystem::path& file) {
    try {
        auth::load_credentials(file);
    } catch (const grin::fatal& failure) {
        return failure.what();
    }
    return "no error";
}

} // namespace

TEST(credentials, round_trip_with_mode_0600) {
    test::temp_dir dir;
    auto file = dir / "credentials.json";
    auth::save_credentials(file, sample());
    struct stat info {};
    ASSERT_EQ(::stat(file.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    auto loaded = auth::load_credentials(file);
    EXPECT_EQ(loaded.token, "ya29.sample-access");
    EXPECT_EQ(loaded.refresh_token, "1//sample-refresh");
    EXPECT_EQ(loaded.scopes, auth::required_scopes());
}

TEST(credentials, reads_grin_transfer_files_including_null_token) {
    test::temp_dir dir;
    auto file = dir / "credentials.json";
    write_file_atomically(file, R"({"token": null, "refresh_token": "1//r-token",
        "token_uri": "https://oauth2.googleapis.com/token", "client_id": "id",
        "client_secret": "GOCSPX-s", "scopes": ["openid"]})",
                          0600);
    auto loaded = auth::load_credentials(file);
    EXPECT_EQ(loaded.token, "");
    EXPECT_EQ(loaded.refresh_token, "1//r-token");
}

TEST(credentials, missing_or_corrupt_files_say_what_to_do) {
    test::temp_dir dir;
    auto missing = fatal_message(dir / "credentials.json");
    EXPECT_NE(missing.find("not found"), std::string::npos);
    EXPECT_NE(missing.find("grin auth setup"), std::string::npos);

    write_file_atomically(dir / "broken.json", "{not json", 0600);
    EXPECT_NE(fatal_message(dir / "broken.json").find("not valid JSON"), std::string::npos);

    write_file_atomically(dir / "partial.json", R"({"token": "x", "client_id": "id"})", 0600);
    EXPECT_NE(fatal_message(dir / "partial.json").find("refresh_token"), std::string::npos);
}

TEST(credentials, client_secret_desktop_download_is_understood) {
    test::temp_dir dir;
    write_file_atomically(dir / "client_secret.json",
                          R"({"installed": {"client_id": "1234-abc", "client_secret": "GOCSPX-x1",
                              "auth_uri": "https://accounts.example/auth",
                              "token_uri": "https://127.0.0.1:8443/token"}})",
                          0600);
    auto secret = auth::load_client_secret(dir.path());
    EXPECT_EQ(secret.client_id, "1234-abc");
    EXPECT_EQ(secret.token_uri, "https://127.0.0.1:8443/token");
    EXPECT_EQ(log::redact("secret GOCSPX-x1 here"), "secret [REDACTED] here");
}

TEST(credentials, loaded_secrets_are_redacted_from_logs) {
    test::temp_dir dir;
    auto file = dir / "credentials.json";
    auth::save_credentials(file, sample());
    auth::load_credentials(file);
    auto line = log::redact("token ya29.sample-access refresh 1//sample-refresh");
    EXPECT_EQ(line.find("sample"), std::string::npos) << line;
}

// A credentials file every local user can read is refused, with the command that fixes it;
// a group-readable one is used with a warning (the policy of core/secret_file.hpp).
TEST(credentials, world_readable_files_are_refused_group_readable_warned_about) {
    test::temp_dir dir;
    auto file = dir / "credentials.json";
    auth::save_credentials(file, sample());
    ::chmod(file.c_str(), 0644);
    auto message = fatal_message(file);
    EXPECT_NE(message.find("refusing to use " + file.string()), std::string::npos) << message;
    EXPECT_NE(message.find("chmod 600 " + file.string()), std::string::npos) << message;
    EXPECT_EQ(message.find("sample"), std::string::npos) << message;

    std::string logged;
    auto old = log::set_sink([&](log::level, std::string_view line) { logged += line; });
    ::chmod(file.c_str(), 0640);
    EXPECT_EQ(auth::load_credentials(file).token, "ya29.sample-access");
    log::set_sink(old);
    EXPECT_NE(logged.find("readable by its group; make it private with: chmod 600"),
              std::string::npos)
        << logged;

    write_file_atomically(dir / "client_secret.json",
                          R"({"installed": {"client_id": "c", "client_secret": "GOCSPX-y2"}})",
                          0604);
    try {
        auth::load_client_secret(dir.path());
        ADD_FAILURE() << "a world-readable client_secret.json was used";
    } catch (const grin::fatal& failure) {
        EXPECT_NE(std::string(failure.what()).find("chmod 600"), std::string::npos)
            << failure.what();
    }
}

// The refresh token and client secret never go to a plain-http token endpoint.
TEST(credentials, token_uri_must_be_https) {
    test::temp_dir dir;
    auto file = dir / "credentials.json";
    auto credentials = sample();
    credentials.token_uri = "http://oauth2.example/token";
    auth::save_credentials(file, credentials);
    auto message = fatal_message(file);
    EXPECT_NE(message.find("\"token_uri\" must be an https:// URL"), std::string::npos) << message;
}
