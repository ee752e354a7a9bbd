#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

struct captured_log {
    std::vector<std::string> lines;
    grin::log::sink previous;
    captured_log() {
        previous = grin::log::set_sink(
            [this](grin::log::level, std::string_view line) { lines.emplace_back(line); });
    }
    ~captured_log() { grin::log::set_sink(previous); }
};

} // namespace

TEST(log, registered_secret_never_reaches_the_sink) {
    captured_log log;
    grin::log::add_secret("ya29.SECRET-ACCESS-TOKEN");
    grin::log::warning("request failed with Authorization: Bearer ya29.SECRET-ACCESS-TOKEN");
    ASSERT_EQ(log.lines.size(), 1u);
    EXPECT_EQ(log.lines[0].find("SECRET"), std::string::npos);
    EXPECT_NE(log.lines[0].find("[REDACTED]"), std::string::npos);
}

TEST(log, secret_query_values_are_masked) {
    auto line = grin::log::redact("GET https://x/token?code=4/abc&client_secret=xyz&state=1");
    EXPECT_EQ(line, "GET https://x/token?code=[REDACTED]&client_secret=[REDACTED]&state=1");
}

TEST(log, short_secrets_are_not_registered) {
    grin::log::add_secret("ab");
    EXPECT_EQ(grin::log::redact("table about"), "table about");
}

TEST(log, level_filters_lines) {
    captured_log log;
    auto before = grin::log::current_level();
    grin::log::set_level(grin::log::level::warning);
    grin::log::info("hidden");
    grin::log::error("shown");
    grin::log::set_level(before);
    ASSERT_EQ(log.lines.size(), 1u);
    EXPECT_EQ(log.lines[0], "shown");
}

TEST(log, parse_level_rejects_unknown_names) {
    EXPECT_EQ(grin::log::parse_level("WARN"), grin::log::level::warning);
    EXPECT_THROW(grin::log::parse_level("loud"), grin::fatal);
}

TEST(log, file_gets_redacted_lines_at_the_current_level) {
    grin::test::temp_dir dir;
    auto path = (dir / "logs" / "run.log").string();
    captured_log quiet; // keep stderr clean
    grin::log::add_secret("1//file-secret-token");
    grin::log::set_file(path);
    grin::log::info("started with 1//file-secret-token");
    grin::log::debug("not at the current level");
    grin::log::set_file("");
    auto text = grin::read_file(path);
    EXPECT_NE(text.find("INFO started with [REDACTED]"), std::string::npos) << text;
    EXPECT_EQ(text.find("file-secret"), std::string::npos);
    EXPECT_EQ(text.find("not at the current level"), std::string::npos);
}
