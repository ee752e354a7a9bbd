#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/progress.hpp>
#include <grin/enrich/enricher.hpp>
#include <grin/enrich/progress.hpp>
#include <grin/enrich/queries.hpp>
#include <grin/enrich/url_batches.hpp>
#include <grin/net/awaitable.hpp>
#include <grin/net/rate_limiter.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace grin::enrich {
namespace asio = boost::asio;

namespace {

using steady = std::chrono::steady_clock;

struct engine {
    api::client& grin;
    db::database& database;
    const enrich_params& params;
    enrich_controls& controls;
    const enrich_output& output;
    net::rate_limiter& limiter;
    enrich_totals totals{};
    steady::time_point started = steady::now();
    rate_calculator rate{20, steady::now()};

    void print_progress() {
        rate.add(steady::now(), totals.processed);
        const double seconds = std::chrono::duration<double>(steady::now() - started).count();
        auto line =
            progress_line({.processed = totals.processed,
                           .total = totals.to_do,
                           .books_per_second = rate.rate(),
                           .requests_per_second =
                               seconds > 0 ? static_cast<double>(totals.requests) / seconds : 0.0});
        output(line);
        log::info(line);
    }
};

struct select_work {
    std::optional<book_key> after;
    std::size_t limit;
    std::vector<book_key> operator()(SQLite::Database& connection) const {
        return select_unenriched(connection, after, limit);
    }
};

struct count_work {
    std::uint64_t operator()(SQLite::Database& connection) const {
        return count_unenriched(connection);
    }
};

struct reset_work {
    std::size_t operator()(SQLite::Database& connection) const {
        return reset_enrichment(connection);
    }
};

struct apply_work {
    batch_updates updates;
    std::size_t operator()(SQLite::Database& connection) const {
        return apply_updates(connection, updates);
    }
};

std::string reason_of(const std::exception& failure) {
    if (const auto* known = dynamic_cast<const grin::error*>(&failure)) {
        const auto& context = known->context();
        if (context.http_status)
            return "HTTP " + std::to_string(*context.http_status);
        return known->message();
    }
    return failure.what();
}

// One URL batch: request (with retries, each attempt paced by the limiter), then one
// write. Any failure leaves its books un-enriched and is counted against the batch.
asio::awaitable<void> run_url_batch(engine& e, const url_batch& batch) {
    std::string failure;
    std::optional<api::enrichment_table> table;
    try {
        api::client::attempt_hook before_attempt = [&e]() {
            ++e.totals.requests;
            return e.limiter.acquire();
        };
        auto fetching = e.grin.barcode_search_page(batch.url, std::move(before_attempt));
        table = co_await std::move(fetching);
    } catch (const std::exception& error) {
        failure = reason_of(error);
    }
    batch_updates updates;
    if (table) {
        updates = updates_for(*table, batch.barcodes);
        try {
            apply_work work{.updates = updates};
            auto writing = e.database.write("enrich_batch", std::move(work));
            co_await std::move(writing);
        } catch (const std::exception& error) {
            failure = "database: " + reason_of(error);
        }
    }
    ++e.totals.url_batches;
    e.totals.processed += batch.barcodes.size();
    if (!failure.empty()) {
        ++e.totals.failed_batches;
        e.totals.failed += batch.barcodes.size();
        ++e.totals.failure_reasons[failure];
        log::warning("enrich: a batch of " + std::to_string(batch.barcodes.size()) +
                     " books (first " + batch.barcodes.front() + ") failed: " + failure +
                     "; they stay un-enriched for the next run");
        co_return;
    }
    e.totals.enriched += updates.found.size();
    e.totals.not_found += updates.not_found.size();
}

struct round_state {
    std::vector<url_batch> batches;
    std::size_t next = 0;
};

asio::awaitable<void> worker(engine& e, round_state& round) {
    while (!e.controls.stop_requested() && round.next < round.batches.size()) {
        const url_batch& batch = round.batches[round.next++];
        co_await run_url_batch(e, batch);
    }
}

// Runs `count` workers over the round and waits for all of them.
asio::awaitable<void> run_round(engine& e, round_state& round) {
    auto executor = co_await asio::this_coro::executor;
    const std::size_t count = std::min(e.params.max_concurrent, round.batches.size());
    std::size_t running = count;
    std::exception_ptr first_error;
    asio::steady_timer all_done(executor, steady::time_point::max());
    for (std::size_t i = 0; i < count; ++i)
        asio::co_spawn(executor, worker(e, round), [&](std::exception_ptr error) {
            if (error && !first_error)
                first_error = error;
            if (--running == 0)
                all_done.cancel();
        });
    while (running > 0) {
        auto [ignored] = co_await all_done.async_wait(net::use_nothrow);
        (void)ignored;
    }
    if (first_error)
        std::rethrow_exception(first_error);
}

asio::awaitable<void> enrich_all(engine& e) {
    std::optional<book_key> after;
    std::uint64_t selected = 0;
    const std::string base_url = e.grin.params().base_url;
    const std::string library = e.grin.params().library;
    while (!e.controls.stop_requested()) {
        std::size_t want = e.params.batch_size;
        if (e.params.limit) {
            if (selected >= *e.params.limit) {
                e.totals.complete = true;
                break;
            }
            want =
                static_cast<std::size_t>(std::min<std::uint64_t>(want, *e.params.limit - selected));
        }
        select_work selecting{.after = after, .limit = want};
        auto reading = e.database.read("enrich_select", std::move(selecting));
        std::vector<book_key> keys = co_await std::move(reading);
        if (keys.empty()) {
            e.totals.complete = true;
            break;
        }
        after = keys.back();
        selected += keys.size();
        ++e.totals.db_batches;
        std::vector<std::string> barcodes;
        barcodes.reserve(keys.size());
        for (auto& key : keys)
            barcodes.push_back(std::move(key.barcode));
        round_state round{.batches = url_batches(base_url, library, barcodes), .next = 0};
        log::info("enrich: DB batch " + std::to_string(e.totals.db_batches) + ": " +
                  std::to_string(barcodes.size()) + " books in " +
                  std::to_string(round.batches.size()) + " requests");
        co_await run_round(e, round);
        e.print_progress();
        if (e.controls.stop_requested() && round.next >= round.batches.size()) {
            // Stopped, but this round was whole: is anything left at all?
            bool limit_reached = e.params.limit && selected >= *e.params.limit;
            select_work probing{.after = after, .limit = 1};
            auto probe = e.database.read("enrich_select", std::move(probing));
            std::vector<book_key> more = co_await std::move(probe);
            e.totals.complete = limit_reached || more.empty();
        }
    }
}

// A progress line every interval until cancelled by the || below.
asio::awaitable<void> tick(engine& e) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    for (;;) {
        timer.expires_after(e.params.progress_interval);
        auto [cancelled] = co_await timer.async_wait(net::use_nothrow);
        if (cancelled)
            co_return;
        e.print_progress();
    }
}

} // namespace

