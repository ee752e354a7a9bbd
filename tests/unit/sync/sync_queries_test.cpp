#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>
#include <grin/db/sync_queries.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace grin::db;
using namespace grin::db::queries;

namespace {

struct book_spec {
    std::string barcode;
    std::vector<column_value> columns;
    std::vector<std::pair<std::string, std::string>> statuses;
};

void fill(SQLite::Database& db, const std::vector<book_spec>& books) {
    std::vector<book_upsert> rows;
    for (const auto& b : books)
        rows.push_back({b.barcode, b.columns});
    upsert_books(db, rows, on_existing::keep);
    for (const auto& b : books)
        for (const auto& [type, value] : b.statuses)
            append_status(db, {.barcode = b.barcode, .status_type = type, .status_value = value});
}

class sync_queries : public ::testing::Test {
public:
    grin::test::temp_dir dir;
    std::unique_ptr<database> db =
        std::make_unique<database>(database_params{.path = dir / "books.db"});
    SQLite::Database& connection() {
        if (!raw)
            raw = std::make_unique<SQLite::Database>((dir / "books.db").string(),
                                                     SQLite::OPEN_READWRITE);
        return *raw;
    }
    std::unique_ptr<SQLite::Database> raw;
};

} // namespace

TEST_F(sync_queries, queues_select_the_reference_books) {
    fill(connection(),
         {{"PREV1", {{"grin_state", "PREVIOUSLY_DOWNLOADED"}}, {}},
          {"PREV2",
           {{"grin_state", "PREVIOUSLY_DOWNLOADED"}, {"processing_request_timestamp", "t"}},
           {}},
          {"PREV3", {{"grin_state", "PREVIOUSLY_DOWNLOADED"}}, {{"sync", "completed"}}},
          {"PREV4", {{"grin_state", "PREVIOUSLY_DOWNLOADED"}}, {{"conversion", "unavailable"}}},
          {"NEW01", {}, {}},
          {"NEW02", {{"converted_date", "2024-01-01"}}, {}},
          {"NEW03", {{"grin_state", "CHECKED_IN"}}, {}},
          {"NEW04", {{"grin_check_in_date", "2024-01-01"}}, {}},
          {"NEW05", {{"grin_state", "NEW"}}, {{"conversion", "conversion_failed"}}},
          {"NEW06", {{"grin_state", "NEW"}}, {{"conversion", "requested"}}}});
    EXPECT_EQ(previous_queue(connection()), (std::vector<std::string>{"PREV1"}));
    EXPECT_EQ(unconverted_queue(connection()),
              (std::vector<std::string>{"NEW01", "NEW06", "PREV1"}));
}

TEST_F(sync_queries, sync_state_and_unknown_barcodes) {
    fill(connection(), {{"DONE1", {{"encrypted_etag", "abc"}}, {{"sync", "completed"}}},
                        {"HALF1", {{"encrypted_etag", "def"}}, {{"sync", "downloaded"}}},
                        {"BARE1", {}, {}}});
    auto done = sync_state(connection(), "DONE1");
    EXPECT_TRUE(done.known);
    EXPECT_TRUE(done.completed);
    EXPECT_EQ(done.encrypted_etag, "abc");
    auto half = sync_state(connection(), "HALF1");
    EXPECT_FALSE(half.completed);
    auto bare = sync_state(connection(), "BARE1");
    EXPECT_TRUE(bare.known);
    EXPECT_FALSE(bare.encrypted_etag);
    EXPECT_FALSE(sync_state(connection(), "NOPE1").known);
    std::vector<std::string> asked = {"BARE1", "NOPE1", "DONE1", "NOPE2"};
    EXPECT_EQ(unknown_barcodes(connection(), asked), (std::vector<std::string>{"NOPE1", "NOPE2"}));
}
