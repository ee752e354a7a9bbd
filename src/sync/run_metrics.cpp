#include <grin/metrics/snapshot.hpp>
#include <grin/metrics/sources.hpp>
#include <grin/sync/run_metrics.hpp>

namespace grin::sync {

nlohmann::json metrics_snapshot(const metrics::registry& registry, const db::database* database) {
    nlohmann::json snapshot = {{"families", metrics::to_json(registry)}};
    if (database)
        snapshot["database"] = metrics::database_report(*database);
    return snapshot;
}

} // namespace grin::sync
