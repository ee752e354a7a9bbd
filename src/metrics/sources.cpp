#include <grin/metrics/sources.hpp>

#include <chrono>

namespace grin::metrics {

namespace {

double ms(std::chrono::nanoseconds value) {
    return std::chrono::duration<double, std::milli>(value).count();
}

double seconds(std::chrono::nanoseconds value) {
    return std::chrono::duration<double>(value).count();
}

} // namespace

void watch_pool(registry& metrics, const net::https_pool& pool) {
    auto& requests = metrics.counter(
        "grin_http_requests_total",
        "HTTP requests through the shared pool by host and response status; status=\"error\" "
        "when the request failed before any response (write or header timeout, reset)",
        {"host", "status"});
    auto& opened = metrics
                       .counter("grin_pool_connections_opened_total",
                                "Connections the HTTPS pool opened (TCP connect)")
                       .with();
    auto& reused = metrics
                       .counter("grin_pool_connections_reused_total",
                                "Requests served on an idle keep-alive connection")
                       .with();
    auto& handshakes = metrics.counter("grin_pool_tls_handshakes_total",
                                       "TLS handshakes of the pool: full or resumed (session "
                                       "ticket)",
                                       {"kind"});
    auto& stale = metrics
                      .counter("grin_pool_stale_retries_total",
                               "Requests repeated because a reused connection had been closed")
                      .with();
    auto& open = metrics
                     .gauge("grin_pool_open_connections",
                            "Connections open now (idle, in use and connecting)")
                     .with();
    auto& peak =
        metrics
            .gauge("grin_pool_peak_open_connections", "Most connections open at once to one host")
            .with();
    auto& limit =
        metrics
            .gauge("grin_pool_max_connections_per_host", "The pool's limit of connections per host")
            .with();
    auto update = [&pool, requests = &requests, opened = &opened, reused = &reused,
                   handshakes = &handshakes, stale = &stale, open = &open, peak = &peak,
                   limit = &limit] {
        auto stats = pool.stats();
        opened->set_total(static_cast<double>(stats.connections_opened));
        reused->set_total(static_cast<double>(stats.reuses));
        handshakes->with({"full"}).set_total(static_cast<double>(stats.full_handshakes));
        handshakes->with({"resumed"}).set_total(static_cast<double>(stats.resumed_handshakes));
        stale->set_total(static_cast<double>(stats.stale_retries));
        open->set(static_cast<double>(stats.open_connections));
        peak->set(static_cast<double>(stats.peak_open_connections));
        limit->set(static_cast<double>(pool.params().max_connections_per_host));
        for (const auto& one : pool.response_counts())
            requests->with({one.host, one.status == 0 ? "error" : std::to_string(one.status)})
                .set_total(static_cast<double>(one.count));
    };
    metrics.add_collector(std::move(update));
}

void watch_database(registry& metrics, const db::database& database) {
    auto& operations = metrics.counter("grin_db_operations_total",
                                       "Database operations by name (reads, writes, batch "
                                       "commits)",
                                       {"operation"});
    auto& errors = metrics.counter("grin_db_operation_errors_total",
                                   "Database operations that failed, by name", {"operation"});
    auto& durations = metrics.gauge(
        "grin_db_operation_duration_seconds",
        "Database operation latency (queue wait + work) quantiles over the recent samples",
        {"operation", "quantile"});
    auto& transactions =
        metrics.counter("grin_db_transactions_total", "Committed write transactions (batches)")
            .with();
    auto& retries = metrics
                        .counter("grin_db_lock_retries_total",
                                 "Backoff retries after SQLITE_BUSY/SQLITE_LOCKED (another "
                                 "process held the lock)")
                        .with();
    auto& waited =
        metrics
            .counter("grin_db_lock_wait_seconds_total", "Time spent waiting in those lock retries")
            .with();
    auto& slow = metrics
                     .counter("grin_db_slow_operations_total",
                              "Operations slower than the slow-operation threshold")
                     .with();
    auto update = [&database, operations = &operations, errors = &errors, durations = &durations,
                   transactions = &transactions, retries = &retries, waited = &waited,
                   slow = &slow] {
        for (const auto& op : database.metrics()) {
            operations->with({op.name}).set_total(static_cast<double>(op.count));
            errors->with({op.name}).set_total(static_cast<double>(op.errors));
            durations->with({op.name, "0.5"}).set(seconds(op.p50));
            durations->with({op.name, "0.95"}).set(seconds(op.p95));
            durations->with({op.name, "0.99"}).set(seconds(op.p99));
        }
        auto stats = database.stats();
        transactions->set_total(static_cast<double>(stats.transactions));
        retries->set_total(static_cast<double>(stats.busy_retries));
        waited->set_total(static_cast<double>(stats.busy_wait_ms) / 1000.0);
        slow->set_total(static_cast<double>(stats.slow_operations));
    };
    metrics.add_collector(std::move(update));
}

nlohmann::json database_report(const db::database& database) {
    auto all = database.overall_metrics();
    auto stats = database.stats();
    return {{"total_operations", all.count},
            {"error_count", all.errors},
            {"error_rate", all.error_rate},
            {"avg_duration_ms", ms(all.avg)},
            {"min_duration_ms", ms(all.min)},
            {"max_duration_ms", ms(all.max)},
            {"p50_duration_ms", ms(all.p50)},
            {"p95_duration_ms", ms(all.p95)},
            {"p99_duration_ms", ms(all.p99)},
            {"lock_retries", {{"count", stats.busy_retries}, {"waited_ms", stats.busy_wait_ms}}},
            {"slow_operations", stats.slow_operations},
            {"transactions", stats.transactions},
            {"writes_committed", stats.writes_committed},
            {"writes_failed", stats.writes_failed},
            {"reads", stats.reads},
            {"reads_failed", stats.reads_failed},
            {"largest_batch", stats.largest_batch},
            {"operations", db::to_json(database.metrics())}};
}

} // namespace grin::metrics
