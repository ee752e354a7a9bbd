#include <grin/core/error.hpp>
#include <grin/run/session_lock.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace grin::run {

session_lock::session_lock(const std::filesystem::path& run_dir) {
    std::filesystem::create_directories(run_dir);
    auto file = run_dir / "session.lock";
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
        throw fatal("cannot open " + file.string() + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        int reason = errno;
        ::close(fd_);
        fd_ = -1;
        if (reason == EWOULDBLOCK)
            throw fatal("another grin process is working on " + run_dir.string() + " (it holds " +
                        file.string() + "); wait for it to finish or stop it");
        throw fatal("cannot lock " + file.string() + ": " + std::strerror(reason));
    }
}

session_lock::~session_lock() {
    if (fd_ >= 0)
        ::close(fd_); // closing releases the flock
}

} // namespace grin::run
