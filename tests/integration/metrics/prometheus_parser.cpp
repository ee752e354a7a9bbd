#include "prometheus_parser.hpp"

#include <cmath>
#include <cstdlib>
#include <set>
#include <stdexcept>

namespace grin::test {

namespace {

[[noreturn]] void reject(std::size_t number, const std::string& line, const std::string& why) {
    throw std::runtime_error("line " + std::to_string(number) + ": " + why + ": '" + line + "'");
}

bool is_name(const std::string& name, bool colon) {
    if (name.empty())
        return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                  (colon && c == ':') || (i > 0 && c >= '0' && c <= '9');
        if (!ok)
            return false;
    }
    return true;
}

std::optional<double> parse_float(const std::string& text) {
    if (text == "+Inf" || text == "Inf")
        return INFINITY;
    if (text == "-Inf")
        return -INFINITY;
    if (text == "NaN")
        return NAN;
    if (text.empty())
        return std::nullopt;
    char* end = nullptr;
    double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size())
        return std::nullopt;
    // strtod accepts "inf", "nan", hex: the format does not.
    for (char c : text)
        if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'))
            return std::nullopt;
    return value;
}

std::string base_name(const std::string& sample,
                      const std::map<std::string, prom_family>& families) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string s(suffix);
        if (sample.size() > s.size() &&
            sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
            auto base = sample.substr(0, sample.size() - s.size());
            auto found = families.find(base);
            if (found != families.end() && found->second.type == "histogram")
                return base;
        }
    }
    return sample;
}

void check_histogram(const prom_family& family) {
    // Group by the labels without le.
    struct series {
        std::vector<std::pair<double, double>> buckets; // le, count in order of appearance
        std::optional<double> sum, count;
    };
    std::map<std::map<std::string, std::string>, series> groups;
    for (const auto& sample : family.samples) {
        auto labels = sample.labels;
        if (sample.name == family.name + "_bucket") {
            auto le = labels.find("le");
            if (le == labels.end())
                throw std::runtime_error(family.name + ": bucket without le");
            auto bound = parse_float(le->second);
            if (!bound)
                throw std::runtime_error(family.name + ": le is not a float: " + le->second);
            labels.erase(le);
            groups[labels].buckets.emplace_back(*bound, sample.value);
        } else if (sample.name == family.name + "_sum") {
            groups[labels].sum = sample.value;
        } else if (sample.name == family.name + "_count") {
            groups[labels].count = sample.value;
        } else {
            throw std::runtime_error(family.name + ": histogram sample " + sample.name);
        }
    }
    for (const auto& [labels, one] : groups) {
        if (one.buckets.empty() || !one.sum || !one.count)
            throw std::runtime_error(family.name +
                                     ": histogram series without buckets, _sum or _count");
        for (std::size_t i = 1; i < one.buckets.size(); ++i) {
            if (!(one.buckets[i].first > one.buckets[i - 1].first))
                throw std::runtime_error(family.name + ": le not ascending");
            if (one.buckets[i].second < one.buckets[i - 1].second)
                throw std::runtime_error(family.name + ": buckets not cumulative");
        }
        if (!std::isinf(one.buckets.back().first) || one.buckets.back().first < 0)
            throw std::runtime_error(family.name + ": last bucket is not +Inf");
        if (one.buckets.back().second != *one.count)
            throw std::runtime_error(family.name + ": +Inf bucket differs from _count");
    }
}

} // namespace

