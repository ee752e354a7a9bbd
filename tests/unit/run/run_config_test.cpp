#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/run/run_config.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

using namespace grin;

namespace {

run::run_config sample(const std::string& library = "Harvard") {
    run::run_config config;
    config.run_name = "harvard_2024";
    config.library_directory = library;
    config.output_directory = "output/harvard_2024";
    config.sqlite_db_path = "output/harvard_2024/books.db";
    config.storage.config["base_path"] = "/data/books";
    config.log_file = "logs/grin_pipeline_harvard_2024_20250901_101500.log";
    return config;
}

std::string fatal_text(auto action) {
    try {
        action();
    } catch (const grin::fatal& failure) {
        return failure.what();
    }
    return "no error";
}

} // namespace

TEST(run_config, first_open_writes_the_file_in_grin_transfer_shape) {
    test::temp_dir dir;
    auto file = dir / "run_config.json";
    run::open_run_config(file, sample(), {"library_directory"});
    auto document = nlohmann::json::parse(read_file(file));
    EXPECT_EQ(document["library_directory"], "Harvard");
    EXPECT_EQ(document["storage_config"]["protocol"], "file");
    EXPECT_EQ(document["storage_config"]["config"]["base_path"], "/data/books");
    EXPECT_EQ(document["sync_config"]["task_download_concurrency"], 16);
    EXPECT_TRUE(document["sync_config"]["staging_dir"].is_null());
}

TEST(run_config, storage_keys_given_in_memory_are_never_written) {
    auto config = sample();
    config.storage.type = "s3";
    config.storage.config["access_key"] = "AKIDINMEMORY0001";
    config.storage.config["secret_key"] = "in-memory-secret/xxxxxxxxxxxxxxxx";
    config.storage.config["session_token"] = "in-memory-token/yyyyyyyyyyyyyyyy";
    auto text = run::to_json_text(config);
    EXPECT_EQ(text.find("AKIDINMEMORY0001"), std::string::npos) << text;
    EXPECT_EQ(text.find("in-memory-secret"), std::string::npos) << text;
    EXPECT_EQ(text.find("in-memory-token"), std::string::npos) << text;
    EXPECT_NE(text.find("/data/books"), std::string::npos) << text;
}

TEST(run_config, same_settings_proceed_and_the_file_is_not_rewritten) {
    test::temp_dir dir;
    auto file = dir / "run_config.json";
    run::open_run_config(file, sample(), {"library_directory"});
    auto before = std::filesystem::last_write_time(file);
    auto text_before = read_file(file);
    auto again = sample();
    again.log_file = "logs/a-new-log-file.log"; // differs each run; not a setting
    auto opened =
        run::open_run_config(file, again, {"library_directory", "storage_config.config.base_path"});
    EXPECT_EQ(opened.log_file, sample().log_file);
    EXPECT_EQ(read_file(file), text_before);
    EXPECT_EQ(std::filesystem::last_write_time(file), before);
}

TEST(run_config, different_settings_stop_with_every_differing_key) {
    test::temp_dir dir;
    auto file = dir / "run_config.json";
    run::open_run_config(file, sample(), {});
    auto changed = sample("Yale");
    changed.storage.config["base_path"] = "/elsewhere";
    auto text_before = read_file(file);
    auto message = fatal_text([&] {
        run::open_run_config(file, changed,
                             {"library_directory", "storage_config.config.base_path"});
    });
    EXPECT_NE(message.find("library_directory: stored \"Harvard\", given \"Yale\""),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("storage_config.config.base_path"), std::string::npos);
    EXPECT_NE(message.find("--run-name"), std::string::npos);
    EXPECT_EQ(read_file(file), text_before);
}

TEST(run_config, settings_not_given_on_the_command_line_are_not_compared) {
    test::temp_dir dir;
    auto file = dir / "run_config.json";
    run::open_run_config(file, sample(), {});
    auto opened = run::open_run_config(file, sample("Yale"), {});
    EXPECT_EQ(opened.library_directory, "Harvard");
}

TEST(run_config, reads_an_older_config_with_missing_keys) {
    test::temp_dir dir;
    auto file = dir / "run_config.json";
    write_file_atomically(file, R"({"run_name": "old", "library_directory": "Lib",
        "storage_config": {"type": "r2", "config": {"bucket_raw": "raw"}},
        "sync_config": {"task_download_concurrency": 8}})");
    auto config = run::load_run_config(file);
    EXPECT_EQ(config.storage.type, "r2");
    EXPECT_EQ(config.storage.config.at("bucket_raw"), "raw");
    EXPECT_EQ(config.sync.task_download_concurrency, 8);
    EXPECT_EQ(config.sync.task_upload_concurrency, 20);
    EXPECT_EQ(config.grin_base_url, "https://books.google.com/libraries/");
}

TEST(run_config, corrupt_or_missing_files_are_fatal_with_advice) {
    test::temp_dir dir;
    EXPECT_NE(fatal_text([&] { run::load_run_config(dir / "none.json"); }).find("grin collect"),
              std::string::npos);
    write_file_atomically(dir / "bad.json", "{");
    EXPECT_NE(fatal_text([&] { run::load_run_config(dir / "bad.json"); }).find("not valid JSON"),
              std::string::npos);
}

TEST(run_config, run_names_are_sanitized) {
    EXPECT_EQ(run::sanitize_run_name("harvard 2024/../x"), "harvard2024x");
    EXPECT_THROW(run::sanitize_run_name("../"), grin::fatal);
}
