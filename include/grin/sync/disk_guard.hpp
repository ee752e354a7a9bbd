#pragma once
// sync::disk_guard: keeps the disk that receives the archives from filling up
// (grin-transfer-behaviour.md 4.11, fixed): the used fraction of the file system is
// checked before each download starts and every `recheck_bytes` while one runs. Over the
// threshold, new downloads wait (polling every `poll_interval`) until it drops below;
// downloads already running finish, since stopping one midway would only throw its
// bytes away. A threshold of 1.0 or more disables the guard.
//
// Threads: the I/O thread. The statvfs call is one system call, cheap enough for it.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>

namespace grin::sync {

struct disk_guard_params {
    std::filesystem::path path; // any existing directory on the watched file system
    double threshold = 0.9;     // used / total
    std::chrono::milliseconds poll_interval{2000};
    std::uint64_t recheck_bytes = 64ull << 20;
};

// used / total of the file system holding `path`; nullopt when it cannot be read.
std::optional<double> disk_usage_ratio(const std::filesystem::path& path);

class disk_guard {
public:
    // `usage` is injectable for tests; by default disk_usage_ratio(params.path).
    using usage_probe = std::function<std::optional<double>()>;
    disk_guard(boost::asio::any_io_executor executor,
               disk_guard_params params,
               usage_probe usage = {});

    // Returns when usage is below the threshold; honours cancellation of the caller.
    boost::asio::awaitable<void> wait_until_below();
    // Called by a running download as bytes arrive; re-checks every recheck_bytes so that
    // new downloads pause as soon as the disk crosses the threshold.
    void note_bytes(std::uint64_t bytes);

    bool paused() const noexcept { return paused_; }
    std::size_t waiting() const noexcept { return waiting_; }
    std::uint64_t pauses() const noexcept { return pauses_; }

private:
    bool over_threshold();

    boost::asio::any_io_executor executor_;
    disk_guard_params params_;
    usage_probe usage_;
    bool paused_ = false;
    std::size_t waiting_ = 0;
    std::uint64_t pauses_ = 0;
    std::uint64_t since_check_ = 0;
};

} // namespace grin::sync
