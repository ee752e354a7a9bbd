#include <grin/api/book_row.hpp>
#include <grin/collect/collector.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/progress.hpp>
#include <grin/db/queries.hpp>

#include <SQLiteCpp/Database.h>

#include <cstdio>

namespace grin::collect {
namespace asio = boost::asio;
using db::queries::book_upsert;

namespace {

void add(book_upsert& upsert, const char* column, const std::optional<std::string>& value) {
    if (value)
        upsert.columns.push_back({column, *value});
}

book_upsert to_upsert(const api::book_row& row) {
    book_upsert upsert;
    upsert.barcode = row.barcode;
    add(upsert, "title", row.title);
    add(upsert, "scanned_date", row.scanned_date);
    add(upsert, "converted_date", row.converted_date);
    add(upsert, "downloaded_date", row.downloaded_date);
    add(upsert, "processed_date", row.processed_date);
    add(upsert, "analyzed_date", row.analyzed_date);
    add(upsert, "ocr_date", row.ocr_date);
    add(upsert, "google_books_link", row.google_books_link);
    add(upsert, "grin_state", row.grin_state);
    return upsert;
}

struct page_writer {
    db::database& database;
    db::queries::on_existing mode;
    std::int64_t session_id;
};

// One transaction: the books, and grin-transfer's `processed` bookkeeping for them.
asio::awaitable<std::size_t> store_rows(page_writer writer, std::vector<book_upsert> rows) {
    auto mode = writer.mode;
    auto session = writer.session_id;
    auto store = [rows = std::move(rows), mode, session](SQLite::Database& connection) {
        auto written = db::queries::upsert_books(connection, rows, mode);
        for (const auto& row : rows)
            db::queries::mark_processed(connection, row.barcode, session);
        return written;
    };
    co_return co_await writer.database.write("collect_page", std::move(store));
}

class collector {
public:
    collector(db::database& database,
              collect_params params,
              const std::atomic<bool>& stop,
              progress_sink progress)
        : database_(database)
        , params_(std::move(params))
        , stop_(stop)
        , progress_(std::move(progress))
        , started_(std::chrono::steady_clock::now())
        , last_line_(started_)
        , rate_(5, started_) {}

    collect_summary summary;

    asio::awaitable<bool> on_page(const api::list_page& page) {
        if (summary.pages == 0 && !page.has_table && !page.unavailable)
            throw error("GRIN's book list has no table of books: is --grin-base-url a GRIN "
                        "address and --library-directory right?",
                        {.step = "parse"});
        // A first page with a heading row but not one usable row (no barcode cell in any
        // of them) is not a list of books either: without this check junk that happens to
        // contain a heading row collected "0 books" and exited 0.
        if (summary.pages == 0 && page.has_table && page.rows.empty() &&
            page.invalid_barcodes.empty() && page.rows_without_barcode > 0)
            throw error("GRIN's book list is malformed: none of the " +
                            std::to_string(page.rows_without_barcode) +
                            " rows of its first page has a barcode",
                        {.step = "parse"});
        summary.invalid_rows += page.invalid_barcodes.size() + page.rows_without_barcode;
        for (const auto& bad : page.invalid_barcodes)
            log::warning("GRIN listed a malformed barcode, skipped: " + bad);
        std::vector<book_upsert> batch;
        bool reached_limit = false;
        for (const auto& row : page.rows) {
            if (params_.limit && summary.seen >= *params_.limit) {
                reached_limit = true;
                break;
            }
            auto book = api::to_book_row(row);
            if (api::title_unexpectedly_missing(book))
                log::debug("book " + book.barcode + " has no title in GRIN's list");
            batch.push_back(to_upsert(book));
            ++summary.seen;
            current_ = book.barcode;
            if (batch.size() >= params_.rows_per_transaction)
                co_await flush(batch);
            report(false);
        }
        co_await flush(batch);
        ++summary.pages;
        if (reached_limit || (params_.limit && summary.seen >= *params_.limit))
            co_return false;
        if (stop_.load()) {
            summary.interrupted = true;
            co_return false;
        }
        co_return true;
    }

    void report(bool final_line) {
        auto now = std::chrono::steady_clock::now();
        bool due = summary.seen - last_count_ >= params_.progress_every ||
                   now - last_line_ >= params_.progress_interval;
        if (!final_line && !due)
            return;
        rate_.add(now, summary.seen);
        last_count_ = summary.seen;
        last_line_ = now;
        char rate[32];
        std::snprintf(rate, sizeof rate, "%.1f", rate_.rate());
        progress_(with_thousands(summary.seen) + " barcode records - " + rate +
                  " barcode records/sec - elapsed: " +
                  format_duration(std::chrono::duration<double>(now - started_)) +
                  (current_.empty() ? "" : " [current: " + current_ + "]"));
    }

private:
    asio::awaitable<void> flush(std::vector<book_upsert>& batch) {
        if (batch.empty())
            co_return;
        page_writer writer{database_,
                           params_.refresh ? db::queries::on_existing::refresh
                                           : db::queries::on_existing::keep,
                           params_.session_id};
        std::vector<book_upsert> rows = std::move(batch);
        batch.clear();
        summary.written += co_await store_rows(writer, std::move(rows));
    }

    db::database& database_;
    collect_params params_;
    const std::atomic<bool>& stop_;
    progress_sink progress_;
    std::chrono::steady_clock::time_point started_, last_line_;
    rate_calculator rate_;
    std::uint64_t last_count_ = 0;
    std::string current_;
};

asio::awaitable<bool> handle_page(collector* state, const api::list_page& page) {
    co_return co_await state->on_page(page);
}

} // namespace

asio::awaitable<collect_summary> collect_books(api::client& grin,
                                               db::database& database,
                                               collect_params params,
                                               const std::atomic<bool>& stop_requested,
                                               progress_sink progress) {
    collector state(database, std::move(params), stop_requested, std::move(progress));
    collector* state_ptr = &state;
    api::client::page_handler handler = [state_ptr](const api::list_page& page) {
        return handle_page(state_ptr, page);
    };
    co_await grin.for_each_page("_all_books", handler);
    state.report(true);
    co_return state.summary;
}

} // namespace grin::collect
