// The command line: bad flags stop at once with a message a person can act on.
#include <grin/cli/app.hpp>

#include <CLI/CLI.hpp>
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
    EXPECT_NE(result.err.find("loud not in"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("debug"), std::string::npos) << result.err;
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

namespace {

struct leaf_command {
    std::vector<std::string> path; // e.g. {"sync", "pipeline"}
    const CLI::App* app;
};

void collect_leaves(const CLI::App& app,
                    std::vector<std::string> path,
                    std::vector<leaf_command>& leaves) {
    auto subs = app.get_subcommands([](const CLI::App*) { return true; });
    if (subs.empty() && !path.empty())
        leaves.push_back({path, &app});
    for (const auto* sub : subs) {
        auto next = path;
        next.push_back(sub->get_name());
        collect_leaves(*sub, next, leaves);
    }
}

// Issue #7: `--help` of every subcommand renders, mentions every flag, and shows examples;
// `grin help <command>` prints the same.
TEST(cli_help, every_subcommand_documents_every_flag_with_examples) {
    auto line = grin::cli::make_command_line();
    std::vector<leaf_command> leaves;
    collect_leaves(*line->app, {}, leaves);
    ASSERT_GE(leaves.size(), 10u);
    for (const auto& leaf : leaves) {
        std::string name;
        for (const auto& word : leaf.path)
            name += (name.empty() ? "" : " ") + word;
        auto args = leaf.path;
        args.push_back("--help");
        auto shown = run(args);
        EXPECT_EQ(shown.code, 0) << name;
        EXPECT_NE(shown.out.find("Examples:"), std::string::npos) << name << " has no examples";
        std::size_t flags = 0;
        for (const auto* option : leaf.app->get_options()) {
            for (const auto& long_name : option->get_lnames()) {
                EXPECT_NE(shown.out.find("--" + long_name), std::string::npos)
                    << name << " --help does not mention --" << long_name;
                ++flags;
            }
            if (option->get_lnames().empty() && option->get_snames().empty())
                EXPECT_NE(shown.out.find(option->get_name(true)), std::string::npos) << name;
            if (option->get_name() != "--help")
                EXPECT_FALSE(option->get_description().empty())
                    << name << " " << option->get_name() << " is not explained";
        }
        EXPECT_GE(flags, 3u) << name; // --help, --log-level, --log-format at least
        EXPECT_NE(shown.out.find("--log-format"), std::string::npos) << name;

        auto help_args = leaf.path;
        help_args.insert(help_args.begin(), "help");
        auto via_help = run(help_args);
        EXPECT_EQ(via_help.code, 0) << name;
        EXPECT_EQ(via_help.out, shown.out) << name;
    }
}

TEST(cli_help, topics_render_and_unknown_ones_are_usage_errors) {
    auto index = run({"help"});
    ASSERT_EQ(index.code, 0);
    for (const char* topic : {"workflow", "exit-codes", "files", "storage", "progress", "resume",
                              "tuning", "metrics", "migrate", "troubleshooting"}) {
        EXPECT_NE(index.out.find(topic), std::string::npos) << topic;
        auto shown = run({"help", topic});
        EXPECT_EQ(shown.code, 0) << topic;
        EXPECT_GT(shown.out.size(), 200u) << topic;
    }
    auto unknown = run({"help", "nonsense"});
    EXPECT_EQ(unknown.code, 2);
    EXPECT_NE(unknown.err.find("grin help"), std::string::npos) << unknown.err;
}

TEST(cli_usage_errors, every_parse_error_exits_2) {
    EXPECT_EQ(run({"export", "--run-name", "r", "--format", "xml"}).code, 2);
    EXPECT_EQ(run({"sync", "status"}).code, 2); // --run-name missing
    EXPECT_EQ(run({"no-such-command"}).code, 2);
    EXPECT_EQ(run({"export", "--run-name", "r", "--log-format", "xml"}).code, 2);
    EXPECT_EQ(run({"--version"}).code, 0);
}

} // namespace
