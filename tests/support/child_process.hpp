#pragma once
// A program started by a test: stdout+stderr captured, killed (SIGTERM, then SIGKILL)
// when the object dies, so a failing test never leaves a server behind.
#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace grin::test {

class child_process {
public:
    child_process(std::vector<std::string> argv, std::map<std::string, std::string> env = {});
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;
    ~child_process();

    // Reads output until a line containing `marker` appears; returns that line. Throws
    // std::runtime_error with the output so far when the process exits or the cap passes.
    std::string wait_for_line(const std::string& marker,
                              std::chrono::seconds cap = std::chrono::seconds(30));
    void signal(int number);
    // Waits for exit (reading output meanwhile); returns the exit code, 128+signal when
    // killed, or -1 when it did not exit within the cap.
    int wait(std::chrono::seconds cap = std::chrono::seconds(60));
    const std::string& output() const noexcept { return output_; }
    int pid() const noexcept { return pid_; }

private:
    bool read_some(std::chrono::milliseconds timeout);

    int pid_ = -1;
    int out_fd_ = -1;
    std::string output_;
    std::size_t scanned_ = 0;
    bool exited_ = false;
    int status_ = 0;
};

// A running grin-emulator with a credentials folder written for it.
struct emulator_instance {
    std::filesystem::path credentials_dir;
    std::string url; // https://127.0.0.1:PORT
    std::string ca_file;
    std::unique_ptr<child_process> process;
};

// Starts build/grin-emulator with `args` (plus --port 0, --write-credentials, --data-dir
// under `work_dir`) and waits until it listens.
emulator_instance start_emulator(const std::filesystem::path& work_dir,
                                 const std::vector<std::string>& args);

// The path of a binary built in this tree (grin, grin-emulator).
std::filesystem::path built_binary(const std::string& name);

} // namespace grin::test
