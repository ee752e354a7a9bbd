#include "child_process.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#include "test_support.hpp"

extern char** environ;

namespace grin::test {

child_process::child_process(std::vector<std::string> argv,
                             std::map<std::string, std::string> env) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0)
        throw std::runtime_error("pipe failed");
    pid_ = ::fork();
    if (pid_ < 0)
        throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(pipe_fds[1], 1);
        ::dup2(pipe_fds[1], 2);
        for (const auto& [key, value] : env)
            ::setenv(key.c_str(), value.c_str(), 1);
        std::vector<char*> args;
        for (auto& arg : argv)
            args.push_back(arg.data());
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        std::fprintf(stderr, "exec %s failed: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(pipe_fds[1]);
    out_fd_ = pipe_fds[0];
}

child_process::~child_process() {
    if (!exited_ && pid_ > 0) {
        ::kill(pid_, SIGTERM);
        if (wait(std::chrono::seconds(5)) == -1) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, &status_, 0);
        }
    }
    if (out_fd_ >= 0)
        ::close(out_fd_);
}

bool child_process::read_some(std::chrono::milliseconds timeout) {
    pollfd descriptor{out_fd_, POLLIN, 0};
    if (::poll(&descriptor, 1, static_cast<int>(timeout.count())) <= 0)
        return false;
    char buffer[4096];
    ssize_t n = ::read(out_fd_, buffer, sizeof buffer);
    if (n <= 0)
        return false;
    output_.append(buffer, static_cast<std::size_t>(n));
    return true;
}

std::string child_process::wait_for_line(const std::string& marker, std::chrono::seconds cap) {
    auto deadline = std::chrono::steady_clock::now() + cap;
    for (;;) {
        auto found = output_.find(marker, scanned_);
        if (found != std::string::npos) {
            auto start = output_.rfind('\n', found);
            start = start == std::string::npos ? 0 : start + 1;
            auto end = output_.find('\n', found);
            if (end != std::string::npos) {
                scanned_ = end + 1;
                return output_.substr(start, end - start);
            }
        }
        if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("timed out waiting for '" + marker + "'; output:\n" + output_);
        int status;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            while (read_some(std::chrono::milliseconds(10))) {
            }
            exited_ = true;
            status_ = status;
            throw std::runtime_error("process exited before '" + marker + "'; output:\n" + output_);
        }
        read_some(std::chrono::milliseconds(100));
    }
}

void child_process::signal(int number) {
    if (!exited_)
        ::kill(pid_, number);
}

int child_process::wait(std::chrono::seconds cap) {
    auto deadline = std::chrono::steady_clock::now() + cap;
    while (!exited_) {
        int status;
        pid_t done = ::waitpid(pid_, &status, WNOHANG);
        if (done == pid_) {
            exited_ = true;
            status_ = status;
            break;
        }
        if (std::chrono::steady_clock::now() > deadline)
            return -1;
        read_some(std::chrono::milliseconds(50));
    }
    while (read_some(std::chrono::milliseconds(10))) {
    }
    return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
}

std::filesystem::path built_binary(const std::string& name) {
    return binary_dir() / name;
}

emulator_instance start_emulator(const std::filesystem::path& work_dir,
                                 const std::vector<std::string>& args) {
    emulator_instance instance;
    instance.credentials_dir = work_dir / "credentials";
    std::vector<std::string> argv = {built_binary("grin-emulator").string(),
                                     "--port",
                                     "0",
                                     "--data-dir",
                                     (work_dir / "emulator-data").string(),
                                     "--write-credentials",
                                     instance.credentials_dir.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    instance.process = std::make_unique<child_process>(argv);
    auto line = instance.process->wait_for_line("listening on ", std::chrono::seconds(60));
    instance.url = line.substr(line.find("https://"));
    instance.ca_file = (instance.credentials_dir / "emulator-ca.pem").string();
    return instance;
}

} // namespace grin::test
