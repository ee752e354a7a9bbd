#pragma once
// A books.db with one or more books in every situation `grin sync status` reports, and
// the numbers it must report, worked out by hand from the list below (not by the code
// under test). Header-only: only tests that link grin::db include it.
#include <grin/core/time.hpp>
#include <grin/db/queries.hpp>
#include <grin/db/schema.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Transaction.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace grin::test {

// The long error of two download failures (200 characters); reported as its first 117
// characters followed by "...".
inline std::string long_download_error() {
    std::string text = "TLS handshake with books.google.com timed out after 30 s; ";
    while (text.size() < 200)
        text += "x";
    return text.substr(0, 200);
}

// Writes the scenario (schema included) in one transaction.
inline void write_sync_status_scenario(SQLite::Database& connection) {
    namespace q = grin::db::queries;
    grin::db::schema::apply(connection);
    SQLite::Transaction transaction(connection);
    auto base = grin::now_utc();
    int number = 0;
    auto add = [&](int count, const std::vector<q::status_update>& rows) {
        for (int i = 0; i < count; ++i) {
            char barcode[16];
            std::snprintf(barcode, sizeof barcode, "B%03d", number++);
            std::vector<q::book_upsert> book = {{barcode, {{"title", "Book"}}}};
            q::upsert_books(connection, book, q::on_existing::keep);
            // Timestamps run backwards: the latest row is the highest id, not the newest
            // timestamp (grin-transfer gives one commit's rows the same timestamp).
            auto when = base;
            for (auto row : rows) {
                row.barcode = barcode;
                q::append_status(connection, row, when);
                when -= std::chrono::seconds(1);
            }
        }
    };
    auto sync = [](std::string value, std::optional<std::string> metadata = std::nullopt) {
        return q::status_update{.status_type = "sync",
                                .status_value = std::move(value),
                                .metadata_json = std::move(metadata)};
    };
    auto conversion = [](std::string value) {
        return q::status_update{.status_type = "conversion",
                                .status_value = std::move(value),
                                .metadata_json = R"({"conversion_status": "x"})"};
    };
    auto full_sync = std::vector<q::status_update>{sync("checked", R"({"etag": "e1"})"),
                                                   sync("downloaded"),
                                                   sync("decrypted"),
                                                   sync("uploaded", R"({"path": "raw/B.tar.gz"})"),
                                                   sync("unpacked"),
                                                   sync("completed")};

    add(7, full_sync); // synced
    add(4, {sync("checked"), sync("download_failed", R"({"error": "HTTP 500 from GRIN"})")});
    add(2, {sync("download_failed", R"({"error": ")" + long_download_error() + R"("})")});
    add(3,
        {sync("check_failed", R"({"reason": "HTTP 404", "etag": null, "http_status_code": 404})"),
         conversion("requested")});
    {
        auto rows = full_sync;
        rows.push_back(sync("skipped", R"({"reason": "skip_etag_match"})"));
        add(2, rows); // synced earlier, unchanged since
    }
    add(2, {conversion("limit_reached")});
    add(1, {conversion("unavailable")});
    add(1, {conversion("requested"), conversion("conversion_failed")});
    add(1, {conversion("requested"), conversion("in_process")});
    {
        auto rows = std::vector<q::status_update>{conversion("requested")};
        rows.insert(rows.end(), full_sync.begin(), full_sync.end());
        add(1, rows); // converted, then synced: not pending any more
    }
    add(1, {sync("upload_failed", "not json")});
    add(1, {sync("decrypt_failed")});
    add(1, {sync("download_failed", R"({"error": "HTTP 503"})"), sync("checked")}); // retried
    add(5, {});                                                                     // never tried
    add(1, {q::status_update{.status_type = "text_extraction", .status_value = "completed"}});
    // History of a barcode that is not in books: ignored everywhere.
    q::append_status(connection, {.barcode = "GHOST",
                                  .status_type = "sync",
                                  .status_value = "download_failed",
                                  .metadata_json = R"({"error": "HTTP 500 from GRIN"})"});
    q::append_status(connection,
                     {.barcode = "GHOST", .status_type = "sync", .status_value = "completed"});
    transaction.commit();
}

// What the scenario must produce.
struct sync_status_expected {
    static constexpr std::int64_t total_books = 33;
    static constexpr std::int64_t synced = 7 + 2 + 1;
    static constexpr std::int64_t failed = 4 + 2 + 3 + 1 + 1;
    static constexpr std::int64_t skipped = 2;
    static constexpr std::int64_t conversion_pending = 3 + 1;
    static constexpr std::int64_t conversion_limit_reached = 2;
    static constexpr std::int64_t conversion_unavailable = 1;
    static constexpr std::int64_t conversion_failed = 1;
    static constexpr std::int64_t never_attempted = 5 + 1;
    // Latest sync status, most books first, ties by name.
    static std::vector<std::pair<std::string, std::int64_t>> latest_sync() {
        return {{"completed", 8}, {"download_failed", 6}, {"check_failed", 3}, {"skipped", 2},
                {"checked", 1},   {"decrypt_failed", 1},  {"upload_failed", 1}};
    }
    // {status, reason, books}, most books first, ties by status then reason.
    struct reason {
        std::string status, reason;
        std::int64_t books;
    };
    static std::vector<reason> reasons() {
        return {{"download_failed", "HTTP 500 from GRIN", 4},
                {"check_failed", "HTTP 404", 3},
                {"download_failed", long_download_error().substr(0, 117) + "...", 2},
                {"decrypt_failed", "", 1},
                {"upload_failed", "", 1}};
    }
};

} // namespace grin::test
