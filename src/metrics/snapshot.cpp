#include <grin/metrics/prometheus.hpp>
#include <grin/metrics/snapshot.hpp>

namespace grin::metrics {

nlohmann::json to_json(const std::vector<family_snapshot>& families) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& family : families) {
        nlohmann::json series = nlohmann::json::array();
        for (const auto& one : family.series) {
            nlohmann::json labels = nlohmann::json::object();
            for (std::size_t i = 0; i < family.label_names.size(); ++i)
                labels[family.label_names[i]] = one.labels[i];
            nlohmann::json entry = {{"labels", labels}};
            if (family.type == metric_type::histogram) {
                nlohmann::json buckets = nlohmann::json::object();
                for (std::size_t i = 0; i < one.cumulative.size(); ++i)
                    buckets[i < one.upper_bounds.size() ? format_value(one.upper_bounds[i])
                                                        : std::string("+Inf")] = one.cumulative[i];
                entry["count"] = one.count;
                entry["sum"] = one.sum;
                entry["buckets"] = buckets;
            } else {
                entry["value"] = one.value;
            }
            series.push_back(std::move(entry));
        }
        out[family.name] = {{"type", std::string(to_string(family.type))},
                            {"help", family.help},
                            {"series", series}};
    }
    return out;
}

} // namespace grin::metrics
