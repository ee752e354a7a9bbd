#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace grin {
namespace {

[[noreturn]] void throw_io(const std::string& what, const std::filesystem::path& path) {
    throw error(what + " " + path.string() + ": " + std::strerror(errno), {.step = "write"});
}

} // namespace

atomic_file::atomic_file(std::filesystem::path target, unsigned mode) : target_(std::move(target)) {
    auto dir = target_.parent_path();
    std::error_code failed;
    if (!dir.empty() && !std::filesystem::create_directories(dir, failed) && failed)
        throw error("cannot create directory " + dir.string() + ": " + failed.message(),
                    {.step = "write"});
    std::string pattern = (dir.empty() ? std::filesystem::path(".") : dir).string() + "/." +
                          target_.filename().string() + ".tmp.XXXXXX";
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0)
        throw_io("cannot create a temporary file for", target_);
    temp_ = pattern;
    if (::fchmod(fd_, static_cast<mode_t>(mode)) != 0)
        throw_io("cannot set permissions on", temp_);
}

atomic_file::~atomic_file() {
    if (fd_ >= 0)
        ::close(fd_);
    if (!committed_ && !temp_.empty())
        ::unlink(temp_.c_str());
}

void atomic_file::write(std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd_, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_io("cannot write", temp_);
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

void atomic_file::commit() {
    if (::fsync(fd_) != 0)
        throw_io("cannot flush", temp_);
    if (::close(fd_) != 0) {
        fd_ = -1;
        throw_io("cannot close", temp_);
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), target_.c_str()) != 0)
        throw_io("cannot rename into place", target_);
    committed_ = true;
}

void write_file_atomically(const std::filesystem::path& target,
                           std::string_view content,
                           unsigned mode) {
    atomic_file file(target, mode);
    file.write(content);
    file.commit();
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw error("cannot open " + path.string() + ": " + std::strerror(errno), {.step = "read"});
    std::ostringstream content;
    content << in.rdbuf();
    return std::move(content).str();
}

} // namespace grin