prom_exposition parse_prometheus(const std::string& text) {
    prom_exposition result;
    std::set<std::string> finished; // families whose samples are over
    std::string current;
    std::set<std::string> seen_series;
    std::size_t number = 0;
    std::size_t start = 0;
    if (!text.empty() && text.back() != '\n')
        throw std::runtime_error("exposition does not end with a newline");
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        std::string line = text.substr(start, end - start);
        start = end + 1;
        ++number;
        if (line.empty())
            reject(number, line, "empty line");
        if (line[0] == '#') {
            bool help = line.rfind("# HELP ", 0) == 0;
            bool type = line.rfind("# TYPE ", 0) == 0;
            if (!help && !type)
                reject(number, line, "comment other than HELP or TYPE");
            auto rest = line.substr(7);
            auto space = rest.find(' ');
            if (space == std::string::npos)
                reject(number, line, "HELP/TYPE without text");
            std::string name = rest.substr(0, space);
            std::string value = rest.substr(space + 1);
            if (!is_name(name, true))
                reject(number, line, "invalid metric name");
            if (finished.contains(name))
                reject(number, line, "family appears twice");
            if (name != current) {
                if (!current.empty())
                    finished.insert(current);
                current = name;
            }
            auto& family = result.families[name];
            family.name = name;
            if (help) {
                if (!family.help.empty())
                    reject(number, line, "second HELP");
                for (std::size_t i = 0; i < value.size(); ++i)
                    if (value[i] == '\\' &&
                        (i + 1 >= value.size() || (value[i + 1] != '\\' && value[i + 1] != 'n')))
                        reject(number, line, "bad escape in HELP");
                    else if (value[i] == '\\')
                        ++i;
                family.help = value.empty() ? " " : value;
            } else {
                if (!family.type.empty())
                    reject(number, line, "second TYPE");
                if (!family.samples.empty())
                    reject(number, line, "TYPE after samples");
                static const std::set<std::string> types = {"counter", "gauge", "histogram",
                                                            "summary", "untyped"};
                if (!types.contains(value))
                    reject(number, line, "unknown type");
                family.type = value;
            }
            continue;
        }
        // name{labels} value
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ')
            ++i;
        prom_sample sample;
        sample.name = line.substr(0, i);
        if (!is_name(sample.name, true))
            reject(number, line, "invalid metric name");
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                std::size_t eq = line.find('=', i);
                if (eq == std::string::npos)
                    reject(number, line, "label without '='");
                std::string label = line.substr(i, eq - i);
                if (!is_name(label, false) || label.rfind("__", 0) == 0)
                    reject(number, line, "invalid label name '" + label + "'");
                i = eq + 1;
                if (i >= line.size() || line[i] != '"')
                    reject(number, line, "label value not quoted");
                ++i;
                std::string value;
                bool closed = false;
                while (i < line.size()) {
                    char c = line[i++];
                    if (c == '"') {
                        closed = true;
                        break;
                    }
                    if (c == '\\') {
                        if (i >= line.size())
                            reject(number, line, "dangling escape");
                        char e = line[i++];
                        if (e == '\\')
                            value += '\\';
                        else if (e == '"')
                            value += '"';
                        else if (e == 'n')
                            value += '\n';
                        else
                            reject(number, line, "bad escape in label value");
                    } else {
                        value += c;
                    }
                }
                if (!closed)
                    reject(number, line, "unterminated label value");
                if (!sample.labels.emplace(label, value).second)
                    reject(number, line, "duplicate label");
                if (i < line.size() && line[i] == ',') {
                    ++i;
                    if (i < line.size() && line[i] == '}')
                        reject(number, line, "trailing comma");
                } else if (i >= line.size() || line[i] != '}') {
                    reject(number, line, "expected ',' or '}'");
                }
            }
            if (i >= line.size())
                reject(number, line, "unterminated label set");
            ++i; // '}'
        }
        if (i >= line.size() || line[i] != ' ')
            reject(number, line, "no space before the value");
        std::string rest = line.substr(i + 1);
        auto space = rest.find(' ');
        std::string value_text = rest.substr(0, space);
        if (space != std::string::npos) {
            std::string timestamp = rest.substr(space + 1);
            char* end = nullptr;
            std::strtoll(timestamp.c_str(), &end, 10);
            if (timestamp.empty() || end != timestamp.c_str() + timestamp.size())
                reject(number, line, "bad timestamp");
        }
        auto value = parse_float(value_text);
        if (!value)
            reject(number, line, "value is not a float");
        sample.value = *value;
        std::string family_name = base_name(sample.name, result.families);
        auto found = result.families.find(family_name);
        if (found == result.families.end() || found->second.type.empty())
            reject(number, line, "sample without a TYPE before it");
        if (family_name != current)
            reject(number, line, "sample outside its family's block");
        std::string key = sample.name + "{";
        for (const auto& [k, v] : sample.labels)
            key += k + "=" + v + ",";
        if (!seen_series.insert(key).second)
            reject(number, line, "duplicate series");
        if (found->second.type == "counter" && sample.value < 0)
            reject(number, line, "negative counter");
        found->second.samples.push_back(std::move(sample));
    }
    for (const auto& [name, family] : result.families)
        if (family.type == "histogram")
            check_histogram(family);
    return result;
}

std::optional<double>
prom_exposition::value(const std::string& name,
                       const std::map<std::string, std::string>& labels) const {
    for (const auto& [family_name, family] : families)
        for (const auto& sample : family.samples)
            if (sample.name == name && sample.labels == labels)
                return sample.value;
    return std::nullopt;
}

double prom_exposition::sum(const std::string& name) const {
    double total = 0;
    for (const auto& [family_name, family] : families)
        for (const auto& sample : family.samples)
            if (sample.name == name)
                total += sample.value;
    return total;
}

} // namespace grin::test
