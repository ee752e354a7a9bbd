// api::client against the real grin-emulator binary: every endpoint, over TLS, through
// the shared pool and the token source. Expectations come from the emulator's catalogue.
#include <grin/api/client.hpp>
#include <grin/core/error.hpp>
#include <grin/emulator/catalogue.hpp>

#include <gtest/gtest.h>

#include "child_process.hpp"
#include "io_fixture.hpp"
#include "test_support.hpp"

namespace asio = boost::asio;
using namespace grin;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t books = 40;
constexpr std::uint64_t seed = 11;

emulator::catalogue expected_catalogue() {
    emulator::catalogue_params params;
    params.seed = seed;
    params.library = "Harvard";
    params.book_count = books;
    params.converted_fraction = 0.5;
    params.failed_fraction = 0.1;
    return emulator::catalogue(params);
}

class client_fixture : public ::testing::Test, public test::io_fixture {
public:
    test::temp_dir work;
    test::emulator_instance emulator;
    std::unique_ptr<net::https_pool> pool;
    std::unique_ptr<auth::token_source> tokens;
    std::unique_ptr<api::client> grin;
    emulator::catalogue catalogue = expected_catalogue();

    void start(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"--books",
                                         std::to_string(books),
                                         "--seed",
                                         std::to_string(seed),
                                         "--converted-fraction",
                                         "0.5",
                                         "--failed-fraction",
                                         "0.1",
                                         "--s2k-count",
                                         "65536",
                                         "--archive-size",
                                         "20000"};
        args.insert(args.end(), extra.begin(), extra.end());
        emulator = test::start_emulator(work.path(), args);
        net::pool_params params;
        params.tls.ca_file = emulator.ca_file;
        pool = std::make_unique<net::https_pool>(io.get_executor(), params);
        auto credentials = auth::load_credentials(emulator.credentials_dir / "credentials.json");
        tokens = std::make_unique<auth::token_source>(*pool, credentials, std::filesystem::path{});
        api::client_params client_params;
        client_params.base_url = emulator.url + "/libraries/";
        client_params.library = "Harvard";
        client_params.page_size = 7;
        client_params.list_policy.base_delay = 10ms;
        grin = std::make_unique<api::client>(*pool, *tokens, client_params);
    }

    // A book GRIN would queue for conversion: not converted, and in a state that allows it.
    std::string requestable_barcode() {
        for (std::uint64_t i = 0; i < books; ++i) {
            auto book = catalogue.at(i);
            if (!book.converted && book.state != emulator::state_in_process &&
                book.state != emulator::state_not_available &&
                book.state != emulator::state_checked_in)
                return book.barcode;
        }
        return {};
    }

    std::string converted_barcode(bool converted) {
        for (std::uint64_t i = 0; i < books; ++i)
            if (catalogue.is_converted(i) == converted && !catalogue.is_failed(i))
                return catalogue.barcode_at(i);
        return {};
    }
};

asio::awaitable<std::vector<std::string>> list_all(api::client& grin, std::string list) {
    std::vector<std::string> barcodes;
    std::vector<std::string>* out = &barcodes;
    api::client::page_handler handler = [out](const api::list_page& page) -> asio::awaitable<bool> {
        for (const auto& row : page.rows)
            out->push_back(row.barcode);
        co_return true;
    };
    co_await grin.for_each_page(list, handler);
    co_return barcodes;
}

struct fetched_archive {
    std::optional<api::archive_info> head;
    api::archive_info got;
    std::uint64_t bytes = 0;
};

asio::awaitable<void> count_bytes(std::uint64_t* total, std::string_view chunk) {
    *total += chunk.size();
    co_return;
}

asio::awaitable<fetched_archive> head_and_get(api::client& grin, std::string barcode) {
    fetched_archive result;
    result.head = co_await grin.head_archive(barcode);
    std::uint64_t* total = &result.bytes;
    net::body_sink sink = [total](std::string_view chunk) { return count_bytes(total, chunk); };
    result.got = co_await grin.download_archive(barcode, sink);
    co_return result;
}

asio::awaitable<std::optional<api::archive_info>> head_only(api::client& grin, std::string b) {
    co_return co_await grin.head_archive(b);
}

asio::awaitable<std::vector<std::optional<api::process_entry>>>
request_twice_then_queue(api::client& grin, std::string barcode, std::vector<std::string>* queue) {
    std::vector<std::optional<api::process_entry>> answers;
    answers.push_back(co_await grin.request_conversion(barcode));
    answers.push_back(co_await grin.request_conversion(barcode));
    *queue = co_await grin.in_process();
    co_return answers;
}

