#include <grin/sync/run_metrics.hpp>

namespace grin::sync {

namespace {

double milliseconds(std::chrono::nanoseconds value) {
    return std::chrono::duration<double, std::milli>(value).count();
}

} // namespace

nlohmann::json metrics_snapshot(const net::pool_stats& pool, const db::database& database) {
    nlohmann::json snapshot;
    snapshot["http_pool"] = {{"connections_opened", pool.connections_opened},
                             {"full_handshakes", pool.full_handshakes},
                             {"resumed_handshakes", pool.resumed_handshakes},
                             {"requests", pool.requests},
                             {"reuses", pool.reuses},
                             {"stale_retries", pool.stale_retries},
                             {"peak_open_connections", pool.peak_open_connections}};
    auto stats = database.stats();
    nlohmann::json operations = nlohmann::json::object();
    for (const auto& op : database.metrics())
        operations[op.name] = {{"count", op.count},
                               {"errors", op.errors},
                               {"error_rate", op.error_rate},
                               {"avg_ms", milliseconds(op.avg)},
                               {"p50_ms", milliseconds(op.p50)},
                               {"p95_ms", milliseconds(op.p95)},
                               {"p99_ms", milliseconds(op.p99)},
                               {"max_ms", milliseconds(op.max)}};
    snapshot["database"] = {{"transactions", stats.transactions},
                            {"writes_committed", stats.writes_committed},
                            {"writes_failed", stats.writes_failed},
                            {"reads", stats.reads},
                            {"lock_retries", stats.busy_retries},
                            {"largest_batch", stats.largest_batch},
                            {"operations", operations}};
    return snapshot;
}

} // namespace grin::sync
