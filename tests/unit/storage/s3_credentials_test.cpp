// The S3 endpoint and credentials chain (s3_credentials.hpp): each step wins over the later
// ones, the AWS shared-file dialect, grin-transfer's r2_credentials.json, MinIO defaults,
// and what the messages and logs may show. Every test runs with its own HOME and with every
// variable the chain reads unset, and restores them afterwards.
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/storage/s3_credentials.hpp>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using grin::run::storage_settings;
using grin::storage::resolve_s3_credentials;
using grin::storage::resolve_s3_endpoint;

constexpr const char* chain_variables[] = {"HOME",
                                           "GRIN_CREDENTIALS_DIR",
                                           "AWS_ACCESS_KEY_ID",
                                           "AWS_SECRET_ACCESS_KEY",
                                           "AWS_SESSION_TOKEN",
                                           "AWS_SECURITY_TOKEN",
                                           "AWS_PROFILE",
                                           "AWS_DEFAULT_PROFILE",
                                           "AWS_SHARED_CREDENTIALS_FILE",
                                           "AWS_CONFIG_FILE",
                                           "AWS_REGION",
                                           "AWS_DEFAULT_REGION",
                                           "AWS_ENDPOINT_URL",
                                           "AWS_ENDPOINT_URL_S3"};

// Distinct, greppable values: no test may find a secret in a message or a log line.
constexpr const char* config_id = "AKIDCONFIG000001";
constexpr const char* config_secret = "cfgSecret/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr const char* env_id = "AKIDENVIRON00001";
constexpr const char* env_secret = "envSecret+bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr const char* env_token = "envToken//cccccccccccccccccccccccccccccccccccccccc";
constexpr const char* file_id = "AKIDCREDFILE0001";
constexpr const char* file_secret = "credFileSecret/dddddddddddddddddddddddddddd";
constexpr const char* work_id = "AKIDWORKPROF0001";
constexpr const char* work_secret = "workSecret/eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
constexpr const char* conf_id = "AKIDCONFFILE0001";
constexpr const char* conf_secret = "confFileSecret/ffffffffffffffffffffffffffff";
constexpr const char* r2_id = "r2accesskeyid000000000000000001";
constexpr const char* r2_secret = "r2secret0000000000000000000000000000000000000000000000000000001";

class s3_chain : public ::testing::Test {
protected:
    grin::test::temp_dir dir;
    std::vector<std::string> lines;

    void SetUp() override {
        for (const char* name : chain_variables) {
            const char* value = std::getenv(name);
            saved_[name] = value ? std::optional<std::string>(value) : std::nullopt;
            ::unsetenv(name);
        }
        fs::create_directories(home());
        set_env("HOME", home().string());
        previous_sink_ = grin::log::set_sink(
            [this](grin::log::level, std::string_view line) { lines.emplace_back(line); });
        previous_level_ = grin::log::current_level();
        grin::log::set_level(grin::log::level::debug);
    }

    void TearDown() override {
        grin::log::set_level(previous_level_);
        grin::log::set_sink(previous_sink_);
        for (const auto& [name, value] : saved_) {
            if (value)
                ::setenv(name.c_str(), value->c_str(), 1);
            else
                ::unsetenv(name.c_str());
        }
    }

    fs::path home() const { return dir / "home"; }
    fs::path aws_credentials() const { return home() / ".aws" / "credentials"; }
    fs::path aws_config() const { return home() / ".aws" / "config"; }
    fs::path r2_file() const {
        return home() / ".config" / "grin-transfer" / "r2_credentials.json";
    }

    static void set_env(const char* name, const std::string& value) {
        ::setenv(name, value.c_str(), 1);
    }

    static void
    write(const fs::path& file, const std::string& text, fs::perms mode = fs::perms(0600)) {
        fs::create_directories(file.parent_path());
        std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
        fs::permissions(file, mode);
    }

    void write_r2_file(const std::string& extra = "", fs::perms mode = fs::perms(0600)) {
        write(r2_file(),
              std::string(R"({"endpoint_url": "https://acct123.r2.cloudflarestorage.com/",)") +
                  R"("access_key": ")" + r2_id + R"(", "secret_key": ")" + r2_secret + "\"" +
                  extra + "}",
              mode);
    }

