#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/time.hpp>
#include <grin/run/process_summary.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace grin::run {

using nlohmann::json;

namespace {

json load_or_start(const std::filesystem::path& file, const std::string& run_name) {
    std::error_code missing;
    if (std::filesystem::exists(file, missing)) {
        try {
            json existing = json::parse(read_file(file));
            if (existing.is_object())
                return existing;
        } catch (const std::exception& e) {
            auto aside = file;
            aside += ".corrupt";
            std::error_code ignored;
            std::filesystem::rename(file, aside, ignored);
            log::warning("process summary " + file.string() + " could not be read (" + e.what() +
                         "); kept as " + aside.string() + ", starting a new one");
        }
    }
    return json{{"run_name", run_name}, {"stages", json::object()}};
}

// Serializes read-modify-write of the summary between processes.
class summary_lock {
public:
    explicit summary_lock(const std::filesystem::path& file) {
        auto path = file;
        path += ".lock";
        fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd_ >= 0)
            ::flock(fd_, LOCK_EX);
    }
    summary_lock(const summary_lock&) = delete;
    summary_lock& operator=(const summary_lock&) = delete;
    ~summary_lock() {
        if (fd_ >= 0)
            ::close(fd_); // releases the lock
    }

private:
    int fd_ = -1;
};

} // namespace

void mark_stage_active(const std::filesystem::path& file,
                       const std::string& run_name,
                       const std::string& stage) {
    try {
        summary_lock lock(file);
        json summary = load_or_start(file, run_name);
        const std::string now = format_iso8601_utc(now_utc());
        if (!summary.contains("run_start_time"))
            summary["run_start_time"] = now;
        summary["active"] = {{"stage", stage}, {"since", now}, {"pid", ::getpid()}};
        write_file_atomically(file, summary.dump(2) + "\n");
    } catch (const std::exception& e) {
        log::warning("could not update the process summary " + file.string() + ": " + e.what());
    }
}

void record_stage_run(const std::filesystem::path& file,
                      const std::string& run_name,
                      const stage_run& run) {
    summary_lock lock(file);
    json summary = load_or_start(file, run_name);
    if (summary.contains("active") && summary["active"].value("pid", 0) == ::getpid())
        summary.erase("active");
    const std::string started = format_iso8601_utc(run.started);
    const std::string finished = format_iso8601_utc(run.finished);
    const double seconds = std::chrono::duration<double>(run.finished - run.started).count();
    if (!summary.contains("run_start_time"))
        summary["run_start_time"] = started;
    summary["last_updated"] = finished;
    json& stage = summary["stages"][run.stage];
    if (!stage.is_object())
        stage = json::object();
    stage["runs"] = stage.value("runs", 0) + 1;
    if (!stage.contains("first_start_time"))
        stage["first_start_time"] = started;
    stage["last_end_time"] = finished;
    stage["total_duration_seconds"] = stage.value("total_duration_seconds", 0.0) + seconds;
    json& counters = stage["counters"];
    if (!counters.is_object())
        counters = json::object();
    for (const auto& [name, value] : run.counters)
        counters[name] = counters.value(name, std::uint64_t{0}) + value;
    json details = json::parse(run.details_json, nullptr, false);
    stage["last_run"] = {{"start_time", started},
                         {"end_time", finished},
                         {"duration_seconds", seconds},
                         {"counters", run.counters},
                         {"errors", run.errors},
                         {"details", details.is_discarded() ? json::object() : details}};
    write_file_atomically(file, summary.dump(2) + "\n");
}

void record_stage_run_or_warn(const std::filesystem::path& file,
                              const std::string& run_name,
                              const stage_run& run) {
    try {
        record_stage_run(file, run_name, run);
    } catch (const std::exception& e) {
        log::warning("could not update the process summary " + file.string() + ": " + e.what());
    }
}

std::vector<std::string> top_reasons(const std::map<std::string, std::uint64_t>& counts,
                                     std::size_t most) {
    std::vector<std::pair<std::uint64_t, std::string>> ranked;
    for (const auto& [reason, count] : counts)
        ranked.emplace_back(count, reason);
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::string> lines;
    for (std::size_t i = 0; i < ranked.size() && i < most; ++i)
        lines.push_back(std::to_string(ranked[i].first) + " x " + ranked[i].second);
    return lines;
}

} // namespace grin::run
