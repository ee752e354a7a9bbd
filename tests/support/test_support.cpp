#include "test_support.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <sys/wait.h>

namespace grin::test {

temp_dir::temp_dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/grin-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

temp_dir::~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path binary_dir() {
    if (const char* dir = std::getenv("GRIN_BINARY_DIR"))
        return dir;
    return std::filesystem::current_path();
}

std::filesystem::path source_dir() {
    if (const char* dir = std::getenv("GRIN_SOURCE_DIR"))
        return dir;
    return std::filesystem::current_path();
}

command_result run_command(const std::string& command, std::chrono::seconds cap) {
    std::string wrapped = "timeout -k 5 " + std::to_string(cap.count()) + " sh -c '" + [&] {
        std::string quoted;
        for (char c : command)
            quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
        return quoted;
    }() + "' 2>&1";
    command_result result;
    FILE* pipe = ::popen(wrapped.c_str(), "r");
    if (!pipe)
        throw std::runtime_error("popen failed for: " + command);
    std::array<char, 4096> buffer;
    std::size_t n;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
        result.output.append(buffer.data(), n);
    int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

bool have_program(const std::string& program) {
    return run_command("command -v " + program + " >/dev/null").exit_code == 0;
}

} // namespace grin::test
