// The key round trip: every page the emulator renders, parsed by OUR api parsers, gives
// back exactly the catalogue's values.
#include <grin/api/barcode_search_batches.hpp>
#include <grin/api/book_row.hpp>
#include <grin/api/html_list_parser.hpp>
#include <grin/api/next_link.hpp>
#include <grin/api/process_response.hpp>
#include <grin/api/text_list.hpp>
#include <grin/api/tsv.hpp>
#include <grin/emulator/pages.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "emulator_test_support.hpp"

using namespace grin::emulator;
using namespace grin::emulator::test;
namespace api = grin::api;

namespace {

const std::string base = "https://127.0.0.1:9443/libraries/";

std::optional<std::string> non_empty(const std::string& s) {
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

std::optional<std::string> html_date(const std::optional<grin_time>& t, bool with_time = false) {
    if (!t) {
        return std::nullopt;
    }
    return api::convert_grin_date(with_time ? t->full() : t->date_only());
}

// What collect must store for this book when it comes from _all_books.
api::book_row expected_all_books_row(const book& b, bool with_time = false) {
    api::book_row e;
    e.barcode = b.barcode;
    e.title = non_empty(b.title);
    e.grin_state = b.state;
    e.scanned_date = html_date(b.scanned, with_time);
    e.analyzed_date = html_date(b.analyzed, with_time);
    e.converted_date = html_date(b.converted_at, with_time);
    e.downloaded_date = html_date(b.downloaded, with_time);
    e.processed_date = html_date(b.processed, with_time);
    e.ocr_date = html_date(b.ocr, with_time);
    e.google_books_link = non_empty(b.google_books_link());
    return e;
}

// Follows Next links from the first page like the client will; returns every page.
std::vector<api::list_page> walk(harness& h, const std::string& list, std::int64_t page_size) {
    std::vector<api::list_page> pages;
    std::string url =
        api::endpoint_url(base, "Harvard", list + "?result_count=" + std::to_string(page_size));
    for (int guard = 0; guard < 1000; ++guard) {
        auto target = url.substr(std::string("https://127.0.0.1:9443").size());
        auto r = h.get(target);
        EXPECT_EQ(r.status, 200) << target;
        EXPECT_EQ(*r.header("Content-Length"), std::to_string(r.body.size()));
        pages.push_back(api::parse_list_page(r.body));
        const auto& page = pages.back();
        if (page.unavailable || page.rows.empty() || !page.next_href) {
            break;
        }
        // Relative hrefs, as 1.2 requires of the emulator.
        EXPECT_NE(page.next_href->front(), '/');
        url = api::resolve_next_url(base, url, *page.next_href);
    }
    return pages;
}

} // namespace

TEST(pages, paginate_rules) {
    page_options o;
    auto w = paginate(25, 10, 0, o);
    EXPECT_EQ(w.begin, 0u);
    EXPECT_EQ(w.end, 10u);
    EXPECT_EQ(w.next_first, 10u);
    w = paginate(25, 10, 20, o);
    EXPECT_EQ(w.end, 25u);
    EXPECT_FALSE(w.next_first);
    w = paginate(20, 10, 10, o); // exactly full last page: no Next by default
    EXPECT_EQ(w.end, 20u);
    EXPECT_FALSE(w.next_first);
    o.next_when_full = true;
    EXPECT_EQ(paginate(20, 10, 10, o).next_first, 20u);
    EXPECT_TRUE(paginate(20, 10, 20, o).past_end);
    EXPECT_TRUE(paginate(20, 10, 99, o).past_end);
    auto all = paginate(20, -1, 0, o);
    EXPECT_EQ(all.end, 20u);
    EXPECT_FALSE(all.next_first);
    auto empty = paginate(0, 10, 0, o);
    EXPECT_FALSE(empty.past_end);
    EXPECT_EQ(empty.end, 0u);
}

TEST(pages, html_escape) {
    EXPECT_EQ(html_escape("Fish & <Chips> \"x\" 'y'"),
              "Fish &amp; &lt;Chips&gt; &quot;x&quot; &#39;y&#39;");
}

TEST(pages, all_books_round_trip_through_api_parsers) {
    harness h(small_params(57));
    auto pages = walk(h, "_all_books", 10);
    ASSERT_EQ(pages.size(), 6u); // 10+10+10+10+10+7, no Next on the last
    std::uint64_t i = 0;
    auto* lib = h.r.library("Harvard");
    for (const auto& page : pages) {
        EXPECT_TRUE(page.has_table);
        EXPECT_TRUE(page.invalid_barcodes.empty());
        EXPECT_EQ(page.rows_without_barcode, 0u);
        for (const auto& row : page.rows) {
            auto expected = expected_all_books_row(lib->at(i));
            EXPECT_EQ(api::to_book_row(row), expected) << "book " << i << " " << row.barcode;
            ++i;
        }
    }
    EXPECT_EQ(i, 57u);
    EXPECT_FALSE(pages.back().next_href);
    // The sample exercised escaping and UTF-8: titles with markup characters and accents.
    int special = 0, non_ascii = 0;
    for (std::uint64_t k = 0; k < 57; ++k) {
        auto title = lib->at(k).title;
        special += title.find_first_of("&<>\"") != std::string::npos;
        non_ascii += std::any_of(title.begin(), title.end(),
                                 [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    }
    EXPECT_GT(special, 0);
    EXPECT_GT(non_ascii, 0);
}

TEST(pages, all_books_dates_with_time_knob_converts_to_iso) {
    auto p = small_params(12);
    p.pages.dates_with_time = true;
    harness h(p);
    auto pages = walk(h, "_all_books", -1);
    ASSERT_EQ(pages.size(), 1u);
    ASSERT_EQ(pages[0].rows.size(), 12u);
    for (std::uint64_t i = 0; i < 12; ++i) {
        auto b = h.r.library("Harvard")->at(i);
        auto row = api::to_book_row(pages[0].rows[i]);
        EXPECT_EQ(row, expected_all_books_row(b, true));
        if (b.scanned) {
            EXPECT_EQ(row.scanned_date->size(), 19u); // ISO, converted
        }
    }
}

TEST(pages, converted_list_round_trip) {
    harness h(small_params(80));
    auto pages = walk(h, "_converted", 7);
    auto* lib = h.r.library("Harvard");
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 0; i < 80; ++i) {
        if (lib->books().is_converted(i)) {
            expected.push_back(i);
        }
    }
    ASSERT_GT(expected.size(), 10u);
    std::size_t k = 0;
    for (const auto& page : pages) {
        for (const auto& row : page.rows) {
            ASSERT_LT(k, expected.size());
            auto b = lib->at(expected[k]);
            EXPECT_EQ(row.barcode, b.barcode);
            EXPECT_EQ(*row.find("filename"), b.barcode + ".tar.gz.gpg");
            auto parsed = api::to_book_row(row);
            EXPECT_EQ(parsed.title, non_empty(b.title));
            EXPECT_EQ(parsed.converted_date, html_date(b.converted_at));
            EXPECT_EQ(parsed.downloaded_date, html_date(b.downloaded));
            EXPECT_EQ(parsed.google_books_link, non_empty(b.google_books_link()));
            EXPECT_FALSE(parsed.grin_state);
            ++k;
        }
    }
    EXPECT_EQ(k, expected.size());
}

TEST(pages, failed_list_round_trip_in_one_page) {
    harness h(small_params(60));
    auto r = h.get("/libraries/Harvard/_failed?result_count=-1");
    auto page = api::parse_list_page(r.body);
    auto* lib = h.r.library("Harvard");
    std::size_t k = 0;
    for (std::uint64_t i = 0; i < 60; ++i) {
        auto b = lib->at(i);
        if (!b.failed) {
            continue;
        }
        ASSERT_LT(k, page.rows.size());
        const auto& row = page.rows[k++];
        EXPECT_EQ(row.barcode, b.barcode);
        EXPECT_EQ(*row.find("convert_failed_date"), b.convert_failed->date_only());
        EXPECT_EQ(*row.find("convert_failed_info"), b.convert_failed_info);
        EXPECT_EQ(*row.find("detailed_convert_failed_info"), b.detailed_convert_failed_info);
    }
    EXPECT_GT(k, 3u);
    EXPECT_EQ(k, page.rows.size());
    EXPECT_FALSE(page.next_href);
}

TEST(pages, exact_page_size_edge_and_past_the_end) {
    harness h(small_params(20));
    auto second =
        api::parse_list_page(h.get("/libraries/Harvard/_all_books?result_count=10&first=10").body);
    EXPECT_EQ(second.rows.size(), 10u);
    EXPECT_FALSE(second.next_href);
    auto beyond =
        api::parse_list_page(h.get("/libraries/Harvard/_all_books?result_count=10&first=20").body);
    EXPECT_TRUE(beyond.unavailable);
    EXPECT_TRUE(beyond.rows.empty());

    auto p = small_params(20);
    p.pages.next_when_full = true;
    p.pages.empty_table_past_end = true;
    harness g(p);
    auto full = walk(g, "_all_books", 10);
    ASSERT_EQ(full.size(), 3u); // two full pages, then an empty table ends the walk
    EXPECT_TRUE(full[1].next_href);
    EXPECT_TRUE(full[2].has_table);
    EXPECT_TRUE(full[2].rows.empty());
    EXPECT_FALSE(full[2].unavailable);
}

TEST(pages, text_formats_parse_back) {
    harness h(small_params(30));
    auto* lib = h.r.library("Harvard");
    auto all = api::parse_text_list(
        h.get("/libraries/Harvard/_all_books?format=text&result_count=-1").body);
    ASSERT_EQ(all.barcodes.size(), 30u);
    for (std::uint64_t i = 0; i < 30; ++i) {
        EXPECT_EQ(all.barcodes[i], lib->books().barcode_at(i));
    }
    auto probe = h.get("/libraries/Harvard/?format=text&result_count=1");
    EXPECT_EQ(probe.status, 200);
    EXPECT_EQ(api::parse_text_list(probe.body).barcodes,
              std::vector<std::string>{lib->books().barcode_at(0)});
    auto conv = api::parse_text_list(
        h.get("/libraries/Harvard/_converted?format=text&result_count=-1").body);
    EXPECT_EQ(conv.barcodes.size(), lib->count(true));
    auto failed_body = h.get("/libraries/Harvard/_failed?format=text&result_count=-1").body;
    EXPECT_EQ(api::parse_text_list(failed_body).barcodes.size(), lib->count(false));
    EXPECT_NE(failed_body.find('\t'), std::string::npos);
}

TEST(pages, barcode_search_round_trip) {
    harness h(small_params(40));
    auto* lib = h.r.library("Harvard");
    std::vector<std::string> asked{lib->books().barcode_at(5), "UNKNOWN1",
                                   lib->books().barcode_at(2), lib->books().barcode_at(39)};
    auto r = h.get(
        "/libraries/Harvard/_barcode_search?execute_query=true&format=text&mode=full&barcodes=" +
        asked[0] + "+" + asked[1] + "%20" + asked[2] + "," + asked[3]);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.body.find('\r'), std::string::npos);
    auto table = api::parse_barcode_search(r.body);
    ASSERT_EQ(table.header.size(), api::barcode_search_columns.size());
    ASSERT_EQ(table.rows.size(), 3u); // unknown barcode: no row
    std::vector<std::uint64_t> indices{5, 2, 39};
    for (std::size_t k = 0; k < 3; ++k) {
        auto b = lib->at(indices[k]);
        auto values = barcode_search_values(b);
        EXPECT_EQ(table.rows[k].barcode, b.barcode);
        for (std::size_t c = 1; c < api::barcode_search_columns.size(); ++c) {
            EXPECT_EQ(table.rows[k].field(std::string(api::barcode_search_columns[c])), values[c])
                << api::barcode_search_columns[c];
        }
        EXPECT_EQ(table.rows[k].field("State"), b.state);
        EXPECT_EQ(table.rows[k].field("Scanned Date"), b.scanned ? b.scanned->full() : "");
    }
    // A batching bug (target too long) is caught by a 414.
    std::string longer = "/libraries/Harvard/_barcode_search?barcodes=";
    while (longer.size() <= 8192) {
        longer += "ABCDEF+";
    }
    EXPECT_EQ(h.get(longer).status, 414);
    auto none =
        api::parse_barcode_search(h.get("/libraries/Harvard/_barcode_search?barcodes=NOPE12").body);
    EXPECT_TRUE(none.rows.empty());
    EXPECT_EQ(none.header.size(), 25u);
}

TEST(pages, process_in_process_and_conversion_round_trip) {
    auto p = small_params(60);
    p.libraries[0].queue_cap = 3;
    harness h(p);
    auto* lib = h.r.library("Harvard");
    std::vector<std::string> requestable, converted, unavailable;
    for (std::uint64_t i = 0; i < 60; ++i) {
        auto b = lib->at(i);
        if (b.converted) {
            converted.push_back(b.barcode);
        } else if (b.state == state_not_available) {
            unavailable.push_back(b.barcode);
        } else if (b.state == state_new || b.state == state_available) {
            requestable.push_back(b.barcode);
        }
    }
    ASSERT_GE(requestable.size(), 4u);
    ASSERT_FALSE(converted.empty());
    ASSERT_FALSE(unavailable.empty());

    auto one = h.get("/libraries/Harvard/_process?barcodes=" + requestable[0]);
    EXPECT_EQ(api::parse_single_process_response(one.body, requestable[0]).outcome,
              api::process_outcome::requested);
    auto again = h.get("/libraries/Harvard/_process?barcodes=" + requestable[0]);
    auto entry = api::parse_single_process_response(again.body, requestable[0]);
    EXPECT_EQ(entry.status, "Already being converted");
    EXPECT_EQ(entry.outcome, api::process_outcome::in_process);
    auto done = api::parse_single_process_response(
        h.get("/libraries/Harvard/_process?barcodes=" + converted[0]).body, converted[0]);
    EXPECT_EQ(done.outcome, api::process_outcome::already_available);
    auto no = api::parse_single_process_response(
        h.get("/libraries/Harvard/_process?barcodes=" + unavailable[0]).body, unavailable[0]);
    EXPECT_EQ(no.status, "Not allowed to be downloaded");

    // POST body, newline separated; two more fill the queue to its cap of 3.
    auto batch = h.send("POST", "/libraries/Harvard/_process",
                        requestable[1] + "\n" + requestable[2] + "\n");
    auto entries = api::parse_process_response(batch.body);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[1].barcode, requestable[2]);
    EXPECT_EQ(h.get("/libraries/Harvard/_process?barcodes=" + requestable[3]).status, 429);

