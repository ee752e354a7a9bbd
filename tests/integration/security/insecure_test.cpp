// --insecure is never silent: every command that takes it says so on stderr and in the run's
// log, whatever the log level, and records it in process_summary.json.
#include "sync_fixture.hpp"

namespace grin::test {
namespace {

constexpr const char* warning_text = "TLS CERTIFICATE VERIFICATION IS OFF";

class insecure_test : public sync_fixture {
public:
    void SetUp() override { shape.books = 12; }

    nlohmann::json summary() {
        return nlohmann::json::parse(slurp(run_dir() / "process_summary.json"), nullptr, false);
    }

    std::string logs() {
        std::string text;
        for (const auto& entry : std::filesystem::directory_iterator(run_dir() / "logs"))
            text += slurp(entry.path());
        return text;
    }
};

TEST_F(insecure_test, warns_on_stderr_and_in_the_log_and_records_it) {
    start_emulator();
    // No --ca-file: only --insecure lets this collect talk to the emulator.
    auto collected =
        grin({"collect", "--run-name", run_name, "--output-root", output_root().string(),
              "--library-directory", shape.library, "--grin-base-url", emulator.url + "/libraries/",
              "--storage", "local", "--storage-path", storage_root().string(), "--insecure",
              "--log-level", "error"});
    ASSERT_EQ(collected.exit_code, 0) << collected.output;
    EXPECT_NE(collected.output.find(warning_text), std::string::npos) << collected.output;
    EXPECT_EQ(summary()["stages"]["collect"]["last_run"]["details"]["insecure"], true);

    auto synced = sync({"--queue", "converted", "--insecure", "--log-level", "off"});
    ASSERT_EQ(synced.exit_code, 0) << synced.output;
    EXPECT_NE(synced.output.find(warning_text), std::string::npos) << synced.output;
    EXPECT_EQ(summary()["stages"]["sync"]["last_run"]["details"]["insecure"], true);

    // Both commands' warnings are in the run's log, even at --log-level error and off.
    auto text = logs();
    auto first = text.find(warning_text);
    ASSERT_NE(first, std::string::npos) << text;
    EXPECT_NE(text.find(warning_text, first + 1), std::string::npos) << text;
}

// Without the flag: no warning, and the summary says verification was on.
TEST_F(insecure_test, verified_runs_say_nothing) {
    start_emulator();
    collect();
    auto synced = sync({"--queue", "converted"});
    ASSERT_EQ(synced.exit_code, 0) << synced.output;
    EXPECT_EQ(synced.output.find(warning_text), std::string::npos) << synced.output;
    EXPECT_EQ(logs().find(warning_text), std::string::npos);
    EXPECT_EQ(summary()["stages"]["sync"]["last_run"]["details"]["insecure"], false);
}

} // namespace
} // namespace grin::test
