#pragma once
// One process at a time per run: an exclusive flock on output/<run>/session.lock (the
// same file and lock grin-transfer takes, so the two tools also exclude each other).
// The kernel drops the lock when the process dies, even by kill -9.
#include <filesystem>

namespace grin::run {

class session_lock {
public:
    // Throws grin::fatal when another process holds the lock.
    explicit session_lock(const std::filesystem::path& run_dir);
    session_lock(const session_lock&) = delete;
    session_lock& operator=(const session_lock&) = delete;
    ~session_lock();

private:
    int fd_ = -1;
};

} // namespace grin::run