    // Every source at once; each test removes the ones that must lose.
    void write_every_source() {
        set_env("AWS_ACCESS_KEY_ID", env_id);
        set_env("AWS_SECRET_ACCESS_KEY", env_secret);
        write(aws_credentials(), std::string("[default]\naws_access_key_id = ") + file_id +
                                     "\naws_secret_access_key = " + file_secret + "\n");
        write(aws_config(), std::string("[default]\naws_access_key_id = ") + conf_id +
                                "\naws_secret_access_key = " + conf_secret +
                                "\nregion = eu-west-3\n");
        write_r2_file();
    }

    static storage_settings settings(const std::string& type,
                                     std::map<std::string, std::string> config = {}) {
        return storage_settings{.type = type, .config = std::move(config)};
    }

    static std::string fatal_message(const std::function<void()>& work) {
        try {
            work();
        } catch (const grin::fatal& failure) {
            return failure.what();
        }
        return "no grin::fatal";
    }

    std::string log_text() const {
        std::string text;
        for (const auto& line : lines)
            text += line + "\n";
        return text;
    }

    bool logged(const std::string& part) const {
        return log_text().find(part) != std::string::npos;
    }

private:
    std::map<std::string, std::optional<std::string>> saved_;
    grin::log::sink previous_sink_;
    grin::log::level previous_level_ = grin::log::level::info;
};

std::vector<std::string> every_secret() {
    return {config_secret, env_secret, env_token, file_secret, work_secret, conf_secret, r2_secret};
}

void expect_no_secret(const std::string& text) {
    for (const auto& secret : every_secret())
        EXPECT_EQ(text.find(secret), std::string::npos) << "secret " << secret << " in: " << text;
}

// ---- each step wins over the later ones -------------------------------------------------

TEST_F(s3_chain, config_keys_win_over_every_other_place) {
    write_every_source();
    auto found = resolve_s3_credentials(
        settings("r2", {{"access_key", config_id}, {"secret_key", config_secret}}));
    EXPECT_EQ(found.source, "config");
    EXPECT_EQ(found.access_key_id, config_id);
    EXPECT_EQ(found.secret_access_key, config_secret);
    EXPECT_FALSE(found.session_token);
    EXPECT_FALSE(logged("are not used")) << log_text(); // explicit keys: no shadow warning
}

TEST_F(s3_chain, environment_wins_over_profiles_and_r2_file_and_carries_the_session_token) {
    write_every_source();
    set_env("AWS_SESSION_TOKEN", env_token);
    auto found = resolve_s3_credentials(settings("r2"));
    EXPECT_EQ(found.source, "environment");
    EXPECT_EQ(found.access_key_id, env_id);
    EXPECT_EQ(found.secret_access_key, env_secret);
    EXPECT_EQ(found.session_token, env_token);
    // An R2 user with AWS keys in the environment is told the r2 file's keys lost.
    EXPECT_TRUE(logged("r2_credentials.json are not used: keys from environment come first"))
        << log_text();
}

TEST_F(s3_chain, credentials_file_wins_over_config_file_and_r2_file) {
    write_every_source();
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    auto found = resolve_s3_credentials(settings("r2"));
    EXPECT_EQ(found.source, "profile default (~/.aws/credentials)");
    EXPECT_EQ(found.access_key_id, file_id);
    EXPECT_EQ(found.secret_access_key, file_secret);
}

TEST_F(s3_chain, config_file_wins_over_r2_file) {
    write_every_source();
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    fs::remove(aws_credentials());
    auto found = resolve_s3_credentials(settings("r2"));
    EXPECT_EQ(found.source, "profile default (~/.aws/config)");
    EXPECT_EQ(found.access_key_id, conf_id);
}

