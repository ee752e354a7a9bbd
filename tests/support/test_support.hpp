#pragma once
// Helpers shared by every test binary.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace grin::test {

// A fresh directory under $TMPDIR, removed (recursively) when the object dies.
class temp_dir {
public:
    temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir();
    const std::filesystem::path& path() const noexcept { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Build and source directories, from the environment ctest sets (GRIN_BINARY_DIR,
// GRIN_SOURCE_DIR), falling back to the compile-time values.
std::filesystem::path binary_dir();
std::filesystem::path source_dir();

struct command_result {
    int exit_code = -1;
    std::string output; // stdout and stderr interleaved
};

// Runs a shell command with a hard time cap (the child is killed at the cap and the
// result's exit_code is then 124, like timeout(1)).
command_result run_command(const std::string& command,
                           std::chrono::seconds cap = std::chrono::seconds(60));

// True when `program` is found on PATH.
bool have_program(const std::string& program);

// One entry of a directory tree as a "wrote nothing" test compares it: a change of any
// field (a file created and deleted again moves its directory's mtime) is a write.
struct file_state {
    std::string name;             // relative to the listed directory; directories end in '/'
    std::uintmax_t size = 0;      // 0 for directories
    std::int64_t mtime_ns = 0;    // st_mtim
    std::size_t content_hash = 0; // of the bytes, for regular files
    bool operator==(const file_state&) const = default;
};

// Every entry under `dir` (recursively, `dir` itself included as "./"), sorted by name.
std::vector<file_state> directory_state(const std::filesystem::path& dir);

// One line per entry, for failure messages.
std::string describe(const std::vector<file_state>& state);

} // namespace grin::test
