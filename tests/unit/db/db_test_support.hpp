#pragma once
// Helpers for the db tests: bounded io_context runs, log capture, tmpfs mounts.
#include <grin/core/log.hpp>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "test_support.hpp"

namespace grin::test {

// Runs `context` until it has no work left or `cap` passes. True when it finished.
inline bool run_capped(boost::asio::io_context& context, std::chrono::seconds cap) {
    context.restart();
    context.run_for(cap);
    return context.stopped();
}

// Collects log lines (from any thread) while alive.
class log_capture {
public:
    log_capture() {
        previous_ = log::set_sink([this](log::level, std::string_view line) {
            std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        });
    }
    ~log_capture() { log::set_sink(previous_); }
    bool contains(const std::string& text) const {
        std::lock_guard lock(mutex_);
        for (const auto& line : lines_)
            if (line.find(text) != std::string::npos)
                return true;
        return false;
    }

private:
    log::sink previous_;
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

// A size-limited tmpfs on a fresh directory, unmounted when the object dies.
class tmpfs_mount {
public:
    explicit tmpfs_mount(const std::string& size) {
        std::filesystem::create_directories(dir_.path() / "mnt");
        mounted_ = run_command("mount -t tmpfs -o size=" + size + " tmpfs " + path().string(),
                               std::chrono::seconds(10))
                       .exit_code == 0;
    }
    ~tmpfs_mount() {
        if (mounted_)
            run_command("umount -l " + path().string(), std::chrono::seconds(10));
    }
    bool mounted() const { return mounted_; }
    std::filesystem::path path() const { return dir_.path() / "mnt"; }
    bool remount(const std::string& options) {
        return run_command("mount -o remount," + options + " " + path().string(),
                           std::chrono::seconds(10))
                   .exit_code == 0;
    }

private:
    temp_dir dir_;
    bool mounted_ = false;
};

} // namespace grin::test
