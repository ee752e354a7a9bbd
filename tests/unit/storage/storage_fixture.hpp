#pragma once
// A local_storage over a fresh directory, a file thread pool, and a bounded io_context.
#include <grin/storage/local_storage.hpp>

#include <boost/asio/thread_pool.hpp>
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <io_fixture.hpp>
#include <set>
#include <sstream>
#include <string>
#include <sys/mount.h>
#include <test_support.hpp>
#include <vector>

namespace grin::storage::test {

namespace fs = std::filesystem;

inline std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

inline void spit(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

// Every regular file under `dir`, relative, including hidden ones.
inline std::set<std::string> files_under(const fs::path& dir) {
    std::set<std::string> names;
    if (!fs::exists(dir))
        return names;
    for (const auto& entry : fs::recursive_directory_iterator(dir))
        if (entry.is_regular_file())
            names.insert(entry.path().lexically_relative(dir).generic_string());
    return names;
}

// Mounts a tmpfs of `size` (e.g. "64k") over `where` while alive; mounted() is false when
// that is not possible (not root), and the directory is then used as it is.
class tmpfs_mount {
public:
    tmpfs_mount(const fs::path& where, const std::string& size) : where_(where) {
        fs::create_directories(where_);
        std::string options = "size=" + size;
        mounted_ = ::mount("tmpfs", where_.c_str(), "tmpfs", 0, options.c_str()) == 0;
        if (!mounted_)
            error_ = std::strerror(errno);
    }
    tmpfs_mount(const tmpfs_mount&) = delete;
    tmpfs_mount& operator=(const tmpfs_mount&) = delete;
    ~tmpfs_mount() {
        if (mounted_)
            ::umount2(where_.c_str(), MNT_DETACH);
    }
    bool mounted() const noexcept { return mounted_; }
    const std::string& error() const noexcept { return error_; }

private:
    fs::path where_;
    bool mounted_ = false;
    std::string error_;
};

class storage_test : public ::testing::Test {
protected:
    grin::test::temp_dir dir;
    grin::test::io_fixture fixture;
    boost::asio::thread_pool files{1};
    local_storage store{local_storage_params{.base_path = dir.path() / "store"},
                        files.get_executor()};

    ~storage_test() override { files.join(); }

    fs::path base() const { return dir.path() / "store"; }
};

} // namespace grin::storage::test
