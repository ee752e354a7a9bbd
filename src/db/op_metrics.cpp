#include <grin/db/op_metrics.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace grin::db {

double percentile(std::span<const double> sorted, double fraction) {
    if (sorted.empty())
        return 0;
    fraction = std::clamp(fraction, 0.0, 1.0);
    double rank = fraction * static_cast<double>(sorted.size() - 1);
    auto lower = static_cast<std::size_t>(std::floor(rank));
    auto upper = std::min(lower + 1, sorted.size() - 1);
    double weight = rank - static_cast<double>(lower);
    return sorted[lower] + (sorted[upper] - sorted[lower]) * weight;
}

op_metrics::op_metrics(std::size_t window) : window_(std::max<std::size_t>(window, 1)) {}

void op_metrics::record(std::string_view name, std::chrono::nanoseconds elapsed, bool ok) {
    std::int64_t ns = elapsed.count();
    std::lock_guard lock(mutex_);
    auto found = series_.find(name);
    if (found == series_.end())
        found = series_.emplace(std::string(name), series{}).first;
    series& values = found->second;
    values.min_ns = values.count == 0 ? ns : std::min(values.min_ns, ns);
    values.max_ns = values.count == 0 ? ns : std::max(values.max_ns, ns);
    ++values.count;
    values.errors += ok ? 0 : 1;
    values.total_ns += ns;
    if (values.recent.size() < window_) {
        values.recent.push_back(ns);
    } else {
        values.recent[values.next] = ns;
        values.next = (values.next + 1) % window_;
    }
}

op_summary op_metrics::summarize(const std::string& name, const series& values) {
    op_summary summary;
    summary.name = name;
    summary.count = values.count;
    summary.errors = values.errors;
    if (values.count == 0)
        return summary;
    summary.error_rate = static_cast<double>(values.errors) / static_cast<double>(values.count);
    summary.min = std::chrono::nanoseconds(values.min_ns);
    summary.max = std::chrono::nanoseconds(values.max_ns);
    summary.avg =
        std::chrono::nanoseconds(values.total_ns / static_cast<std::int64_t>(values.count));
    std::vector<double> sorted(values.recent.begin(), values.recent.end());
    std::sort(sorted.begin(), sorted.end());
    auto at = [&sorted](double fraction) {
        return std::chrono::nanoseconds(std::llround(percentile(sorted, fraction)));
    };
    summary.p50 = at(0.50);
    summary.p95 = at(0.95);
    summary.p99 = at(0.99);
    return summary;
}

std::vector<op_summary> op_metrics::snapshot() const {
    std::lock_guard lock(mutex_);
    std::vector<op_summary> result;
    result.reserve(series_.size());
    for (const auto& [name, values] : series_)
        result.push_back(summarize(name, values));
    return result;
}

op_summary op_metrics::overall(std::string name) const {
    std::lock_guard lock(mutex_);
    series all;
    bool first = true;
    for (const auto& [op, values] : series_) {
        if (op == "batch_commit" || values.count == 0)
            continue;
        all.min_ns = first ? values.min_ns : std::min(all.min_ns, values.min_ns);
        all.max_ns = first ? values.max_ns : std::max(all.max_ns, values.max_ns);
        first = false;
        all.count += values.count;
        all.errors += values.errors;
        all.total_ns += values.total_ns;
        all.recent.insert(all.recent.end(), values.recent.begin(), values.recent.end());
    }
    return summarize(name, all);
}

std::optional<op_summary> op_metrics::find(std::string_view name) const {
    std::lock_guard lock(mutex_);
    auto found = series_.find(name);
    if (found == series_.end())
        return std::nullopt;
    return summarize(found->first, found->second);
}

nlohmann::json to_json(const std::vector<op_summary>& summaries) {
    auto ms = [](std::chrono::nanoseconds value) {
        return std::chrono::duration<double, std::milli>(value).count();
    };
    nlohmann::json result = nlohmann::json::object();
    for (const op_summary& s : summaries) {
        result[s.name] = {
            {"count", s.count},    {"errors", s.errors},  {"error_rate", s.error_rate},
            {"min_ms", ms(s.min)}, {"avg_ms", ms(s.avg)}, {"max_ms", ms(s.max)},
            {"p50_ms", ms(s.p50)}, {"p95_ms", ms(s.p95)}, {"p99_ms", ms(s.p99)}};
    }
    return result;
}

} // namespace grin::db