    auto queue = api::parse_text_list(h.get("/libraries/Harvard/_in_process?format=text").body);
    EXPECT_EQ(queue.barcodes,
              (std::vector<std::string>{requestable[0], requestable[1], requestable[2]}));
    auto raw = h.get("/libraries/Harvard/_in_process?format=text").body;
    EXPECT_NE(raw.find(requestable[0] + ".tar.gz.gpg\n"), std::string::npos);
    EXPECT_NE(raw.find("\n" + requestable[2] + "\n"), std::string::npos); // every 3rd is bare

    auto before = lib->count(true);
    EXPECT_EQ(h.send("POST", "/_emulator/advance").status, 200);
    EXPECT_EQ(lib->count(true), before + 3);
    EXPECT_TRUE(api::parse_text_list(h.get("/libraries/Harvard/_in_process?format=text").body)
                    .barcodes.empty());
    auto conv = api::parse_text_list(
        h.get("/libraries/Harvard/_converted?format=text&result_count=-1").body);
    std::set<std::string> listed(conv.barcodes.begin(), conv.barcodes.end());
    EXPECT_TRUE(listed.count(requestable[1]));
    EXPECT_EQ(lib->find(requestable[1])->state, state_converted);
}

TEST(pages, conversion_completes_after_virtual_delay) {
    auto p = small_params(40);
    p.libraries[0].conversion_delay = std::chrono::hours(24);
    p.libraries[0].legacy_in_process_wording = true;
    harness h(p);
    auto* lib = h.r.library("Harvard");
    std::string target;
    for (std::uint64_t i = 0; i < 40 && target.empty(); ++i) {
        auto b = lib->at(i);
        if (b.state == state_new || b.state == state_available) {
            target = b.barcode;
        }
    }
    ASSERT_FALSE(target.empty());
    h.get("/libraries/Harvard/_process?barcodes=" + target);
    EXPECT_EQ(api::parse_single_process_response(
                  h.get("/libraries/Harvard/_process?barcodes=" + target).body, target)
                  .status,
              "Already in process");
    h.clock.advance(std::chrono::hours(23));
    EXPECT_FALSE(lib->find(target)->converted);
    h.clock.advance(std::chrono::hours(2));
    EXPECT_TRUE(lib->find(target)->converted);
    EXPECT_EQ(lib->find(target)->converted_at->full(), "2026/01/16 12:00");
}

