#include <grin/core/error.hpp>

#include <gtest/gtest.h>

TEST(error, what_carries_every_context_field) {
    grin::error failure(
        "download failed",
        {.step = "read", .url = "https://h/x", .barcode = "B1", .http_status = 503});
    EXPECT_EQ(std::string(failure.what()),
              "download failed (step=read, url=https://h/x, status=503, barcode=B1)");
    EXPECT_EQ(failure.message(), "download failed");
    EXPECT_EQ(*failure.context().http_status, 503);
}

TEST(error, without_context_is_the_bare_message) {
    EXPECT_EQ(std::string(grin::error("plain").what()), "plain");
}

TEST(fatal, keeps_exit_code) {
    grin::fatal stop("bad flag", 3);
    EXPECT_EQ(stop.exit_code(), 3);
    EXPECT_STREQ(stop.what(), "bad flag");
}
