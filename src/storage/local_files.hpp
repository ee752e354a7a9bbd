#pragma once
// Blocking file system steps of local_storage, kept apart from the coroutines that run
// them on the file executor. Every function throws grin::error (step "storage") naming the
// path and the operation's key; none may be called on the I/O thread.
#include <grin/storage/storage.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grin::storage::detail {

namespace fs = std::filesystem;

// Creates `dir` and any missing parents, fsyncing each new directory into its parent so a
// later fsync of the object's directory makes the whole path durable.
void ensure_directories(const fs::path& dir, const object_key& key);

void fsync_directory(const fs::path& dir, const object_key& key);

// ".<name>.meta.json" beside the object.
fs::path sidecar_path(const fs::path& object);

// A temporary ".<name>.tmp.XXXXXX" in the target's directory (which must exist). The
// destructor removes it unless publish() succeeded. `action` completes "cannot ..." in
// error messages, e.g. "store raw/B1/B1.tar.gz".
class temp_file {
public:
    temp_file(fs::path target, std::string action);
    temp_file(const temp_file&) = delete;
    temp_file& operator=(const temp_file&) = delete;
    ~temp_file();

    void write(std::string_view bytes);
    // Copies `source` in pieces of `chunk` bytes.
    void copy_from(const fs::path& source, std::size_t chunk);
    // fsync + close: the bytes are durable, not yet visible.
    void sync();
    // sync() if not done, then rename over the target. Does not fsync the directory.
    void publish();

    std::uint64_t size() const noexcept { return size_; }
    const fs::path& path() const noexcept { return temp_; }

private:
    [[noreturn]] void fail(const std::string& during, int code);

    fs::path target_;
    fs::path temp_;
    std::string action_;
    int fd_ = -1;
    std::uint64_t size_ = 0;
    bool published_ = false;
};

// Removes temporaries of `target` (and of its metadata sidecar) not written to for
// `older_than`: what a killed process left behind. publish_object calls it after each
// put with ten minutes, so a key's leftovers go the next time it is stored.
void remove_stale_temporaries(const std::filesystem::path& target, std::chrono::seconds older_than);

// Makes the content of `temp` the object at `target` with metadata `meta`, in the order the
// local_storage header explains: drop the old sidecar, rename the object, write the new
// sidecar, fsync the directory.
// Disk-full and other write errors can only happen before the first rename. `renames`
// (one per storage) serializes the unlink/rename steps of concurrent puts to one key so an
// object never ends up with the other put's metadata.
void publish_object(temp_file& temp,
                    const fs::path& target,
                    const metadata& meta,
                    const object_key& key,
                    std::mutex& renames);

// ensure_directories + temp_file, retried when a concurrent remove pruned the directory
// in between.
std::unique_ptr<temp_file> make_temp_file(const fs::path& target, const object_key& key);

std::optional<object_info> stat_object(const fs::path& target, const object_key& key);

// Copies the object to `destination` atomically; throws when it does not exist.
void copy_object_out(const fs::path& target,
                     const fs::path& destination,
                     const object_key& key,
                     std::size_t chunk);

// Removes `dir` and its parents while they are empty, stopping below `role_root`.
// Call with `renames` held.
void prune_empty_directories(fs::path dir, const fs::path& role_root, const object_key& key);

// Removes object and sidecar and prunes empty parent directories up to `role_root`.
bool remove_object(const fs::path& target,
                   const fs::path& role_root,
                   const object_key& key,
                   std::mutex& renames);

// A directory walk that hands out keys page by page (memory: one page plus the walk).
class directory_walk {
public:
    directory_walk(fs::path role_root, bucket_role role, std::string prefix);
    std::vector<object_info> next(std::size_t page_size);

private:
    fs::path role_root_;
    bucket_role role_;
    std::string prefix_;
    std::optional<fs::recursive_directory_iterator> walk_;
    bool done_ = false;
};

// The part of an object_writer both backends share: the bytes go into a temporary file
// on the file executor, piece by piece; the metadata waits for commit. Subclasses publish
// (local: rename into place; S3: upload) and drop the temporary.
class temp_file_writer : public object_writer {
public:
    temp_file_writer(object_key key,
                     metadata meta,
                     boost::asio::any_io_executor files,
                     std::unique_ptr<temp_file> temp,
                     std::string location)
        : key_(std::move(key))
        , meta_(std::move(meta))
        , files_(std::move(files))
        , temp_(std::move(temp))
        , location_(std::move(location)) {}

    boost::asio::awaitable<void> write(std::string_view bytes) override;
    void set_metadata(metadata meta) override;
    std::uint64_t bytes_written() const noexcept override { return written_; }
    const object_key& key() const noexcept override { return key_; }

protected:
    void require_open(const char* operation) const;

    object_key key_;
    metadata meta_;
    boost::asio::any_io_executor files_;
    std::unique_ptr<temp_file> temp_; // empty once committed, aborted or failed
    std::string location_;            // for error messages
    std::uint64_t written_ = 0;
};

} // namespace grin::storage::detail
