#pragma once
// A registry snapshot as JSON, for process_summary.json's details.metrics:
// {"<name>": {"type": "counter", "help": "...", "series": [{"labels": {...}, "value": 3}]},
//  "<histogram>": {..., "series": [{"labels": {...}, "count": 9, "sum": 1.5,
//                                    "buckets": {"0.1": 4, ..., "+Inf": 9}}]}}
#include <grin/metrics/registry.hpp>

#include <nlohmann/json.hpp>

namespace grin::metrics {

nlohmann::json to_json(const std::vector<family_snapshot>& families);
inline nlohmann::json to_json(const registry& metrics) {
    return to_json(metrics.collect());
}

} // namespace grin::metrics
