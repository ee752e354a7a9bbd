#pragma once
// metrics::registry: named counters, gauges and histograms with labels (DESIGN section 3),
// rendered as Prometheus text (prometheus.hpp) or JSON (snapshot.hpp).
//
// Updates are cheap and lock-free: a series is looked up once (family.with(...), which
// locks the family) and then updated through the returned reference with atomics. Hot
// paths keep the reference. Figures another object already counts (the HTTPS pool, the
// database actor, the stage gates) are copied in by collectors, which collect() runs
// just before it snapshots, on the caller's thread: the scrape runs on the command's I/O
// thread, so a collector may read state owned by that thread.
//
// Threads: every member may be called from any thread. References returned by with()
// stay valid as long as the registry.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace grin::metrics {

enum class metric_type { counter, gauge, histogram };
std::string_view to_string(metric_type type) noexcept;

using label_values = std::vector<std::string>;

// A value that only goes up (or is copied from a counter kept elsewhere: set_total()).
class counter {
public:
    void inc(double amount = 1) noexcept;
    // For collectors mirroring a monotonic figure counted elsewhere.
    void set_total(double total) noexcept { value_.store(total, std::memory_order_relaxed); }
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

class gauge {
public:
    void set(double value) noexcept { value_.store(value, std::memory_order_relaxed); }
    void add(double amount) noexcept;
    double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
    std::atomic<double> value_{0};
};

// Fixed upper bounds (ascending, +Inf implied); observe() is a bucket search and three
// atomic updates.
class histogram {
public:
    explicit histogram(std::vector<double> upper_bounds);
    void observe(double value) noexcept;

    const std::vector<double>& upper_bounds() const noexcept { return bounds_; }
    // Counts per bucket, cumulative (Prometheus' le semantics), the +Inf bucket last.
    std::vector<std::uint64_t> cumulative_counts() const;
    double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }
    std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

private:
    std::vector<double> bounds_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_; // bounds_.size() + 1
    std::atomic<double> sum_{0};
    std::atomic<std::uint64_t> count_{0};
};

// Buckets for durations in seconds: 1 ms .. 10 min.
std::vector<double> duration_buckets();

// One series of a family at snapshot time.
struct series_snapshot {
    label_values labels;
    double value = 0;                      // counter, gauge
    std::vector<double> upper_bounds;      // histogram
    std::vector<std::uint64_t> cumulative; // histogram, the +Inf bucket last
    double sum = 0;
    std::uint64_t count = 0;
};

struct family_snapshot {
    std::string name;
    std::string help;
    metric_type type = metric_type::counter;
    std::vector<std::string> label_names;
    std::vector<series_snapshot> series; // sorted by labels
};

// Names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: [a-zA-Z_][a-zA-Z0-9_]*, not "__"-prefixed.
bool is_valid_metric_name(std::string_view name) noexcept;
bool is_valid_label_name(std::string_view name) noexcept;

template <class Metric>
class family {
public:
    family(std::string name,
           std::string help,
           std::vector<std::string> label_names,
           std::vector<double> upper_bounds = {});
    family(const family&) = delete;
    family& operator=(const family&) = delete;

    // The series with these label values (as many as label names), created on first use.
    // Throws std::invalid_argument on a wrong number of values.
    Metric& with(const label_values& values = {});

    const std::string& name() const noexcept { return name_; }
    family_snapshot snapshot() const;

private:
    std::string name_;
    std::string help_;
    std::vector<std::string> label_names_;
    std::vector<double> upper_bounds_;
    mutable std::mutex mutex_;
    std::map<label_values, std::unique_ptr<Metric>> series_;
};

using counter_family = family<counter>;
using gauge_family = family<gauge>;
using histogram_family = family<histogram>;

class registry {
public:
    registry() = default;
    registry(const registry&) = delete;
    registry& operator=(const registry&) = delete;

    // The family of that name, created on first use. Throws std::invalid_argument for an
    // invalid name or label name, or a name already registered with another type or labels.
    counter_family& counter(const std::string& name,
                            const std::string& help,
                            std::vector<std::string> label_names = {});
    gauge_family& gauge(const std::string& name,
                        const std::string& help,
                        std::vector<std::string> label_names = {});
    histogram_family& histogram(const std::string& name,
                                const std::string& help,
                                std::vector<std::string> label_names = {},
                                std::vector<double> upper_bounds = duration_buckets());

    // Runs before every collect(); see the header comment. Returns an id for remove.
    using collector = std::function<void()>;
    std::size_t add_collector(collector update);
    void remove_collector(std::size_t id);

    // Runs the collectors, then snapshots every family in registration order.
    std::vector<family_snapshot> collect() const;

private:
    struct entry {
        metric_type type;
        std::vector<std::string> label_names;
        std::shared_ptr<void> family; // family<M>
        std::function<family_snapshot()> snapshot;
    };
    template <class Metric>
    family<Metric>& add(metric_type type,
                        const std::string& name,
                        const std::string& help,
                        std::vector<std::string> label_names,
                        std::vector<double> upper_bounds);

    mutable std::mutex mutex_;
    std::vector<std::string> order_;
    std::map<std::string, entry, std::less<>> families_;
    mutable std::mutex collectors_mutex_;
    std::map<std::size_t, collector> collectors_;
    std::size_t next_collector_ = 1;
};

} // namespace grin::metrics
