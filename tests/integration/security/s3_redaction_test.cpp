// The S3 secret key never reaches the output, the logs or any run file: collect and sync
// pipeline to moto at --log-level debug (every S3 request is logged at debug).
#include <filesystem>

#include "../sync_s3/sync_s3_fixture.hpp"

namespace grin::test {
namespace {

class s3_redaction_test : public sync_s3_fixture {};

TEST_F(s3_redaction_test, secret_key_is_never_written) {
    GRIN_START_S3_SERVER_OR_SKIP(server, test::start_moto(work / "moto", false));
    shape.books = 10;
    start_emulator();
    use_server();
    const std::string secret = server->secret_key;
    ASSERT_GE(secret.size(), 8u);

    std::vector<std::string> args = {
        "collect",       "--run-name",           run_name,
        "--output-root", output_root().string(), "--library-directory",
        shape.library,   "--grin-base-url",      emulator.url + "/libraries/",
        "--ca-file",     emulator.ca_file,       "--log-level",
        "debug"};
    args.insert(args.end(), storage_args.begin(), storage_args.end());
    auto collected = grin(args);
    ASSERT_EQ(collected.exit_code, 0) << collected.output;
    auto synced = sync({"--queue", "converted", "--log-level", "debug"});
    ASSERT_EQ(synced.exit_code, 0) << synced.output;

    EXPECT_EQ(collected.output.find(secret), std::string::npos) << collected.output;
    EXPECT_EQ(synced.output.find(secret), std::string::npos) << synced.output;
    std::size_t searched = 0;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(output_root())) {
        if (!entry.is_regular_file())
            continue;
        ++searched;
        auto text = slurp(entry.path());
        EXPECT_EQ(text.find(secret), std::string::npos) << entry.path();
        EXPECT_EQ(text.find("ya29.emu-"), std::string::npos) << entry.path();
    }
    EXPECT_GT(searched, 3u);
}

} // namespace
} // namespace grin::test
