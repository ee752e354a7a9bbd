// No secret reaches anything a run leaves behind or prints: every command of a run
// (collect, sync pipeline, enrich, process request, export) at --log-level debug against
// the emulator, with a forced token refresh, a book encrypted with another passphrase and a
// command whose sign-in fails; then every byte printed and every file under the output
// root and the storage is searched for the secrets the emulator handed out.
#include <grin/emulator/catalogue.hpp>

#include <filesystem>
#include <fstream>

#include "sync_fixture.hpp"

namespace grin::test {
namespace {

namespace fs = std::filesystem;

class redaction_test : public sync_fixture {
public:
    void SetUp() override {
        shape.books = 40;
        shape.converted = 0.6;
        shape.failed = 0.1;
    }

    // Everything every command printed (stdout and stderr), labelled by command.
    std::string transcript;

    run_result logged(std::vector<std::string> args) {
        args.insert(args.end(), {"--log-level", "debug"});
        auto result = grin(args);
        transcript += "\n==== grin " + args[0] + " (exit " + std::to_string(result.exit_code) +
                      ")\n" + result.output;
        return result;
    }

    std::vector<std::string> run_args(std::vector<std::string> command) {
        command.insert(command.end(),
                       {"--run-name", run_name, "--output-root", output_root().string()});
        return command;
    }

    // The secrets: the emulator's OAuth client secret and refresh token, the archive
    // passphrase, and the prefix of every access token the emulator issues (ya29.emu-...),
    // so that tokens minted during the run count too.
    std::vector<std::string> secrets() {
        auto credentials = nlohmann::json::parse(
            slurp(emulator.credentials_dir / "client_secret.json"), nullptr, false);
        std::string passphrase = slurp(emulator.credentials_dir / "gpg_passphrase.asc");
        passphrase = passphrase.substr(0, passphrase.find('\n'));
        return {credentials["installed"]["client_secret"].get<std::string>(),
                nlohmann::json::parse(
                    slurp(emulator.credentials_dir / "credentials.json"))["refresh_token"]
                    .get<std::string>(),
                passphrase, "ya29.emu-"};
    }

    // Files the run wrote: everything under the work directory except the credential store
    // itself and the emulator's own data (which holds the passphrase by design).
    std::vector<fs::path> run_files() {
        std::vector<fs::path> files;
        for (const auto& entry : fs::recursive_directory_iterator(work.path())) {
            auto path = entry.path();
            auto relative = fs::relative(path, work.path()).string();
            if (relative.starts_with("credentials") || relative.starts_with("emulator-data"))
                continue;
            if (entry.is_regular_file())
                files.push_back(path);
        }
        return files;
    }

    static void expect_no_secret(const std::string& where,
                                 const std::string& text,
                                 const std::vector<std::string>& secrets) {
        for (const auto& secret : secrets) {
            auto at = text.find(secret);
            EXPECT_EQ(at, std::string::npos)
                << "'" << secret << "' appears in " << where << ": ..."
                << text.substr(at == std::string::npos ? 0 : (at > 80 ? at - 80 : 0), 200) << "...";
        }
    }
};

TEST_F(redaction_test, no_secret_in_output_logs_or_run_files) {
    start_emulator();
    auto known = secrets();
    ASSERT_EQ(known.size(), 4u);
    for (const auto& secret : known)
        ASSERT_GE(secret.size(), 8u) << secret;

    // One converted book encrypted with another passphrase: its failure is logged.
    emulator::catalogue catalogue(shape.catalogue());
    std::string wrong_key_book;
    for (std::uint64_t i = 0; i < shape.books && wrong_key_book.empty(); ++i)
        if (catalogue.at(i).converted && !catalogue.at(i).failed)
            wrong_key_book = catalogue.at(i).barcode;
    ASSERT_FALSE(wrong_key_book.empty());
    ASSERT_EQ(control("defect", "barcode=" + wrong_key_book + "&kind=wrong_passphrase")["defect"],
              "wrong_passphrase");

    auto collected =
        logged({"collect", "--run-name", run_name, "--output-root", output_root().string(),
                "--library-directory", shape.library, "--grin-base-url",
                emulator.url + "/libraries/", "--ca-file", emulator.ca_file, "--storage", "local",
                "--storage-path", storage_root().string()});
    ASSERT_EQ(collected.exit_code, 0) << transcript;

    // Every token issued so far is now expired: the next request gets a 401 and refreshes.
    ASSERT_EQ(control("expire_tokens", "")["expired"], true);
    auto synced = logged(run_args({"sync", "pipeline", "--queue", "converted"}));
    EXPECT_NE(synced.exit_code, 2) << transcript; // the wrong-passphrase book fails, the run runs
    EXPECT_NE(synced.output.find(wrong_key_book), std::string::npos) << synced.output;

    ASSERT_EQ(control("expire_tokens", "")["expired"], true);
    EXPECT_EQ(logged(run_args({"enrich"})).exit_code, 0) << transcript;
    EXPECT_EQ(logged(run_args({"process", "request", "--queue", "unconverted", "--limit", "3"}))
                  .exit_code,
              0)
        << transcript;
    EXPECT_EQ(logged(run_args({"export"})).exit_code, 0) << transcript;
    EXPECT_GT(emulator_stats()["token_grants"].get<std::uint64_t>(), 1u)
        << "the forced refresh did not happen";

    // A sign-in that fails: credentials.json with a refresh token the emulator rejects.
    auto credentials_file = emulator.credentials_dir / "credentials.json";
    auto credentials = nlohmann::json::parse(slurp(credentials_file));
    const std::string bogus_refresh = "1//bogus-refresh-token-of-test";
    const std::string bogus_access = "ya29.bogus-access-token-of-test";
    credentials["refresh_token"] = bogus_refresh;
    credentials["token"] = bogus_access;
    { std::ofstream(credentials_file) << credentials.dump(2); }
    fs::permissions(credentials_file, fs::perms::owner_read | fs::perms::owner_write);
    auto refused = logged(run_args({"process", "monitor", "--count", "1"}));
    EXPECT_NE(refused.exit_code, 0) << refused.output;
    known.push_back(bogus_refresh);
    known.push_back(bogus_access);

    expect_no_secret("the commands' output", transcript, known);
    auto files = run_files();
    ASSERT_GT(files.size(), 5u);
    bool saw_log = false, saw_summary = false, saw_config = false, saw_csv = false;
    std::string logs;
    for (const auto& file : files) {
        auto name = file.filename().string();
        if (file.parent_path().filename() == "logs") {
            saw_log = true;
            logs += slurp(file);
        }
        saw_summary |= name == "process_summary.json";
        saw_config |= name == "run_config.json";
        saw_csv |= file.extension() == ".csv";
        expect_no_secret(file.string(), slurp(file), known);
    }
    EXPECT_TRUE(saw_log && saw_summary && saw_config && saw_csv)
        << "log " << saw_log << " summary " << saw_summary << " config " << saw_config << " csv "
        << saw_csv;
    // The log holds debug lines and the failures: the search above looked at real lines.
    EXPECT_NE(logs.find("DEBUG"), std::string::npos);
    EXPECT_NE(logs.find(wrong_key_book), std::string::npos);
}

} // namespace
} // namespace grin::test