TEST(pages, enrichment_batches_fit_the_emulator_and_cover_every_book) {
    harness h(small_params(3000));
    auto* lib = h.r.library("Harvard");
    std::vector<std::string> barcodes;
    for (std::uint64_t i = 0; i < lib->size(); ++i) {
        barcodes.push_back(lib->books().barcode_at(i));
    }
    auto urls = api::barcode_search_urls(base, "Harvard", barcodes);
    ASSERT_GT(urls.size(), 1u);
    std::size_t k = 0;
    for (const auto& url : urls) {
        auto r = h.get(url.substr(std::string("https://127.0.0.1:9443").size()));
        ASSERT_EQ(r.status, 200);
        for (const auto& row : api::parse_barcode_search(r.body).rows) {
            ASSERT_LT(k, barcodes.size());
            EXPECT_EQ(row.barcode, barcodes[k++]);
        }
    }
    EXPECT_EQ(k, barcodes.size());
}

TEST(pages, million_book_library_starts_and_pages_quickly) {
    auto start = std::chrono::steady_clock::now();
    harness h(small_params(1'000'000));
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    auto page = api::parse_list_page(
        h.get("/libraries/Harvard/_all_books?result_count=10000&first=990000").body);
    ASSERT_EQ(page.rows.size(), 10000u);
    EXPECT_EQ(page.rows.back().barcode, h.r.library("Harvard")->books().barcode_at(999'999));
    EXPECT_FALSE(page.next_href);
    auto converted =
        api::parse_list_page(h.get("/libraries/Harvard/_converted?result_count=1000").body);
    EXPECT_EQ(converted.rows.size(), 1000u);
    EXPECT_TRUE(converted.next_href);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST(pages, all_books_state_and_scan_date_filters) {
    harness h(small_params(200));
    auto* lib = h.r.library("Harvard");
    std::vector<std::string> expected;
    for (std::uint64_t i = 0; i < 200; ++i) {
        auto b = lib->at(i);
        if (b.state == state_new || b.state == state_previously_downloaded) {
            expected.push_back(b.barcode);
        }
    }
    ASSERT_FALSE(expected.empty());
    auto text = api::parse_text_list(h.get("/libraries/Harvard/"
                                           "_all_books?book_state=NEW&book_state=PREVIOUSLY_"
                                           "DOWNLOADED&format=text&result_count=-1")
                                         .body);
    EXPECT_EQ(text.barcodes, expected);

    // Paged HTML keeps the filter in its Next links.
    std::vector<std::string> paged;
    std::string url = api::endpoint_url(
        base, "Harvard",
        "_all_books?result_count=7&book_state=NEW&book_state=PREVIOUSLY_DOWNLOADED");
    while (true) {
        auto page = api::parse_list_page(
            h.get(url.substr(std::string("https://127.0.0.1:9443").size())).body);
        for (const auto& row : page.rows) {
            paged.push_back(row.barcode);
        }
        auto next = api::next_page_url(base, url, page);
        if (!next) {
            break;
        }
        url = *next;
    }
    EXPECT_EQ(paged, expected);

    std::vector<std::string> in_2014;
    for (std::uint64_t i = 0; i < 200; ++i) {
        auto b = lib->at(i);
        if (b.scanned && b.scanned->year == 2014) {
            in_2014.push_back(b.barcode);
        }
    }
    auto dated = api::parse_text_list(
        h.get("/libraries/Harvard/_all_books?execute_query=true&format=text&result_count=-1"
              "&last_scan_date_start=2014-01-01&last_scan_date_end=2014-12-31")
            .body);
    EXPECT_EQ(dated.barcodes, in_2014);
}
