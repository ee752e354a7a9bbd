#pragma once
// A strict parser of the Prometheus text format 0.0.4, independent of grin's renderer:
// it accepts only "# HELP", "# TYPE" and sample lines, and throws std::runtime_error
// naming the line for anything else: a sample whose family has no TYPE before it, a
// family split in two, invalid metric or label names, bad escapes, a value that is not
// a float, duplicate series, and histograms whose buckets are not cumulative, do not end
// in le="+Inf", or disagree with _count.
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grin::test {

struct prom_sample {
    std::string name; // as written (with _bucket/_sum/_count)
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct prom_family {
    std::string name;
    std::string type;
    std::string help;
    std::vector<prom_sample> samples;
};

struct prom_exposition {
    std::map<std::string, prom_family> families;

    // The value of the sample `name` with exactly these labels, if present.
    std::optional<double> value(const std::string& name,
                                const std::map<std::string, std::string>& labels = {}) const;
    // Sum over every sample called `name` (any labels).
    double sum(const std::string& name) const;
};

prom_exposition parse_prometheus(const std::string& text);

} // namespace grin::test
