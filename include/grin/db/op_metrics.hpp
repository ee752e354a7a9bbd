#pragma once
// Timing of database operations by name (DESIGN section 4: count, errors, error rate,
// min/avg/max, p50/p95/p99). Thread-safe: the actor records, the metrics endpoint reads.
//
// Count, errors, min, avg and max cover every sample since start; the percentiles cover
// the most recent `window` samples per name, so memory stays bounded over a 150,000-book
// run and the percentiles describe how the database behaves now.
#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace grin::db {

struct op_summary {
    std::string name;
    std::uint64_t count = 0;
    std::uint64_t errors = 0;
    double error_rate = 0; // errors / count, 0 when count is 0
    std::chrono::nanoseconds min{};
    std::chrono::nanoseconds avg{};
    std::chrono::nanoseconds max{};
    std::chrono::nanoseconds p50{};
    std::chrono::nanoseconds p95{};
    std::chrono::nanoseconds p99{};
};

// The value at `fraction` (0..1) of ascending `sorted`, interpolating linearly between
// the two closest ranks (numpy's default), so that p50 of {1, 2, 3, 4} is 2.5.
// Returns 0 for an empty span.
double percentile(std::span<const double> sorted, double fraction);

class op_metrics {
public:
    explicit op_metrics(std::size_t window = 10000);

    void record(std::string_view name, std::chrono::nanoseconds elapsed, bool ok);

    // One entry per name, sorted by name.
    std::vector<op_summary> snapshot() const;
    std::optional<op_summary> find(std::string_view name) const;
    // Every name but "batch_commit" (whose time overlaps its writes') together under
    // `name`: totals since start, percentiles over the recent samples of those names.
    op_summary overall(std::string name = "all") const;

private:
    struct series {
        std::uint64_t count = 0;
        std::uint64_t errors = 0;
        std::int64_t total_ns = 0;
        std::int64_t min_ns = 0;
        std::int64_t max_ns = 0;
        std::vector<std::int64_t> recent; // ring buffer of the last `window_` samples
        std::size_t next = 0;
    };
    static op_summary summarize(const std::string& name, const series& values);

    std::size_t window_;
    mutable std::mutex mutex_;
    std::map<std::string, series, std::less<>> series_;
};

// {"<name>": {"count":..,"errors":..,"error_rate":..,"min_ms":..,"avg_ms":..,"max_ms":..,
//  "p50_ms":..,"p95_ms":..,"p99_ms":..}, ...} for /api/metrics/database.
nlohmann::json to_json(const std::vector<op_summary>& summaries);

} // namespace grin::db
