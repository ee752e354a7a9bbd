#include "local_files.hpp"

#include <grin/core/error.hpp>
#include <grin/net/run_on.hpp>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

namespace grin::storage::detail {
namespace {

[[noreturn]] void throw_storage(const std::string& message, const fs::path& path, int code) {
    throw error(message + ": " + std::strerror(code), {.step = "storage", .url = path.string()});
}

std::string action_for(const char* verb, const object_key& key) {
    return std::string(verb) + " " + key.to_string();
}

// Reads up to `size` bytes; 0 at end of file. Retries EINTR.
std::size_t read_some(int fd, char* data, std::size_t size) {
    for (;;) {
        ssize_t n = ::read(fd, data, size);
        if (n >= 0)
            return static_cast<std::size_t>(n);
        if (errno != EINTR)
            return static_cast<std::size_t>(-1);
    }
}

class read_fd {
public:
    explicit read_fd(int fd) : fd_(fd) {}
    read_fd(const read_fd&) = delete;
    read_fd& operator=(const read_fd&) = delete;
    ~read_fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

std::chrono::system_clock::time_point modified_time(const struct stat& st) {
    auto since_epoch =
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

metadata read_sidecar(const fs::path& sidecar, const object_key& key) {
    int fd = ::open(sidecar.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return {};
        throw_storage("cannot read the metadata of " + key.to_string(), sidecar, errno);
    }
    read_fd file(fd);
    std::string text;
    char buffer[4096];
    for (;;) {
        std::size_t n = read_some(fd, buffer, sizeof buffer);
        if (n == static_cast<std::size_t>(-1))
            throw_storage("cannot read the metadata of " + key.to_string(), sidecar, errno);
        if (n == 0)
            break;
        text.append(buffer, n);
    }
    auto document = nlohmann::json::parse(text, nullptr, false);
    if (document.is_discarded() || !document.is_object() || !document.contains("metadata") ||
        !document["metadata"].is_object())
        throw error("the metadata file of " + key.to_string() + " is not valid JSON",
                    {.step = "storage", .url = sidecar.string()});
    metadata meta;
    for (const auto& [name, value] : document["metadata"].items())
        if (value.is_string())
            meta.emplace(name, value.get<std::string>());
    return meta;
}

bool is_hidden(const fs::path& name) {
    const auto& text = name.native();
    return !text.empty() && text.front() == '.';
}

} // namespace

void fsync_directory(const fs::path& dir, const object_key& key) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        throw_storage("cannot open the directory of " + key.to_string(), dir, errno);
    read_fd handle(fd);
    if (::fsync(fd) != 0)
        throw_storage("cannot flush the directory of " + key.to_string(), dir, errno);
}

void ensure_directories(const fs::path& dir, const object_key& key) {
    std::vector<fs::path> missing;
    for (fs::path p = dir; !p.empty(); p = p.parent_path()) {
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                throw error("cannot store " + key.to_string() + ": " + p.string() +
                                " exists and is not a directory",
                            {.step = "storage", .url = p.string()});
            break;
        }
        missing.push_back(p);
        if (p == p.parent_path())
            break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST)
            throw_storage("cannot create a directory for " + key.to_string(), *it, errno);
        fs::path parent = it->parent_path();
        fsync_directory(parent.empty() ? fs::path(".") : parent, key);
    }
}

fs::path sidecar_path(const fs::path& object) {
    return object.parent_path() / ("." + object.filename().string() + ".meta.json");
}

temp_file::temp_file(fs::path target, std::string action)
    : target_(std::move(target)), action_(std::move(action)) {
    fs::path dir = target_.parent_path();
    std::string pattern = (dir / ("." + target_.filename().string() + ".tmp.XXXXXX")).string();
    fd_ = ::mkstemp(pattern.data());
    if (fd_ < 0)
        fail("creating a temporary file", errno);
    temp_ = pattern;
    if (::fchmod(fd_, 0644) != 0)
        fail("setting permissions", errno);
}

temp_file::~temp_file() {
    if (fd_ >= 0)
        ::close(fd_);
    if (!published_ && !temp_.empty())
        ::unlink(temp_.c_str());
}

void temp_file::fail(const std::string& during, int code) {
    if (fd_ >= 0)
        ::close(fd_);
    fd_ = -1;
    if (!temp_.empty())
        ::unlink(temp_.c_str());
    temp_.clear();
    throw error("cannot " + action_ + " at " + target_.string() + ": " + std::strerror(code) +
                    " (while " + during + "; nothing was stored)",
                {.step = "storage", .url = target_.string()});
}

