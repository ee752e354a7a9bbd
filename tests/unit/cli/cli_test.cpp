// The command line: bad flags stop at once with a message a person can act on.
#include <grin/cli/app.hpp>

#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "test_support.hpp"

namespace {

struct cli_result {
    int code;
    std::string out, err;
};

cli_result run(std::vector<std::string> args) {
    args.insert(args.begin(), "grin");
    std::ostringstream out, err;
    auto* old_out = std::cout.rdbuf(out.rdbuf());
    auto* old_err = std::cerr.rdbuf(err.rdbuf());
    int code = grin::cli::run(args);
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    return {code, out.str(), err.str()};
}

} // namespace

TEST(cli, version_and_help) {
    auto version = run({"--version"});
    EXPECT_EQ(version.code, 0);
    EXPECT_NE(version.out.find("grin "), std::string::npos);
    auto help = run({"--help"});
    EXPECT_EQ(help.code, 0);
    for (const char* command : {"collect", "decrypt", "auth", "demo"})
        EXPECT_NE(help.out.find(command), std::string::npos) << command;
}

TEST(cli, missing_subcommand_is_an_error) {
    auto result = run({});
    EXPECT_NE(result.code, 0);
    EXPECT_NE(result.err.find("subcommand"), std::string::npos) << result.err;
}

TEST(cli, unknown_storage_is_refused_with_the_choices) {
    auto result = run({"collect", "--library-directory", "Lib", "--storage", "ftp"});
    EXPECT_NE(result.code, 0);
    EXPECT_NE(result.err.find("local"), std::string::npos) << result.err;
}

TEST(cli, bad_log_level_is_fatal_with_the_choices) {
    grin::test::temp_dir dir;
    auto result = run({"--log-level", "loud", "collect", "--run-name", "x", "--output-root",
                       dir.path().string()});
    EXPECT_EQ(result.code, 2);
    EXPECT_NE(result.err.find("debug, info, warning, error or off"), std::string::npos)
        << result.err;
}

TEST(cli, collect_local_storage_needs_a_path) {
    grin::test::temp_dir dir;
    auto result = run({"collect", "--run-name", "r1", "--library-directory", "Lib", "--storage",
                       "local", "--output-root", dir.path().string()});
    EXPECT_EQ(result.code, 2);
    EXPECT_NE(result.err.find("--storage-path"), std::string::npos) << result.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "r1" / "run_config.json"));
}

TEST(cli, secrets_are_not_accepted_into_the_run_config) {
    grin::test::temp_dir dir;
    auto result = run({"collect", "--run-name", "r2", "--library-directory", "Lib", "--storage",
                       "s3", "--bucket-raw", "a", "--bucket-meta", "b", "--bucket-full", "c",
                       "--storage-config", "secret_key=abc", "--output-root", dir.path().string()});
    EXPECT_EQ(result.code, 2);
    EXPECT_NE(result.err.find("secret"), std::string::npos) << result.err;
}
