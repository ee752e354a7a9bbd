#include <grin/core/log.hpp>
#include <grin/sync/disk_guard.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <sys/statvfs.h>

namespace grin::sync {
namespace asio = boost::asio;

std::optional<double> disk_usage_ratio(const std::filesystem::path& path) {
    struct statvfs info {};
    if (::statvfs(path.c_str(), &info) != 0 || info.f_blocks == 0)
        return std::nullopt;
    // f_bavail, as df does: the space an unprivileged writer can still use.
    double total = static_cast<double>(info.f_blocks);
    double available = static_cast<double>(info.f_bavail);
    double used = static_cast<double>(info.f_blocks - info.f_bfree);
    return used / (used + available > 0 ? used + available : total);
}

disk_guard::disk_guard(asio::any_io_executor executor, disk_guard_params params, usage_probe usage)
    : executor_(std::move(executor)), params_(std::move(params)), usage_(std::move(usage)) {
    if (!usage_) {
        auto path = params_.path;
        usage_ = [path] { return disk_usage_ratio(path); };
    }
}

bool disk_guard::over_threshold() {
    if (params_.threshold >= 1.0)
        return false;
    auto ratio = usage_();
    bool over = ratio && *ratio >= params_.threshold;
    if (over && !paused_) {
        ++pauses_;
        char text[160];
        std::snprintf(text, sizeof text,
                      "disk usage %.1f%% of %s is over the %.1f%% threshold: new downloads "
                      "wait until space is freed",
                      *ratio * 100, params_.path.c_str(), params_.threshold * 100);
        log::warning(text);
    } else if (!over && paused_) {
        log::info("disk usage below the threshold again: downloads resume");
    }
    paused_ = over;
    return over;
}

asio::awaitable<void> disk_guard::wait_until_below() {
    if (!over_threshold())
        co_return;
    ++waiting_;
    struct leave {
        std::size_t& count;
        ~leave() { --count; }
    } on_exit{waiting_};
    asio::steady_timer timer(executor_);
    do {
        timer.expires_after(params_.poll_interval);
        co_await timer.async_wait(asio::use_awaitable);
    } while (over_threshold());
}

void disk_guard::note_bytes(std::uint64_t bytes) {
    since_check_ += bytes;
    if (since_check_ >= params_.recheck_bytes) {
        since_check_ = 0;
        over_threshold();
    }
}

} // namespace grin::sync
