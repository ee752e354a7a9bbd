#include "test_support.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <sys/stat.h>
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
    // ctest does not pass GRIN_SOURCE_DIR (gtest_discover_tests keeps only the first
    // ENVIRONMENT entry, see tests/unit/storage/CMakeLists.txt): the configured tree.
    return GRIN_TEST_SOURCE_DIR;
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

namespace {

file_state state_of(const std::filesystem::path& path, std::string name) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0)
        throw std::runtime_error("cannot stat " + path.string());
    file_state state;
    state.mtime_ns = std::int64_t{info.st_mtim.tv_sec} * 1'000'000'000 + info.st_mtim.tv_nsec;
    if (S_ISDIR(info.st_mode)) {
        state.name = std::move(name) + "/";
        return state;
    }
    state.name = std::move(name);
    state.size = static_cast<std::uintmax_t>(info.st_size);
    if (S_ISREG(info.st_mode)) {
        std::ifstream in(path, std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        state.content_hash = std::hash<std::string>{}(bytes);
    }
    return state;
}

} // namespace

std::vector<file_state> directory_state(const std::filesystem::path& dir) {
    std::vector<file_state> states;
    states.push_back(state_of(dir, "."));
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
        states.push_back(
            state_of(entry.path(), entry.path().lexically_relative(dir).generic_string()));
    std::sort(states.begin(), states.end(),
              [](const file_state& a, const file_state& b) { return a.name < b.name; });
    return states;
}

std::string describe(const std::vector<file_state>& state) {
    std::string text;
    for (const auto& entry : state)
        text += entry.name + " size=" + std::to_string(entry.size) +
                " mtime_ns=" + std::to_string(entry.mtime_ns) +
                " hash=" + std::to_string(entry.content_hash) + "\n";
    return text;
}

} // namespace grin::test
