#pragma once
// Figures other objects already count, copied into a registry at scrape time (collectors;
// registry.hpp), and the /api/metrics/database report.
//   watch_pool:     grin_http_requests_total{host,status}, grin_pool_connections_opened_total,
//                   grin_pool_connections_reused_total, grin_pool_tls_handshakes_total{kind},
//                   grin_pool_stale_retries_total, grin_pool_open_connections,
//                   grin_pool_peak_open_connections, grin_pool_max_connections_per_host
//   watch_database: grin_db_operations_total{operation}, grin_db_operation_errors_total{operation},
//                   grin_db_operation_duration_seconds{operation,quantile} (recent window),
//                   grin_db_transactions_total, grin_db_lock_retries_total,
//                   grin_db_lock_wait_seconds_total, grin_db_slow_operations_total
// The pool is read from its own thread only: collect() must run on the pool's I/O thread
// (the metrics server does) or after that thread stopped. The objects must outlive every
// collect() of the registry.
#include <grin/db/database.hpp>
#include <grin/metrics/registry.hpp>
#include <grin/net/https_pool.hpp>

#include <nlohmann/json.hpp>

namespace grin::metrics {

void watch_pool(registry& metrics, const net::https_pool& pool);
void watch_database(registry& metrics, const db::database& database);

// {"total_operations", "error_count", "error_rate", "avg_duration_ms", "min_duration_ms",
//  "max_duration_ms", "p50_duration_ms", "p95_duration_ms", "p99_duration_ms",
//  "lock_retries": {"count", "waited_ms"}, "slow_operations",
//  "transactions", "writes_committed", "writes_failed", "reads", "largest_batch",
//  "operations": {"<name>": {count, errors, error_rate, min_ms, avg_ms, max_ms, p50_ms,
//  p95_ms, p99_ms}}}
nlohmann::json database_report(const db::database& database);

} // namespace grin::metrics
