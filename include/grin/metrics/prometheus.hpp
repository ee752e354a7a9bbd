#pragma once
// Prometheus text exposition format 0.0.4 of a registry snapshot: per family "# HELP",
// "# TYPE", then its samples; label values escaped (\\, \", \n); histograms as cumulative
// _bucket{le="..."} series ending in le="+Inf", then _sum and _count.
#include <grin/metrics/registry.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace grin::metrics {

inline constexpr std::string_view prometheus_content_type =
    "text/plain; version=0.0.4; charset=utf-8";

std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view text);
// Go's strconv.FormatFloat('g') style: integers without exponent, +Inf, -Inf, NaN.
std::string format_value(double value);

std::string render_prometheus(const std::vector<family_snapshot>& families);
inline std::string render_prometheus(const registry& metrics) {
    return render_prometheus(metrics.collect());
}

} // namespace grin::metrics
