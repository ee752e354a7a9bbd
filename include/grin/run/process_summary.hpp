#pragma once
// output/<run>/process_summary.json: what every command did, per stage ("collect",
// "sync", ...), accumulated over the run's life (grin-transfer-behaviour.md 2.1 and 1.8):
//   {"run_name": "...", "run_start_time": "...", "last_updated": "...",
//    "stages": {"sync": {"runs": 3, "first_start_time": "...", "last_end_time": "...",
//                        "total_duration_seconds": 812.4,
//                        "counters": {"synced": 1200, "failed": 3, ...},
//                        "last_run": {"start_time": "...", "end_time": "...",
//                                     "duration_seconds": 20.1, "counters": {...},
//                                     "errors": ["..."], "details": {...}}}}}
// Counters add up over runs (grin-transfer kept only the first run's timing; we keep both
// the first start and the last run). Written atomically; a file that cannot be parsed is
// kept aside as process_summary.json.corrupt and a new one started, so a damaged summary
// never stops a run. Updates hold an exclusive lock on <file>.lock, so two commands of
// one run (an export beside a sync) never lose each other's update.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace grin::run {

struct stage_run {
    std::string stage; // "collect", "sync"
    std::chrono::system_clock::time_point started;
    std::chrono::system_clock::time_point finished;
    std::map<std::string, std::uint64_t> counters;
    std::vector<std::string> errors; // the most frequent failure reasons, at most a few
    std::string details_json = "{}"; // any JSON object (e.g. flags used, pool statistics)
};

// Marks `stage` as running in this process ("active": {"stage", "since", "pid"}), so that
// `grin reports view` can say what is running now; record_stage_run clears it. A marker
// whose process is gone tells of an interrupted run. Never throws: the summary must not
// stop a run (a failure is logged).
void mark_stage_active(const std::filesystem::path& file,
                       const std::string& run_name,
                       const std::string& stage);

// Adds `run` to the summary file of `run_name` at `file`. Throws grin::error (step
// "summary") only when the file cannot be written.
void record_stage_run(const std::filesystem::path& file,
                      const std::string& run_name,
                      const stage_run& run);

// The same for the end of a command, where a summary that cannot be written must not
// change the command's outcome: a failure is logged as a warning.
void record_stage_run_or_warn(const std::filesystem::path& file,
                              const std::string& run_name,
                              const stage_run& run);

// stage_run::errors from failure counts: the `most` most frequent reasons as
// "<count> x <reason>", most frequent first.
std::vector<std::string> top_reasons(const std::map<std::string, std::uint64_t>& counts,
                                     std::size_t most = 5);

} // namespace grin::run
