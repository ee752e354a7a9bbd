#include <grin/core/progress.hpp>
#include <grin/sync/task_statistics.hpp>

#include <cstdio>

namespace grin::sync {

std::string_view to_string(task which) noexcept {
    switch (which) {
    case task::check:
        return "check";
    case task::request_conversion:
        return "request_conversion";
    case task::track_conversion_failure:
        return "track_conversion_failure";
    case task::download:
        return "download";
    case task::decrypt:
        return "decrypt";
    case task::unpack:
        return "unpack";
    case task::upload:
        return "upload";
    case task::extract_ocr:
        return "extract_ocr";
    case task::extract_marc:
        return "extract_marc";
    }
    return "unknown";
}

void task_statistics::add(task which, task_result result) {
    task_counts& c = counts_[static_cast<std::size_t>(which)];
    ++c.started;
    switch (result) {
    case task_result::completed:
        ++c.completed;
        break;
    case task_result::skipped:
        ++c.skipped;
        break;
    case task_result::failed:
        ++c.failed;
        break;
    case task_result::needs_conversion:
        ++c.needs_conversion;
        break;
    }
}

const task_counts& task_statistics::counts(task which) const noexcept {
    return counts_[static_cast<std::size_t>(which)];
}

std::string task_statistics::table() const {
    std::string out;
    for (std::size_t i = 0; i < task_count; ++i) {
        const task_counts& c = counts_[i];
        if (c.started == 0)
            continue;
        auto name = std::string(to_string(static_cast<task>(i)));
        std::uint64_t ok = c.completed + c.skipped + c.needs_conversion;
        char percent[32];
        std::snprintf(percent, sizeof percent, "%.1f%%",
                      100.0 * static_cast<double>(ok) / static_cast<double>(c.started));
        std::string ratio =
            with_thousands(ok) + "/" + with_thousands(c.started) + " (" + percent + ")";
        if (ok == 0)
            out += "  ❌ CRITICAL: " + name + " " + ratio + " - ALL FAILED\n";
        else if (c.failed > 0)
            out += "  ⚠️  WARNING:  " + name + " " + ratio + " - " + with_thousands(c.failed) +
                   " failed\n";
        else
            out += "  ✓ " + name + " " + ratio + " (" + with_thousands(c.completed) +
                   " completed, " + with_thousands(c.skipped) + " skipped)\n";
        if (c.needs_conversion > 0)
            out += "  → " + name + " " + with_thousands(c.needs_conversion) +
                   " books need conversion\n";
    }
    return out;
}

} // namespace grin::sync