TEST_F(s3_chain, r2_file_wins_over_nothing_and_gives_endpoint_and_buckets) {
    write_r2_file(
        R"(, "bucket_raw": "lib-raw", "bucket_meta": "lib-meta", "bucket_full": "lib-full")");
    auto found = resolve_s3_credentials(settings("r2"));
    EXPECT_EQ(found.source, "r2_credentials.json (~/.config/grin-transfer/r2_credentials.json)");
    EXPECT_EQ(found.access_key_id, r2_id);
    EXPECT_EQ(found.secret_access_key, r2_secret);

    auto endpoint = resolve_s3_endpoint(settings("r2"));
    EXPECT_EQ(endpoint.type, "r2");
    EXPECT_EQ(endpoint.endpoint_url, "https://acct123.r2.cloudflarestorage.com");
    EXPECT_EQ(endpoint.region, "auto");
    EXPECT_TRUE(endpoint.path_style);
    EXPECT_EQ(endpoint.buckets,
              (std::map<std::string, std::string>{
                  {"raw", "lib-raw"}, {"meta", "lib-meta"}, {"full", "lib-full"}}));

    // Buckets and endpoint given in the config win over the file's.
    auto given = resolve_s3_endpoint(
        settings("r2", {{"bucket_raw", "other-raw"},
                        {"endpoint_url", "https://x.r2.cloudflarestorage.com"}}));
    EXPECT_EQ(given.buckets.at("raw"), "other-raw");
    EXPECT_EQ(given.buckets.at("meta"), "lib-meta");
    EXPECT_EQ(given.endpoint_url, "https://x.r2.cloudflarestorage.com");
}

