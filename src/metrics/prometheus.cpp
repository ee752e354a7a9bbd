#include <grin/metrics/prometheus.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>

namespace grin::metrics {

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string escape_help(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string format_value(double value) {
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf";
    char text[40];
    if (value == std::trunc(value) && std::fabs(value) < 1e15) {
        std::snprintf(text, sizeof text, "%.0f", value);
        return text;
    }
    // The shortest text that reads back as the same double: 0.1, not 0.10000000000000001.
    auto [end, failed] = std::to_chars(text, text + sizeof text, value);
    if (failed != std::errc())
        return "NaN";
    return std::string(text, end);
}

namespace {

// {a="x",b="y"} plus an optional extra pair (le), "" when there are none.
std::string label_set(const std::vector<std::string>& names,
                      const label_values& values,
                      std::string_view extra_name = {},
                      std::string_view extra_value = {}) {
    if (names.empty() && extra_name.empty())
        return "";
    std::string out = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i > 0)
            out += ',';
        out += names[i] + "=\"" + escape_label_value(values[i]) + '"';
    }
    if (!extra_name.empty()) {
        if (!names.empty())
            out += ',';
        out += std::string(extra_name) + "=\"" + escape_label_value(extra_value) + '"';
    }
    return out + "}";
}

} // namespace

std::string render_prometheus(const std::vector<family_snapshot>& families) {
    std::string out;
    for (const auto& family : families) {
        out += "# HELP " + family.name + ' ' + escape_help(family.help) + '\n';
        out += "# TYPE " + family.name + ' ' + std::string(to_string(family.type)) + '\n';
        for (const auto& series : family.series) {
            if (family.type != metric_type::histogram) {
                out += family.name + label_set(family.label_names, series.labels) + ' ' +
                       format_value(series.value) + '\n';
                continue;
            }
            for (std::size_t i = 0; i < series.cumulative.size(); ++i) {
                std::string le = i < series.upper_bounds.size()
                                     ? format_value(series.upper_bounds[i])
                                     : std::string("+Inf");
                out += family.name + "_bucket" +
                       label_set(family.label_names, series.labels, "le", le) + ' ' +
                       format_value(static_cast<double>(series.cumulative[i])) + '\n';
            }
            auto labels = label_set(family.label_names, series.labels);
            out += family.name + "_sum" + labels + ' ' + format_value(series.sum) + '\n';
            out += family.name + "_count" + labels + ' ' +
                   format_value(static_cast<double>(series.count)) + '\n';
        }
    }
    return out;
}

} // namespace grin::metrics