asio::awaitable<std::vector<api::enrichment_row>> enrich(api::client& grin,
                                                         std::vector<std::string> barcodes) {
    co_return co_await grin.barcode_search(barcodes);
}

asio::awaitable<void> probe(api::client& grin) {
    co_await grin.probe();
}

} // namespace

TEST_F(client_fixture, lists_every_book_across_pages_in_catalogue_order) {
    start();
    run(probe(*grin));
    auto all = run(list_all(*grin, "_all_books"));
    ASSERT_EQ(all.size(), books);
    for (std::uint64_t i = 0; i < books; ++i)
        EXPECT_EQ(all[i], catalogue.barcode_at(i));
    auto converted = run(list_all(*grin, "_converted"));
    std::size_t expected_converted = 0;
    for (std::uint64_t i = 0; i < books; ++i)
        expected_converted += catalogue.is_converted(i);
    EXPECT_EQ(converted.size(), expected_converted);
    // One connection served everything: the pool reused it across pages.
    EXPECT_EQ(pool->stats().connections_opened, 1u);
}

TEST_F(client_fixture, full_last_page_then_unavailable_page_ends_the_listing) {
    start({"--next-when-full"});
    // 40 books, 8 per page: the fifth page is full and links to a sixth, which says
    // "Your request is unavailable".
    api::client_params params = grin->params();
    params.page_size = 8;
    api::client eight(*pool, *tokens, params);
    auto all = run(list_all(eight, "_all_books"));
    EXPECT_EQ(all.size(), books);
}

TEST_F(client_fixture, head_and_download_agree_on_etag_and_size) {
    start();
    auto converted = converted_barcode(true);
    ASSERT_FALSE(converted.empty());
    auto archive = run(head_and_get(*grin, converted));
    ASSERT_TRUE(archive.head);
    EXPECT_EQ(archive.head->etag.size(), 32u);
    EXPECT_EQ(archive.got.etag, archive.head->etag);
    ASSERT_TRUE(archive.head->size);
    EXPECT_EQ(archive.bytes, *archive.head->size);
    EXPECT_GT(archive.bytes, 1000u);
}

TEST_F(client_fixture, unconverted_book_heads_404_as_nullopt) {
    start();
    auto unconverted = converted_barcode(false);
    ASSERT_FALSE(unconverted.empty());
    EXPECT_FALSE(run(head_only(*grin, unconverted)));
}

TEST_F(client_fixture, conversion_requests_are_classified_and_queued) {
    start();
    auto unconverted = requestable_barcode();
    ASSERT_FALSE(unconverted.empty());
    std::vector<std::string> queue;
    auto answers = run(request_twice_then_queue(*grin, unconverted, &queue));
    ASSERT_TRUE(answers[0]);
    EXPECT_EQ(answers[0]->outcome, api::process_outcome::requested);
    ASSERT_TRUE(answers[1]);
    EXPECT_EQ(answers[1]->outcome, api::process_outcome::in_process);
    EXPECT_NE(std::find(queue.begin(), queue.end(), unconverted), queue.end());
}

TEST_F(client_fixture, full_conversion_queue_is_reported_not_thrown) {
    start({"--queue-cap", "0"});
    auto unconverted = requestable_barcode();
    std::vector<std::string> queue;
    auto answers = run(request_twice_then_queue(*grin, unconverted, &queue));
    EXPECT_FALSE(answers[0]);
    EXPECT_TRUE(queue.empty());
}

TEST_F(client_fixture, barcode_search_returns_a_row_per_known_book) {
    start();
    std::vector<std::string> wanted = {catalogue.barcode_at(0), catalogue.barcode_at(5),
                                       catalogue.barcode_at(39)};
    auto rows = run(enrich(*grin, wanted));
    ASSERT_EQ(rows.size(), 3u);
    for (std::size_t i = 0; i < rows.size(); ++i)
        EXPECT_EQ(rows[i].barcode, wanted[i]);
}

TEST_F(client_fixture, archives_behind_redirects_are_followed) {
    start({"--fault-redirect", "1"});
    auto converted = converted_barcode(true);
    auto archive = run(head_and_get(*grin, converted));
    ASSERT_TRUE(archive.head);
    EXPECT_EQ(archive.bytes, *archive.head->size);
}

TEST_F(client_fixture, archive_without_etag_is_an_error_naming_the_book) {
    start({"--fault-no-etag", "1"});
    auto converted = converted_barcode(true);
    try {
        run(head_and_get(*grin, converted));
        FAIL() << "expected an error for a missing ETag";
    } catch (const grin::error& failure) {
        EXPECT_EQ(failure.context().barcode, converted);
        EXPECT_NE(std::string(failure.what()).find("ETag"), std::string::npos);
    }
}
