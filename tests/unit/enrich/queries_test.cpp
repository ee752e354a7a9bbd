// The enrich statements on a real books.db: keyset selection, COALESCE updates, --reset.
#include <grin/db/database.hpp>
#include <grin/db/queries.hpp>
#include <grin/enrich/queries.hpp>

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include "test_support.hpp"

using namespace grin;

namespace {

class enrich_queries : public ::testing::Test {
public:
    test::temp_dir dir;
    std::unique_ptr<db::database> actor =
        std::make_unique<db::database>(db::database_params{.path = dir / "books.db"});
    SQLite::Database connection{(dir / "books.db").string(), SQLite::OPEN_READWRITE};

    // Books with the given created_at values, in that order.
    void add(const std::vector<std::pair<std::string, std::string>>& books) {
        std::vector<db::queries::book_upsert> rows;
        for (const auto& [barcode, created] : books)
            rows.push_back({.barcode = barcode, .columns = {{"grin_state", "NEW"}}});
        db::queries::upsert_books(connection, rows, db::queries::on_existing::keep);
        for (const auto& [barcode, created] : books) {
            SQLite::Statement set(connection, "UPDATE books SET created_at = ? WHERE barcode = ?");
            set.bind(1, created);
            set.bind(2, barcode);
            set.exec();
        }
    }

    std::optional<std::string> get(const std::string& barcode, const std::string& column) {
        SQLite::Statement query(connection, "SELECT " + column + " FROM books WHERE barcode = ?");
        query.bind(1, barcode);
        EXPECT_TRUE(query.executeStep()) << barcode;
        auto value = query.getColumn(0);
        return value.isNull() ? std::nullopt : std::optional<std::string>(value.getString());
    }

    static std::vector<std::string> barcodes(const std::vector<enrich::book_key>& keys) {
        std::vector<std::string> out;
        for (const auto& key : keys)
            out.push_back(key.barcode);
        return out;
    }
};

} // namespace

// Ordered by created_at, then barcode; pages continue strictly after the last key, so
// books that stay NULL (a failed batch) are not selected again, and ties on created_at
// are split by barcode without skipping or repeating any.
TEST_F(enrich_queries, keyset_pages_in_created_then_barcode_order) {
    add({{"BBB2", "2024-01-02"},
         {"AAA1", "2024-01-02"},
         {"CCC3", "2024-01-01"},
         {"DDD4", "2024-01-02"},
         {"EEE5", "2024-01-03"}});
    auto first = enrich::select_unenriched(connection, std::nullopt, 2);
    EXPECT_EQ(barcodes(first), (std::vector<std::string>{"CCC3", "AAA1"}));
    // Nothing was written for the first page (as if its request failed): still NULL, yet the
    // next page moves on.
    auto second = enrich::select_unenriched(connection, first.back(), 2);
    EXPECT_EQ(barcodes(second), (std::vector<std::string>{"BBB2", "DDD4"}));
    auto third = enrich::select_unenriched(connection, second.back(), 2);
    EXPECT_EQ(barcodes(third), (std::vector<std::string>{"EEE5"}));
    EXPECT_TRUE(enrich::select_unenriched(connection, third.back(), 2).empty());
    EXPECT_EQ(enrich::count_unenriched(connection), 5u);
    // A fresh run starts again from the beginning and finds the failed ones.
    EXPECT_EQ(barcodes(enrich::select_unenriched(connection, std::nullopt, 10)).size(), 5u);
}

TEST_F(enrich_queries, enriched_books_are_not_selected) {
    add({{"AAA1", "2024-01-01"}, {"BBB2", "2024-01-02"}});
    enrich::batch_updates updates;
    updates.not_found = {"AAA1"};
    EXPECT_EQ(enrich::apply_updates(connection, updates), 1u);
    EXPECT_EQ(barcodes(enrich::select_unenriched(connection, std::nullopt, 10)),
              (std::vector<std::string>{"BBB2"}));
    EXPECT_EQ(enrich::count_unenriched(connection), 1u);
}

TEST_F(enrich_queries, updates_follow_coalesce_and_stamp_the_book) {
    add({{"AAA1", "2024-01-01"}, {"BBB2", "2024-01-02"}});
    {
        SQLite::Statement set(connection, "UPDATE books SET grin_viewability = 'VIEW_FULL', "
                                          "grin_audit = '5%' WHERE barcode = 'AAA1'");
        set.exec();
    }
    enrich::batch_updates updates;
    enrich::book_update found{.barcode = "AAA1", .columns = {}};
    for (const auto& [header, column] : api::barcode_search_db_columns)
        found.columns.push_back({std::string(column), std::nullopt}); // not sent: keep
    for (auto& c : found.columns) {
        if (c.name == "grin_state")
            c.value = "CONVERTED";
        if (c.name == "grin_audit")
            c.value = ""; // sent empty: overwrite
    }
    updates.found.push_back(found);
    updates.not_found = {"BBB2"};
    const auto now = now_utc();
    EXPECT_EQ(enrich::apply_updates(connection, updates, now), 2u);
    EXPECT_EQ(get("AAA1", "grin_state"), "CONVERTED");
    EXPECT_EQ(get("AAA1", "grin_audit"), "");
    EXPECT_EQ(get("AAA1", "grin_viewability"), "VIEW_FULL");
    EXPECT_EQ(get("AAA1", "enrichment_timestamp"), format_iso8601_utc(now));
    EXPECT_EQ(get("AAA1", "updated_at"), format_iso8601_utc(now));
    EXPECT_EQ(get("BBB2", "enrichment_timestamp"), format_iso8601_utc(now));
    EXPECT_EQ(get("BBB2", "grin_state"), "NEW"); // attempted, no data
}

TEST_F(enrich_queries, reset_clears_the_mapped_columns_of_enriched_books_only) {
    add({{"AAA1", "2024-01-01"}, {"BBB2", "2024-01-02"}});
    {
        SQLite::Statement set(connection, "UPDATE books SET enrichment_timestamp = 't', "
                                          "grin_viewability = 'VIEW_FULL', scanned_date = 'd' "
                                          "WHERE barcode = 'AAA1'");
        set.exec();
    }
    EXPECT_EQ(enrich::reset_enrichment(connection), 1u);
    EXPECT_EQ(get("AAA1", "enrichment_timestamp"), std::nullopt);
    EXPECT_EQ(get("AAA1", "grin_viewability"), std::nullopt);
    EXPECT_EQ(get("AAA1", "scanned_date"), std::nullopt);
    EXPECT_EQ(get("AAA1", "grin_state"), std::nullopt); // the reference clears it too
    EXPECT_EQ(get("BBB2", "grin_state"), "NEW");        // never enriched: untouched
}
