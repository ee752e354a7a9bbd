#include <grin/metrics/registry.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace grin::metrics {

namespace {

void atomic_add(std::atomic<double>& target, double amount) noexcept {
    double seen = target.load(std::memory_order_relaxed);
    while (!target.compare_exchange_weak(seen, seen + amount, std::memory_order_relaxed)) {
    }
}

bool name_char(char c, bool first, bool colon) {
    bool letter =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    return letter || (!first && c >= '0' && c <= '9');
}

} // namespace

std::string_view to_string(metric_type type) noexcept {
    switch (type) {
    case metric_type::counter:
        return "counter";
    case metric_type::gauge:
        return "gauge";
    case metric_type::histogram:
        return "histogram";
    }
    return "untyped";
}

bool is_valid_metric_name(std::string_view name) noexcept {
    if (name.empty())
        return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (!name_char(name[i], i == 0, true))
            return false;
    return true;
}

bool is_valid_label_name(std::string_view name) noexcept {
    if (name.empty() || name.starts_with("__"))
        return false;
    for (std::size_t i = 0; i < name.size(); ++i)
        if (!name_char(name[i], i == 0, false))
            return false;
    return true;
}

void counter::inc(double amount) noexcept {
    atomic_add(value_, amount);
}

void gauge::add(double amount) noexcept {
    atomic_add(value_, amount);
}

histogram::histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds))
    , buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {
    if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
        std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end())
        throw std::invalid_argument("histogram bounds must be strictly ascending");
    if (!bounds_.empty() && std::isinf(bounds_.back()))
        bounds_.pop_back(); // +Inf is implied
}

void histogram::observe(double value) noexcept {
    auto bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
    buckets_[static_cast<std::size_t>(bucket)].fetch_add(1, std::memory_order_relaxed);
    atomic_add(sum_, value);
    count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> histogram::cumulative_counts() const {
    std::vector<std::uint64_t> result(bounds_.size() + 1);
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < result.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        result[i] = running;
    }
    return result;
}

std::vector<double> duration_buckets() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
            1,     2.5,    5,     10,   30,    60,   120, 300,  600};
}

template <class Metric>
family<Metric>::family(std::string name,
                       std::string help,
                       std::vector<std::string> label_names,
                       std::vector<double> upper_bounds)
    : name_(std::move(name))
    , help_(std::move(help))
    , label_names_(std::move(label_names))
    , upper_bounds_(std::move(upper_bounds)) {}

template <class Metric>
Metric& family<Metric>::with(const label_values& values) {
    if (values.size() != label_names_.size())
        throw std::invalid_argument(name_ + ": expected " + std::to_string(label_names_.size()) +
                                    " label values, got " + std::to_string(values.size()));
    std::lock_guard lock(mutex_);
    auto found = series_.find(values);
    if (found == series_.end()) {
        std::unique_ptr<Metric> created;
        if constexpr (std::is_same_v<Metric, histogram>)
            created = std::make_unique<Metric>(upper_bounds_);
        else
            created = std::make_unique<Metric>();
        found = series_.emplace(values, std::move(created)).first;
    }
    return *found->second;
}

template <class Metric>
family_snapshot family<Metric>::snapshot() const {
    family_snapshot result;
    result.name = name_;
    result.help = help_;
    result.label_names = label_names_;
    if constexpr (std::is_same_v<Metric, counter>)
        result.type = metric_type::counter;
    else if constexpr (std::is_same_v<Metric, gauge>)
        result.type = metric_type::gauge;
    else
        result.type = metric_type::histogram;
    std::lock_guard lock(mutex_);
    for (const auto& [labels, metric] : series_) {
        series_snapshot one;
        one.labels = labels;
        if constexpr (std::is_same_v<Metric, histogram>) {
            one.upper_bounds = metric->upper_bounds();
            one.cumulative = metric->cumulative_counts();
            one.sum = metric->sum();
            // The +Inf bucket and _count must agree even while observe() runs elsewhere.
            one.count = one.cumulative.back();
        } else {
            one.value = metric->value();
        }
        result.series.push_back(std::move(one));
    }
    return result;
}

template class family<counter>;
template class family<gauge>;
template class family<histogram>;

template <class Metric>
family<Metric>& registry::add(metric_type type,
                              const std::string& name,
                              const std::string& help,
                              std::vector<std::string> label_names,
                              std::vector<double> upper_bounds) {
    if (!is_valid_metric_name(name))
        throw std::invalid_argument("invalid metric name '" + name + "'");
    for (const auto& label : label_names)
        if (!is_valid_label_name(label) || (type == metric_type::histogram && label == "le"))
            throw std::invalid_argument("invalid label name '" + label + "' for " + name);
    std::lock_guard lock(mutex_);
    auto found = families_.find(name);
    if (found != families_.end()) {
        if (found->second.type != type || found->second.label_names != label_names)
            throw std::invalid_argument("metric " + name +
                                        " is already registered with another type or labels");
        return *static_cast<family<Metric>*>(found->second.family.get());
    }
    auto created =
        std::make_shared<family<Metric>>(name, help, label_names, std::move(upper_bounds));
    auto* raw = created.get();
    families_.emplace(name, entry{.type = type,
                                  .label_names = std::move(label_names),
                                  .family = created,
                                  .snapshot = [raw] { return raw->snapshot(); }});
    order_.push_back(name);
    return *raw;
}

counter_family& registry::counter(const std::string& name,
                                  const std::string& help,
                                  std::vector<std::string> label_names) {
    return add<metrics::counter>(metric_type::counter, name, help, std::move(label_names), {});
}

gauge_family& registry::gauge(const std::string& name,
                              const std::string& help,
                              std::vector<std::string> label_names) {
    return add<metrics::gauge>(metric_type::gauge, name, help, std::move(label_names), {});
}

histogram_family& registry::histogram(const std::string& name,
                                      const std::string& help,
                                      std::vector<std::string> label_names,
                                      std::vector<double> upper_bounds) {
    return add<metrics::histogram>(metric_type::histogram, name, help, std::move(label_names),
                                   std::move(upper_bounds));
}

std::size_t registry::add_collector(collector update) {
    std::lock_guard lock(collectors_mutex_);
    auto id = next_collector_++;
    collectors_.emplace(id, std::move(update));
    return id;
}

void registry::remove_collector(std::size_t id) {
    std::lock_guard lock(collectors_mutex_);
    collectors_.erase(id);
}

std::vector<family_snapshot> registry::collect() const {
    {
        std::lock_guard lock(collectors_mutex_);
        for (const auto& [id, update] : collectors_)
            update();
    }
    std::vector<std::function<family_snapshot()>> snapshots;
    {
        std::lock_guard lock(mutex_);
        for (const auto& name : order_)
            snapshots.push_back(families_.find(name)->second.snapshot);
    }
    std::vector<family_snapshot> result;
    result.reserve(snapshots.size());
    for (const auto& take : snapshots)
        result.push_back(take());
    return result;
}

} // namespace grin::metrics
