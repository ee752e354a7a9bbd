#pragma once
// What a command records in process_summary.json's details.metrics: the snapshot of its
// metrics registry (metrics/snapshot.hpp: every family with its series), plus the
// database report (metrics/sources.hpp) under "database" when there is a database.
#include <grin/db/database.hpp>
#include <grin/metrics/registry.hpp>

#include <nlohmann/json.hpp>

namespace grin::sync {

nlohmann::json metrics_snapshot(const metrics::registry& registry, const db::database* database);

} // namespace grin::sync
