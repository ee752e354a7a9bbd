#pragma once
// A file that is either fully written or not there at all: data goes to a temporary file
// beside the target, and commit() fsyncs and renames it into place. Destroying an
// uncommitted atomic_file removes the temporary and leaves any previous target untouched.
// Throws grin::error (step "write") naming the path on any I/O failure, e.g. a full disk.
#include <filesystem>
#include <string_view>

namespace grin {

class atomic_file {
public:
    // mode: permission bits of the final file (0600 for credentials).
    explicit atomic_file(std::filesystem::path target, unsigned mode = 0644);
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;
    ~atomic_file();

    void write(std::string_view data);
    void commit();

    const std::filesystem::path& target() const noexcept { return target_; }

private:
    std::filesystem::path target_;
    std::filesystem::path temp_;
    int fd_ = -1;
    bool committed_ = false;
};

// Convenience: write the whole content atomically.
void write_file_atomically(const std::filesystem::path& target,
                           std::string_view content,
                           unsigned mode = 0644);

// Reads a whole file; throws grin::error naming the path when it cannot.
std::string read_file(const std::filesystem::path& path);

} // namespace grin
