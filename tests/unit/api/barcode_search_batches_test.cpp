#include <grin/api/barcode_search_batches.hpp>
#include <grin/api/next_link.hpp>
#include <grin/core/error.hpp>

#include <gtest/gtest.h>

#include <cstdio>

using namespace grin::api;

TEST(barcode_search_batches, greedy_packing_under_the_limit_in_order) {
    std::vector<std::string> barcodes;
    for (int i = 0; i < 2500; ++i) {
        char b[16];
        std::snprintf(b, sizeof b, "B%05d", i);
        barcodes.emplace_back(b);
    }
    auto urls = barcode_search_urls(default_base_url, "Harvard", barcodes);
    const std::string prefix = "https://books.google.com/libraries/Harvard/"
                               "_barcode_search?execute_query=true&format=text&mode=full&barcodes=";
    ASSERT_GT(urls.size(), 1u);
    std::vector<std::string> seen;
    for (std::size_t i = 0; i < urls.size(); ++i) {
        const auto& u = urls[i];
        EXPECT_LE(u.size(), 7500u);
        ASSERT_EQ(u.rfind(prefix, 0), 0u);
        std::string rest = u.substr(prefix.size());
        std::size_t pos = 0;
        while (pos <= rest.size()) {
            auto plus = rest.find('+', pos);
            seen.push_back(
                rest.substr(pos, plus == std::string::npos ? std::string::npos : plus - pos));
            if (plus == std::string::npos) {
                break;
            }
            pos = plus + 1;
        }
        if (i + 1 < urls.size()) {
            // Greedy: the next barcode would not have fitted.
            EXPECT_GT(u.size() + 1 + 6, 7500u);
        }
    }
    EXPECT_EQ(seen, barcodes);
    EXPECT_EQ(barcode_search_urls(default_base_url, "Harvard", std::vector<std::string>{}).size(),
              0u);
}

TEST(barcode_search_batches, rejects_bad_input) {
    std::vector<std::string> bad{"ok_123", "not ok"};
    EXPECT_THROW(barcode_search_urls(default_base_url, "Harvard", bad), grin::error);
    std::vector<std::string> one{"ABCDEF"};
    EXPECT_THROW(barcode_search_urls(default_base_url, "Harvard", one, 50), grin::error);
}
