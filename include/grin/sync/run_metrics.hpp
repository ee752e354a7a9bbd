#pragma once
// The figures of one command's engines as JSON, for process_summary.json's "metrics"
// detail: the HTTPS pool (connections opened and reused, TLS handshakes) and the database
// actor (transactions, lock retries, and per operation count, errors and latency
// percentiles in milliseconds).
#include <grin/db/database.hpp>
#include <grin/net/https_pool.hpp>

#include <nlohmann/json.hpp>

namespace grin::sync {

nlohmann::json metrics_snapshot(const net::pool_stats& pool, const db::database& database);

} // namespace grin::sync
