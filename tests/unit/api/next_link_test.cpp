#include <grin/api/next_link.hpp>
#include <grin/core/error.hpp>

#include <gtest/gtest.h>

using namespace grin::api;

namespace {
const std::string page = "https://books.google.com/libraries/Harvard/_all_books?result_count=10";
}

TEST(urls, library_and_endpoint_urls_from_one_base) {
    EXPECT_EQ(library_url(default_base_url, "Harvard"),
              "https://books.google.com/libraries/Harvard/");
    EXPECT_EQ(library_url("https://127.0.0.1:8443/libraries", "X"),
              "https://127.0.0.1:8443/libraries/X/");
    EXPECT_EQ(endpoint_url("http://LOCALHOST:1/g/", "X", "/_process?barcodes=A"),
              "http://localhost:1/g/X/_process?barcodes=A");
    EXPECT_THROW(library_url(default_base_url, "a/b"), grin::error);
    EXPECT_THROW(library_url("ftp://h/", "X"), grin::error);
    EXPECT_THROW(library_url("books.google.com/libraries", "X"), grin::error);
}

TEST(urls, origin) {
    EXPECT_EQ(url_origin("HTTPS://Books.Google.com/libraries/x?y"), "https://books.google.com");
    EXPECT_EQ(url_origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    EXPECT_THROW(url_origin("https://user:pw@host/"), grin::error);
}

TEST(urls, resolve_reference_cases) {
    EXPECT_EQ(resolve_reference(page, "_all_books?result_count=10&first=10"),
              "https://books.google.com/libraries/Harvard/_all_books?result_count=10&first=10");
    EXPECT_EQ(resolve_reference(page, "/libraries/Harvard/_all_books?first=5"),
              "https://books.google.com/libraries/Harvard/_all_books?first=5");
    EXPECT_EQ(resolve_reference(page, "https://books.google.com/x?first=1"),
              "https://books.google.com/x?first=1");
    EXPECT_EQ(resolve_reference(page, "?first=20"),
              "https://books.google.com/libraries/Harvard/_all_books?first=20");
    EXPECT_EQ(resolve_reference(page, "../Other/./_converted?first=1#frag"),
              "https://books.google.com/libraries/Other/_converted?first=1");
    EXPECT_EQ(resolve_reference(page, "//books.google.com/a?first=2"),
              "https://books.google.com/a?first=2");
    EXPECT_EQ(resolve_reference(page, "/../../a"), "https://books.google.com/a");
    EXPECT_THROW(resolve_reference(page, "javascript:alert(1)"), grin::error);
}

TEST(urls, next_url_uses_configured_base_never_google) {
    const std::string base = "https://127.0.0.1:9443/libraries/";
    const std::string emu_page = base + "Harvard/_all_books?result_count=2";
    EXPECT_EQ(resolve_next_url(base, emu_page, "_all_books?result_count=2&first=2"),
              "https://127.0.0.1:9443/libraries/Harvard/_all_books?result_count=2&first=2");
    EXPECT_EQ(resolve_next_url(base, emu_page, "/libraries/Harvard/_all_books?first=2"),
              "https://127.0.0.1:9443/libraries/Harvard/_all_books?first=2");
    // An absolute link to another host would receive our bearer token.
    EXPECT_THROW(resolve_next_url(base, emu_page,
                                  "https://books.google.com/libraries/Harvard/_all_books?first=2"),
                 grin::error);
    EXPECT_THROW(resolve_next_url(base, emu_page, "//evil.example/_all_books?first=2"),
                 grin::error);
}

TEST(urls, next_link_predicate) {
    EXPECT_TRUE(is_next_link("_all_books?first=10", "Next >"));
    EXPECT_TRUE(is_next_link("x?ctoken=abc", "NEXT"));
    EXPECT_TRUE(is_next_link("x?first=10", ">>"));
    EXPECT_TRUE(is_next_link("x?first=10", "\xC2\xBB"));
    EXPECT_FALSE(is_next_link("x?first=0", "< Previous"));
    EXPECT_FALSE(is_next_link("x?page=2", "Next >"));
    EXPECT_FALSE(is_next_link("x?first=10", "2"));
}

TEST(urls, next_page_url_stop_rules) {
    const std::string base = "https://127.0.0.1:9443/libraries/";
    const std::string url = base + "X/_all_books?result_count=1";
    list_page page;
    page.rows.push_back({"ABC123", {}});
    page.next_href = "_all_books?result_count=1&first=1";
    EXPECT_EQ(next_page_url(base, url, page), base + "X/_all_books?result_count=1&first=1");
    auto bad_rows_only = page;
    bad_rows_only.rows.clear();
    bad_rows_only.invalid_barcodes = {"../x"};
    EXPECT_TRUE(next_page_url(base, url, bad_rows_only)); // a bad row is not the end
    auto empty = page;
    empty.rows.clear();
    EXPECT_FALSE(next_page_url(base, url, empty));
    auto unavailable = page;
    unavailable.unavailable = true;
    EXPECT_FALSE(next_page_url(base, url, unavailable));
    auto last = page;
    last.next_href.reset();
    EXPECT_FALSE(next_page_url(base, url, last));
}