asio::awaitable<enrich_totals> run_enrichment(api::client& grin,
                                              db::database& database,
                                              enrich_params params,
                                              enrich_controls& controls,
                                              enrich_output output) {
    using namespace asio::experimental::awaitable_operators;
    if (params.batch_size == 0 || params.max_concurrent == 0)
        throw fatal("enrich: --batch-size and --max-concurrent must be at least 1");
    auto executor = co_await asio::this_coro::executor;
    net::rate_limiter limiter(executor, params.rate_limit);
    engine e{.grin = grin,
             .database = database,
             .params = params,
             .controls = controls,
             .output = output,
             .limiter = limiter};
    if (params.reset) {
        auto resetting = database.write("enrich_reset", reset_work{});
        e.totals.reset = co_await std::move(resetting);
        output("Reset: cleared the enrichment of " + with_thousands(e.totals.reset) + " books");
        log::info("enrich: --reset cleared " + std::to_string(e.totals.reset) + " books");
    }
    auto counting = database.read("enrich_count", count_work{});
    std::uint64_t pending = co_await std::move(counting);
    e.totals.to_do = params.limit ? std::min(pending, *params.limit) : pending;
    output("Books to enrich: " + with_thousands(e.totals.to_do) +
           (params.limit && pending > *params.limit
                ? " (of " + with_thousands(pending) + " un-enriched; --limit)"
                : ""));
    e.started = steady::now();
    e.rate = rate_calculator(20, e.started);
    if (e.params.progress_interval.count() > 0) {
        auto working = enrich_all(e);
        auto ticking = tick(e);
        co_await (std::move(working) || std::move(ticking));
    } else {
        co_await enrich_all(e);
    }
    co_return e.totals;
}

} // namespace grin::enrich
