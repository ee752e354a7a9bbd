#pragma once
// Per-task counters of one queue and the "Task Statistics Summary" table grin-transfer
// prints at the end of each queue (grin-transfer-behaviour.md 4.7), e.g.
//   ✓ check 500/500 (100.0%) (480 completed, 20 skipped)
//   ⚠️  WARNING:  download 498/500 (99.6%) - 2 failed
//   ❌ CRITICAL: decrypt 0/3 (0.0%) - ALL FAILED
//   → check 12 books need conversion
// Threads: the I/O thread.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace grin::sync {

enum class task {
    check,
    request_conversion,
    track_conversion_failure,
    download,
    decrypt,
    unpack,
    upload,
    extract_ocr,
    extract_marc,
};
inline constexpr std::size_t task_count = 9;
std::string_view to_string(task which) noexcept;

enum class task_result { completed, skipped, failed, needs_conversion };

struct task_counts {
    std::uint64_t started = 0;
    std::uint64_t completed = 0;
    std::uint64_t skipped = 0;
    std::uint64_t failed = 0;
    std::uint64_t needs_conversion = 0;
};

class task_statistics {
public:
    // Counts one run of `which` that ended with `result`.
    void add(task which, task_result result);
    const task_counts& counts(task which) const noexcept;
    // The summary table, one line per task that ran; "" when none ran.
    std::string table() const;

private:
    std::array<task_counts, task_count> counts_{};
};

} // namespace grin::sync