void temp_file::write(std::string_view bytes) {
    if (fd_ < 0)
        throw error("cannot " + action_ + ": the file is already closed",
                    {.step = "storage", .url = target_.string()});
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail("writing", errno);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
        size_ += static_cast<std::uint64_t>(n);
    }
}

void temp_file::copy_from(const fs::path& source, std::size_t chunk) {
    int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw_storage("cannot " + action_ + ": cannot open " + source.string(), source, errno);
    read_fd input(fd);
    std::string buffer(chunk == 0 ? 1 << 20 : chunk, '\0');
    for (;;) {
        std::size_t n = read_some(fd, buffer.data(), buffer.size());
        if (n == static_cast<std::size_t>(-1))
            throw_storage("cannot " + action_ + ": cannot read " + source.string(), source, errno);
        if (n == 0)
            break;
        write(std::string_view(buffer.data(), n));
    }
}

void temp_file::sync() {
    if (fd_ < 0)
        return;
    if (::fsync(fd_) != 0)
        fail("flushing to disk", errno);
    int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0)
        fail("closing", errno);
}

void temp_file::publish() {
    if (temp_.empty())
        throw error("cannot " + action_ + ": the temporary file is gone",
                    {.step = "storage", .url = target_.string()});
    sync();
    if (::rename(temp_.c_str(), target_.c_str()) != 0)
        fail("renaming into place", errno);
    published_ = true;
}

void publish_object(temp_file& temp,
                    const fs::path& target,
                    const metadata& meta,
                    const object_key& key,
                    std::mutex& renames) {
    const fs::path dir = target.parent_path();
    const fs::path sidecar = sidecar_path(target);
    // Everything that can run out of space happens before the first rename.
    std::optional<temp_file> sidecar_temp;
    if (!meta.empty()) {
        nlohmann::json document = {{"metadata", meta}};
        sidecar_temp.emplace(sidecar, action_for("store the metadata of", key));
        sidecar_temp->write(document.dump());
        sidecar_temp->sync();
    }
    temp.sync();
    {
        std::lock_guard lock(renames);
        if (::unlink(sidecar.c_str()) == 0)
            fsync_directory(dir, key); // old metadata gone before new bytes appear
        else if (errno != ENOENT)
            throw_storage("cannot replace the metadata of " + key.to_string(), sidecar, errno);
        temp.publish();
        if (sidecar_temp)
            sidecar_temp->publish();
    }
    fsync_directory(dir, key);
    remove_stale_temporaries(target, std::chrono::minutes(10));
}

void remove_stale_temporaries(const fs::path& target, std::chrono::seconds older_than) {
    const std::string object_prefix = "." + target.filename().string() + ".tmp.";
    const std::string sidecar_prefix = "." + sidecar_path(target).filename().string() + ".tmp.";
    const auto cutoff = fs::file_time_type::clock::now() - older_than;
    std::error_code failed;
    for (fs::directory_iterator it(target.parent_path(), failed), end; !failed && it != end;
         it.increment(failed)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(object_prefix, 0) != 0 && name.rfind(sidecar_prefix, 0) != 0)
            continue;
        std::error_code ignored;
        // A live writer touches its temporary with every piece; only an abandoned one
        // (its process was killed) stays untouched this long.
        if (fs::last_write_time(it->path(), ignored) < cutoff && !ignored)
            fs::remove(it->path(), ignored);
    }
}

std::unique_ptr<temp_file> make_temp_file(const fs::path& target, const object_key& key) {
    const fs::path dir = target.parent_path();
    for (int attempt = 1;; ++attempt) {
        ensure_directories(dir, key);
        try {
            return std::make_unique<temp_file>(target, action_for("store", key));
        } catch (const error&) {
            struct stat st {};
            if (attempt == 3 || ::stat(dir.c_str(), &st) == 0)
                throw;
        }
    }
}

std::optional<object_info> stat_object(const fs::path& target, const object_key& key) {
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return std::nullopt;
        throw_storage("cannot look up " + key.to_string(), target, errno);
    }
    if (!S_ISREG(st.st_mode))
        return std::nullopt;
    object_info info{.key = key,
                     .size = static_cast<std::uint64_t>(st.st_size),
                     .last_modified = modified_time(st),
                     .meta = read_sidecar(sidecar_path(target), key)};
    return info;
}

void copy_object_out(const fs::path& target,
                     const fs::path& destination,
                     const object_key& key,
                     std::size_t chunk) {
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        throw error("no object " + key.to_string() + " in storage",
                    {.step = "storage", .url = target.string()});
    fs::path dir = destination.parent_path();
    if (!dir.empty())
        ensure_directories(dir, key);
    temp_file copy(destination, "copy " + key.to_string() + " to " + destination.string());
    copy.copy_from(target, chunk);
    copy.publish();
    fsync_directory(dir.empty() ? fs::path(".") : dir, key);
}

