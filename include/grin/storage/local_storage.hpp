#pragma once
// The local directory backend (`--storage local`): an object (role, key) is the file
// base_path/<role>/<key>, e.g. /data/raw/B1/B1.tar.gz, as grin-transfer lays it out.
//
// Writes: a temporary file ".<name>.tmp.XXXXXX" in the target's directory, fsync, rename
// over the target, fsync of the directory (new directories are fsynced into their parents
// as well). A full disk or any other failure removes the temporary, leaves the previous
// object untouched and throws grin::error naming the path.
//
// Metadata: a sidecar ".<name>.meta.json" beside the object, itself written atomically.
// Chosen over extended attributes because it works on every file system (xattrs are not
// supported on all of NFS, overlayfs, older tmpfs, and `cp` drops them) and an operator can
// read it. Object and sidecar are two files, so a put removes the old sidecar before the
// new object is renamed into place and writes the new sidecar after: a crash in between
// leaves an object without metadata, never new bytes with old metadata (which could make
// an ETag check skip a changed book).
//
// Dot-names are never keys (object_key rules), so list skips temporaries and sidecars by
// their leading '.'. A temporary left by a killed process is removed by the next put of
// the same key once it has not been written to for ten minutes (a live writer touches its
// temporary with every piece).
//
// Threads: all file system work runs on `file_executor` (a thread pool), never on the
// caller's thread; each operation co_spawns onto it and the caller resumes on its own
// executor. put_file/get_file occupy one pool thread for the whole copy; a writer's write
// occupies it for one chunk. The only file work on the caller's thread: destroying an
// uncommitted writer removes its temporary (one unlink, a few rmdir). The rename steps of
// puts and removes are serialized by a mutex (a few system calls, never a data copy), so
// concurrent puts to one key cannot pair one put's bytes with the other's metadata.
// There are no timeouts (local I/O has none to give) and no cancellation once started.
#include <grin/storage/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <mutex>

namespace grin::storage {

struct local_storage_params {
    // Directory holding raw/, meta/ and full/. Created (with them) on the first write;
    // nothing is created by the constructor or by reads, so --dry-run writes nothing.
    std::filesystem::path base_path;
    // Size of the pieces put_file and get_file copy in, and of each blocking step.
    std::size_t copy_chunk_size = 1 << 20;
};

class local_storage final : public storage {
public:
    // `file_executor`: where the blocking file work runs (e.g. the CPU thread pool).
    local_storage(local_storage_params params, boost::asio::any_io_executor file_executor);

    boost::asio::awaitable<void>
    put_file(object_key key, std::filesystem::path source, metadata meta) override;
    boost::asio::awaitable<void>
    put_bytes(object_key key, std::string bytes, metadata meta) override;
    boost::asio::awaitable<std::unique_ptr<object_writer>> open_writer(object_key key,
                                                                       metadata meta) override;
    boost::asio::awaitable<std::optional<object_info>> head(object_key key) override;
    boost::asio::awaitable<void> get_file(object_key key, std::filesystem::path target) override;
    boost::asio::awaitable<std::unique_ptr<object_lister>> list(list_params params) override;
    boost::asio::awaitable<bool> remove(object_key key) override;
    boost::asio::awaitable<void> prepare_for_writes() override;

    std::string describe() const override;
    // The file path of the object.
    std::string location(const object_key& key) const override;

    std::filesystem::path path_of(const object_key& key) const;
    const local_storage_params& params() const noexcept { return params_; }

private:
    local_storage_params params_;
    boost::asio::any_io_executor files_;
    // Serializes the rename steps of puts, removes and directory pruning (see
    // detail::publish_object); held for a few system calls, never while copying data.
    std::mutex renames_;
};

} // namespace grin::storage