TEST_F(s3_chain, r2_file_is_found_through_grin_credentials_dir_and_credentials_file) {
    auto creds_dir = dir / "creds";
    write(creds_dir / "r2_credentials.json",
          std::string(R"({"endpoint_url": "https://a.r2.cloudflarestorage.com", "access_key": ")") +
              r2_id + R"(", "secret_key": ")" + r2_secret + "\"}");
    set_env("GRIN_CREDENTIALS_DIR", creds_dir.string());
    EXPECT_EQ(resolve_s3_credentials(settings("r2")).access_key_id, r2_id);

    // credentials_file names the file for any S3 type; a named file must exist.
    auto named = dir / "elsewhere" / "keys.json";
    fs::create_directories(named.parent_path());
    fs::rename(creds_dir / "r2_credentials.json", named);
    auto found = resolve_s3_credentials(settings("s3", {{"credentials_file", named.string()}}));
    EXPECT_EQ(found.access_key_id, r2_id);
    EXPECT_NE(found.source.find(named.string()), std::string::npos) << found.source;
    auto message = fatal_message([&] {
        resolve_s3_credentials(
            settings("s3", {{"credentials_file", (dir / "nope.json").string()}}));
    });
    EXPECT_NE(message.find("nope.json"), std::string::npos) << message;
    EXPECT_NE(message.find("does not exist"), std::string::npos) << message;
}

TEST_F(s3_chain, s3_type_does_not_read_the_default_r2_file) {
    write_r2_file();
    auto message = fatal_message([&] { resolve_s3_credentials(settings("s3")); });
    EXPECT_NE(message.find("no S3 credentials found"), std::string::npos) << message;
    EXPECT_EQ(message.find("r2_credentials.json"), std::string::npos) << message;
}

TEST_F(s3_chain, minio_defaults_come_last_and_only_for_minio) {
    auto found = resolve_s3_credentials(settings("minio"));
    EXPECT_EQ(found.source, "minio defaults");
    EXPECT_EQ(found.access_key_id, "minioadmin");
    EXPECT_EQ(found.secret_access_key, "minioadmin123");
    EXPECT_EQ(grin::log::redact("key minioadmin123"), "key [REDACTED]");

    auto endpoint = resolve_s3_endpoint(settings("minio"));
    EXPECT_EQ(endpoint.endpoint_url, "http://localhost:9000");
    EXPECT_EQ(endpoint.region, "us-east-1");
    EXPECT_TRUE(endpoint.path_style);
    EXPECT_EQ(endpoint.buckets,
              (std::map<std::string, std::string>{
                  {"raw", "grin-raw"}, {"meta", "grin-meta"}, {"full", "grin-full"}}));

    // Any earlier source wins over the defaults.
    set_env("AWS_ACCESS_KEY_ID", env_id);
    set_env("AWS_SECRET_ACCESS_KEY", env_secret);
    EXPECT_EQ(resolve_s3_credentials(settings("minio")).source, "environment");
}

// ---- profiles and the INI dialect ---------------------------------------------------------

TEST_F(s3_chain, aws_profile_selects_the_section) {
    write(aws_credentials(), std::string("[default]\naws_access_key_id = ") + file_id +
                                 "\naws_secret_access_key = " + file_secret + "\n\n[work]\n" +
                                 "aws_access_key_id = " + work_id +
                                 "\naws_secret_access_key = " + work_secret + "\n");
    EXPECT_EQ(resolve_s3_credentials(settings("s3")).access_key_id, file_id);
    set_env("AWS_PROFILE", "work");
    auto found = resolve_s3_credentials(settings("s3"));
    EXPECT_EQ(found.access_key_id, work_id);
    EXPECT_EQ(found.secret_access_key, work_secret);
    EXPECT_EQ(found.source, "profile work (~/.aws/credentials)");

    // A profile that is nowhere is not replaced by [default].
    set_env("AWS_PROFILE", "missing");
    auto message = fatal_message([&] { resolve_s3_credentials(settings("s3")); });
    EXPECT_NE(message.find("no [missing] section"), std::string::npos) << message;
    EXPECT_NE(message.find("AWS_PROFILE=missing"), std::string::npos) << message;
}

TEST_F(s3_chain, config_file_uses_profile_prefix_sections_and_region) {
    set_env("AWS_PROFILE", "work");
    write(aws_config(), std::string("[default]\nregion = us-west-1\n\n[profile work]\n") +
                            "region = ap-south-1\naws_access_key_id = " + work_id +
                            "\naws_secret_access_key = " + work_secret + "\n");
    auto found = resolve_s3_credentials(settings("s3"));
    EXPECT_EQ(found.access_key_id, work_id);
    EXPECT_EQ(found.source, "profile work (~/.aws/config)");
    auto endpoint = resolve_s3_endpoint(
        settings("s3", {{"bucket_raw", "r"}, {"bucket_meta", "m"}, {"bucket_full", "f"}}));
    EXPECT_EQ(endpoint.region, "ap-south-1");
    EXPECT_FALSE(endpoint.endpoint_url);
    EXPECT_FALSE(endpoint.path_style);

    // [work] in the config file is not the work profile (botocore ignores it); the message
    // says what the section should be called. Likewise [profile work] in the credentials file.
    write(aws_config(), std::string("[work]\naws_access_key_id = ") + work_id +
                            "\naws_secret_access_key = " + work_secret + "\n");
    write(aws_credentials(), std::string("[profile work]\naws_access_key_id = ") + work_id +
                                 "\naws_secret_access_key = " + work_secret + "\n");
    auto message = fatal_message([&] { resolve_s3_credentials(settings("s3")); });
    EXPECT_NE(message.find("~/.aws/config: no [profile work] section (it has [work]"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("~/.aws/credentials: no [work] section (it has [profile work]"),
              std::string::npos)
        << message;
    expect_no_secret(message);

    // [profile default] is accepted for the default profile in the config file.
    ::unsetenv("AWS_PROFILE");
    write(aws_config(), std::string("[profile default]\naws_access_key_id = ") + conf_id +
                            "\naws_secret_access_key = " + conf_secret + "\n");
    fs::remove(aws_credentials());
    EXPECT_EQ(resolve_s3_credentials(settings("s3")).access_key_id, conf_id);
}

TEST_F(s3_chain, comments_odd_spacing_and_line_endings) {
    write(aws_credentials(),
          std::string("\xEF\xBB\xBF# a comment\r\n; another comment\r\n") + "[other]\r\n" +
              "aws_access_key_id=AKIDOTHER0000001\r\n\r\n" + "[  default  ]  \r\n" +
              "\tAWS_ACCESS_KEY_ID\t=\t" + file_id + "   # inline comment\r\n" +
              "aws_secret_access_key:   " + file_secret + " ; old key was rotated\r\n" +
              "s3 =\r\n    aws_session_token = not-a-token-but-a-nested-setting\r\n" +
              "region=eu-north-1\r\n");
    auto found = resolve_s3_credentials(settings("s3"));
    EXPECT_EQ(found.access_key_id, file_id);
    EXPECT_EQ(found.secret_access_key, file_secret);
    EXPECT_FALSE(found.session_token); // the indented line belongs to "s3 ="
    EXPECT_FALSE(logged("line")) << log_text();
}

TEST_F(s3_chain, malformed_lines_are_warned_about_without_their_text) {
    write(aws_credentials(), std::string("[default]\n") + file_secret + "\naws_access_key_id = " +
                                 file_id + "\naws_secret_access_key = " + file_secret + "\n");
    auto found = resolve_s3_credentials(settings("s3"));
    EXPECT_EQ(found.access_key_id, file_id);
    EXPECT_TRUE(logged("~/.aws/credentials line 2: not 'key = value' (ignored)")) << log_text();
    expect_no_secret(log_text());
    EXPECT_EQ(log_text().find("[REDACTED]"), std::string::npos) << log_text();
}

TEST_F(s3_chain, session_token_from_profile) {
    write(aws_credentials(), std::string("[default]\naws_access_key_id = ") + file_id +
                                 "\naws_secret_access_key = " + file_secret +
                                 "\naws_session_token = " + env_token + "\n");
    auto found = resolve_s3_credentials(settings("s3"));
    EXPECT_EQ(found.session_token, env_token);
    EXPECT_NE(found.describe().find("with session token"), std::string::npos);
    EXPECT_EQ(grin::log::redact(env_token), "[REDACTED]");
}

TEST_F(s3_chain, shared_file_locations_come_from_the_environment) {
    write(dir / "alt" / "creds.ini", std::string("[default]\naws_access_key_id = ") + file_id +
                                         "\naws_secret_access_key = " + file_secret + "\n");
    write(dir / "home" / "cfg.ini", "[default]\nregion = sa-east-1\n");
    set_env("AWS_SHARED_CREDENTIALS_FILE", (dir / "alt" / "creds.ini").string());
    set_env("AWS_CONFIG_FILE", "~/cfg.ini");
    EXPECT_EQ(resolve_s3_credentials(settings("s3")).access_key_id, file_id);
    EXPECT_EQ(resolve_s3_endpoint(
                  settings("s3", {{"bucket_raw", "r"}, {"bucket_meta", "m"}, {"bucket_full", "f"}}))
                  .region,
              "sa-east-1");
}

TEST_F(s3_chain, profile_with_only_a_role_says_it_cannot_be_used) {
    write(aws_config(), "[default]\nrole_arn = arn:aws:iam::123456789012:role/x\n"
                        "source_profile = base\n");
    auto message = fatal_message([&] { resolve_s3_credentials(settings("s3")); });
    EXPECT_NE(message.find("uses role_arn"), std::string::npos) << message;
}

// ---- failures -----------------------------------------------------------------------------

TEST_F(s3_chain, nothing_found_lists_every_place_and_the_fixes) {
    auto message = fatal_message([&] { resolve_s3_credentials(settings("r2")); });
    for (const char* part :
         {"no S3 credentials found for r2 storage",
          "1. storage config access_key / secret_key: not given",
          "2. environment AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: not set",
          "3. ~/.aws/credentials: not found", "4. ~/.aws/config: not found",
          "5. ~/.config/grin-transfer/r2_credentials.json: not found",
          "export AWS_ACCESS_KEY_ID=<key id> AWS_SECRET_ACCESS_KEY=<secret>",
          "to [default] in ~/.aws/credentials, then chmod 600 ~/.aws/credentials",
          "write ~/.config/grin-transfer/r2_credentials.json as {\"endpoint_url\"",
          "then chmod 600 ~/.config/grin-transfer/r2_credentials.json"})
        EXPECT_NE(message.find(part), std::string::npos) << part << "\n---\n" << message;
}

TEST_F(s3_chain, half_a_key_pair_is_an_error_not_a_fallthrough) {
    write_r2_file();
    set_env("AWS_ACCESS_KEY_ID", env_id);
    auto message = fatal_message([&] { resolve_s3_credentials(settings("r2")); });
    EXPECT_NE(message.find("has AWS_ACCESS_KEY_ID but no AWS_SECRET_ACCESS_KEY"), std::string::npos)
        << message;
    ::unsetenv("AWS_ACCESS_KEY_ID");

    message = fatal_message([&] {
        resolve_s3_credentials(settings("r2", {{"secret_key", config_secret}}));
    });
    EXPECT_NE(message.find("has secret_key but no access_key"), std::string::npos) << message;
    expect_no_secret(message);

    write(aws_credentials(),
          std::string("[default]\naws_secret_access_key = ") + file_secret + "\n");
    message = fatal_message([&] { resolve_s3_credentials(settings("r2")); });
    EXPECT_NE(message.find("[default] has aws_secret_access_key but no aws_access_key_id"),
              std::string::npos)
        << message;
    expect_no_secret(message);
}

TEST_F(s3_chain, world_readable_r2_file_is_refused_group_readable_is_warned_about) {
    write_r2_file("", fs::perms(0644));
    auto message = fatal_message([&] { resolve_s3_credentials(settings("r2")); });
    EXPECT_NE(message.find("refusing to use ~/.config/grin-transfer/r2_credentials.json"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("chmod 600 ~/.config/grin-transfer/r2_credentials.json"),
              std::string::npos)
        << message;
    expect_no_secret(message);

    fs::permissions(r2_file(), fs::perms(0640));
    EXPECT_EQ(resolve_s3_credentials(settings("r2")).access_key_id, r2_id);
    EXPECT_TRUE(logged("r2_credentials.json holds S3 keys and is readable by its group; make it "
                       "private with: chmod 600"))
        << log_text();
}

TEST_F(s3_chain, readable_aws_credentials_file_is_warned_about) {
    write(aws_credentials(),
          std::string("[default]\naws_access_key_id = ") + file_id +
              "\naws_secret_access_key = " + file_secret + "\n",
          fs::perms(0644));
    EXPECT_EQ(resolve_s3_credentials(settings("s3")).access_key_id, file_id);
    EXPECT_TRUE(logged("~/.aws/credentials holds S3 keys and is readable by every user of this "
                       "machine; make it private with: chmod 600 ~/.aws/credentials"))
        << log_text();

    // A private file: no warning.
    lines.clear();
    fs::permissions(aws_credentials(), fs::perms(0600));
    resolve_s3_credentials(settings("s3"));
    EXPECT_FALSE(logged("readable by")) << log_text();
}

TEST_F(s3_chain, malformed_r2_file_is_reported_without_its_text) {
    write(r2_file(), std::string(R"({"access_key": ")") + r2_id + R"(", "secret_key": ")" +
                         r2_secret + R"(" "endpoint_url": 1})");
    auto message = fatal_message([&] { resolve_s3_credentials(settings("r2")); });
    EXPECT_NE(message.find("is not valid JSON (error near byte"), std::string::npos) << message;
    EXPECT_EQ(message.find(r2_secret), std::string::npos) << message;
    EXPECT_EQ(message.find("r2secret"), std::string::npos) << message;
}

// ---- nothing secret in describe() or the logs ---------------------------------------------

TEST_F(s3_chain, secrets_never_appear_in_describe_or_log_lines) {
    write_every_source();
    set_env("AWS_SESSION_TOKEN", env_token);
    std::vector<std::string> described;
    described.push_back(resolve_s3_credentials(settings("r2", {{"access_key", config_id},
                                                               {"secret_key", config_secret}}))
                            .describe());
    described.push_back(resolve_s3_credentials(settings("r2")).describe());
    ::unsetenv("AWS_ACCESS_KEY_ID");
    ::unsetenv("AWS_SECRET_ACCESS_KEY");
    ::unsetenv("AWS_SESSION_TOKEN");
    described.push_back(resolve_s3_credentials(settings("r2")).describe());
    fs::remove(aws_credentials());
    described.push_back(resolve_s3_credentials(settings("r2")).describe());
    fs::remove(aws_config());
    described.push_back(resolve_s3_credentials(settings("r2")).describe());
    described.push_back(
        resolve_s3_endpoint(
            settings("r2", {{"bucket_raw", "a"}, {"bucket_meta", "b"}, {"bucket_full", "c"}}))
            .describe());

    EXPECT_EQ(described[0], "from config, access key AKID...");
    EXPECT_EQ(described[1], "from environment, access key AKID... (with session token)");
    EXPECT_EQ(described[2], "from profile default (~/.aws/credentials), access key AKID...");
    EXPECT_EQ(described[4],
              "from r2_credentials.json (~/.config/grin-transfer/r2_credentials.json), access "
              "key r2ac...");
    for (const auto& text : described) {
        expect_no_secret(text);
        for (const char* id : {config_id, env_id, file_id, conf_id, r2_id})
            EXPECT_EQ(text.find(id), std::string::npos) << text;
    }
    // The chain logged its choices but never tried to print a key (nothing was redacted).
    EXPECT_TRUE(logged("S3 credentials from environment")) << log_text();
    expect_no_secret(log_text());
    EXPECT_EQ(log_text().find("[REDACTED]"), std::string::npos) << log_text();
    // And every key is registered, so any later line that quotes one is masked.
    for (const auto& secret : every_secret())
        if (secret != work_secret)
            EXPECT_EQ(grin::log::redact("x " + secret), "x [REDACTED]") << secret;
}

TEST_F(s3_chain, short_access_key_ids_are_not_shown_at_all) {
    grin::storage::s3_credentials credentials{"AKID12", "secret-secret", std::nullopt, "config"};
    EXPECT_EQ(credentials.describe(), "from config, access key ****");
}

// ---- endpoint settings ----------------------------------------------------------------------

storage_settings s3_with_buckets(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> config = {
        {"bucket_raw", "lib-raw"}, {"bucket_meta", "lib-meta"}, {"bucket_full", "lib-full"}};
    for (auto& [key, value] : extra)
        config[key] = value;
    return storage_settings{.type = "s3", .config = config};
}

TEST_F(s3_chain, region_chain) {
    write(aws_config(), "[default]\nregion = eu-west-3\n");
    EXPECT_EQ(resolve_s3_endpoint(s3_with_buckets()).region, "eu-west-3");
    set_env("AWS_DEFAULT_REGION", "eu-central-1");
    EXPECT_EQ(resolve_s3_endpoint(s3_with_buckets()).region, "eu-central-1");
    set_env("AWS_REGION", "us-west-2");
    EXPECT_EQ(resolve_s3_endpoint(s3_with_buckets()).region, "us-west-2");
    EXPECT_EQ(resolve_s3_endpoint(s3_with_buckets({{"region", "ca-central-1"}})).region,
              "ca-central-1");
    ::unsetenv("AWS_REGION");
    ::unsetenv("AWS_DEFAULT_REGION");
    fs::remove(aws_config());
    EXPECT_EQ(resolve_s3_endpoint(s3_with_buckets()).region, "us-east-1");
}

TEST_F(s3_chain, endpoint_chain_and_addressing_style) {
    auto plain = resolve_s3_endpoint(s3_with_buckets());
    EXPECT_FALSE(plain.endpoint_url);
    EXPECT_FALSE(plain.path_style);
    EXPECT_TRUE(resolve_s3_endpoint(s3_with_buckets({{"addressing_style", "path"}})).path_style);

    set_env("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/");
    EXPECT_EQ(resolve_s3_endpoint(s3_with_buckets()).endpoint_url, "http://127.0.0.1:5000");
    set_env("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:6000");
    auto from_env = resolve_s3_endpoint(s3_with_buckets());
    EXPECT_EQ(from_env.endpoint_url, "http://127.0.0.1:6000");
    EXPECT_TRUE(from_env.path_style);
    auto from_config = resolve_s3_endpoint(s3_with_buckets(
        {{"endpoint_url", "https://s3.example.org"}, {"addressing_style", "virtual"}}));
    EXPECT_EQ(from_config.endpoint_url, "https://s3.example.org");
    EXPECT_FALSE(from_config.path_style);

    // The environment wins over the r2 file; MinIO's default comes last.
    write_r2_file(R"(, "bucket_raw": "a", "bucket_meta": "b", "bucket_full": "c")");
    EXPECT_EQ(resolve_s3_endpoint(settings("r2")).endpoint_url, "http://127.0.0.1:6000");
    EXPECT_EQ(resolve_s3_endpoint(settings("minio")).endpoint_url, "http://127.0.0.1:6000");

    auto message = fatal_message([&] {
        resolve_s3_endpoint(s3_with_buckets({{"endpoint_url", "s3.example.org"}}));
    });
    EXPECT_NE(message.find("not an http:// or https:// URL"), std::string::npos) << message;
    message = fatal_message([&] {
        resolve_s3_endpoint(s3_with_buckets({{"addressing_style", "dns"}}));
    });
    EXPECT_NE(message.find("auto, path or virtual"), std::string::npos) << message;
}

TEST_F(s3_chain, r2_without_an_endpoint_says_where_to_put_one) {
    auto message = fatal_message([&] {
        resolve_s3_endpoint(
            settings("r2", {{"bucket_raw", "a"}, {"bucket_meta", "b"}, {"bucket_full", "c"}}));
    });
    EXPECT_NE(message.find("r2 storage needs its endpoint"), std::string::npos) << message;
    EXPECT_NE(message.find("--storage-config endpoint_url=URL"), std::string::npos) << message;
}

TEST_F(s3_chain, missing_buckets_and_bad_types_are_fatal) {
    auto message = fatal_message([&] {
        resolve_s3_endpoint(settings("s3", {{"bucket_raw", "only-raw"}}));
    });
    EXPECT_NE(message.find("missing: --bucket-meta, --bucket-full"), std::string::npos) << message;
    message = fatal_message([&] { resolve_s3_endpoint(s3_with_buckets({{"bucket_raw", "a b"}})); });
    EXPECT_NE(message.find("bucket name 'a b'"), std::string::npos) << message;
    message = fatal_message([&] { resolve_s3_credentials(settings("local")); });
    EXPECT_NE(message.find("not an S3-compatible store"), std::string::npos) << message;
}

TEST_F(s3_chain, storage_class_is_validated_per_store) {
    EXPECT_FALSE(resolve_s3_endpoint(s3_with_buckets()).storage_class);
    EXPECT_EQ(resolve_s3_endpoint(s3_with_buckets({{"storage_class", "glacier_ir"}})).storage_class,
              "GLACIER_IR");
    for (const char* name : {"STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
                             "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY"}) {
        EXPECT_TRUE(grin::storage::is_s3_storage_class(name)) << name;
        EXPECT_EQ(resolve_s3_endpoint(s3_with_buckets({{"storage_class", name}})).storage_class,
                  name);
    }
    auto message = fatal_message([&] {
        resolve_s3_endpoint(s3_with_buckets({{"storage_class", "COLD"}}));
    });
    EXPECT_NE(message.find("storage_class 'COLD' is not one s3 accepts; use one of STANDARD, "
                           "STANDARD_IA"),
              std::string::npos)
        << message;

    write_r2_file(R"(, "bucket_raw": "a", "bucket_meta": "b", "bucket_full": "c")");
    EXPECT_EQ(resolve_s3_endpoint(settings("r2", {{"storage_class", "STANDARD_IA"}})).storage_class,
              "STANDARD_IA");
    message = fatal_message([&] {
        resolve_s3_endpoint(settings("r2", {{"storage_class", "GLACIER"}}));
    });
    EXPECT_NE(message.find("use one of STANDARD, STANDARD_IA"), std::string::npos) << message;
    message = fatal_message([&] {
        resolve_s3_endpoint(settings("minio", {{"storage_class", "STANDARD_IA"}}));
    });
    EXPECT_NE(message.find("use one of STANDARD, REDUCED_REDUNDANCY"), std::string::npos)
        << message;
}

} // namespace