bool remove_object(const fs::path& target,
                   const fs::path& role_root,
                   const object_key& key,
                   std::mutex& renames) {
    std::lock_guard lock(renames);
    bool existed = true;
    if (::unlink(target.c_str()) != 0) {
        if (errno != ENOENT && errno != ENOTDIR)
            throw_storage("cannot remove " + key.to_string(), target, errno);
        existed = false;
    }
    fs::path sidecar = sidecar_path(target);
    if (::unlink(sidecar.c_str()) != 0 && errno != ENOENT && errno != ENOTDIR)
        throw_storage("cannot remove the metadata of " + key.to_string(), sidecar, errno);
    fs::path dir = target.parent_path();
    if (!existed) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0)
            return false;
    }
    fsync_directory(dir, key);
    prune_empty_directories(dir, role_root, key);
    return existed;
}

void prune_empty_directories(fs::path dir, const fs::path& role_root, const object_key& key) {
    // Empty directories left behind (raw/<B>/) go; a non-empty one stops the walk.
    while (dir != role_root && dir.native().size() > role_root.native().size()) {
        if (::rmdir(dir.c_str()) != 0)
            break;
        dir = dir.parent_path();
        fsync_directory(dir, key);
    }
}

directory_walk::directory_walk(fs::path role_root, bucket_role role, std::string prefix)
    : role_root_(std::move(role_root)), role_(role), prefix_(std::move(prefix)) {}

std::vector<object_info> directory_walk::next(std::size_t page_size) {
    std::vector<object_info> page;
    if (done_)
        return page;
    if (!walk_) {
        auto slash = prefix_.rfind('/');
        fs::path start =
            slash == std::string::npos ? role_root_ : role_root_ / prefix_.substr(0, slash);
        std::error_code failed;
        if (!fs::is_directory(start, failed)) {
            done_ = true;
            return page;
        }
        walk_.emplace(start, failed);
        if (failed)
            throw error("cannot list " + start.string() + ": " + failed.message(),
                        {.step = "storage", .url = start.string()});
    }
    auto& walk = *walk_;
    std::error_code failed;
    for (; walk != fs::recursive_directory_iterator(); walk.increment(failed)) {
        if (failed)
            throw error("cannot list " + role_root_.string() + ": " + failed.message(),
                        {.step = "storage", .url = role_root_.string()});
        if (page.size() >= page_size)
            return page;
        const auto& entry = *walk;
        const bool is_dir = entry.is_directory(failed);
        if (is_hidden(entry.path().filename())) {
            if (is_dir)
                walk.disable_recursion_pending();
            continue;
        }
        std::string key = entry.path().lexically_relative(role_root_).generic_string();
        if (is_dir) {
            // Descend only where keys can still match the prefix.
            std::string as_dir = key + "/";
            bool may_match = as_dir.starts_with(prefix_) || prefix_.starts_with(as_dir);
            if (!may_match)
                walk.disable_recursion_pending();
            continue;
        }
        if (!key.starts_with(prefix_) || !is_valid_key(key))
            continue;
        struct stat st {};
        if (::stat(entry.path().c_str(), &st) != 0 || !S_ISREG(st.st_mode))
            continue; // removed meanwhile, or not a file
        page.push_back(object_info{.key = object_key(role_, std::move(key)),
                                   .size = static_cast<std::uint64_t>(st.st_size),
                                   .last_modified = modified_time(st),
                                   .meta = {}});
    }
    if (failed)
        throw error("cannot list " + role_root_.string() + ": " + failed.message(),
                    {.step = "storage", .url = role_root_.string()});
    done_ = true;
    return page;
}

boost::asio::awaitable<void> temp_file_writer::write(std::string_view bytes) {
    require_open("write");
    temp_file* temp = temp_.get();
    auto step = [temp, bytes] { temp->write(bytes); };
    auto work = net::run_on(files_, std::move(step));
    try {
        co_await std::move(work);
    } catch (...) {
        temp_.reset(); // the temporary already removed itself; nothing more to write
        throw;
    }
    written_ += bytes.size();
}

void temp_file_writer::set_metadata(metadata meta) {
    require_open("set metadata of");
    require_valid_metadata(meta);
    meta_ = std::move(meta);
}

void temp_file_writer::require_open(const char* operation) const {
    if (!temp_)
        throw error(std::string("cannot ") + operation + " " + key_.to_string() +
                        ": the writer was already committed, aborted or failed",
                    {.step = "storage", .url = location_});
}

} // namespace grin::storage::detail
