#pragma once
// The storage interface the sync pipeline writes through: one implementation per backend
// (local_storage here; S3-compatible object stores later), chosen once by make_storage.
//
// Durability contract: when put_file, put_bytes or object_writer::commit returns, the
// object and its metadata are durably stored (local: file and directory fsynced; S3: the
// service confirmed the upload). Only then may the caller record `sync:completed`. When
// one of them throws, the bytes of the previous object under that key (if any) are
// unchanged and no partial object is visible to head/get/list (its metadata may be gone
// after a rare failure of the final rename, which only makes a later ETag check re-fetch).
//
// Metadata: small string pairs stored with the object (S3: x-amz-meta-<name>), e.g.
// barcode, acquisition_date, encrypted_etag, original_filename. Names are lower case
// [a-z0-9_-]; values printable ASCII; at most 2 KiB in all (S3's limit). head returns
// either the metadata that was stored with the current object, or none; never metadata of
// an earlier version.
//
// Threads: every operation is a coroutine started from the caller's executor (the I/O
// thread); backends that block (file system) do that work on their own executor and the
// caller resumes on its own executor. The storage object must outlive every operation
// and writer it started, and a writer must outlive its own operations: at shutdown, join
// the file executor before destroying suspended coroutine frames. Operations on different keys may
// run concurrently; concurrent writes to the same key end with one of them stored whole.
//
// Cancellation: an operation already handed to the backend runs to its end (a put either
// stores the whole object or nothing); the caller sees the result when it resumes.
//
// Errors: grin::error with step "storage", the key in the message and the object's
// location (file path or URL, no secrets) in context().url; later the HTTP status for S3.
// A missing object is not an error for head (nullopt) and remove (returns false).
#include <grin/storage/object_key.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grin::storage {

using metadata = std::map<std::string, std::string>;

// Throws grin::error (step "storage") when a name or value breaks the rules above.
void require_valid_metadata(const metadata& meta);

struct object_info {
    object_key key;
    std::uint64_t size = 0;
    std::chrono::system_clock::time_point last_modified;
    metadata meta; // filled by head; list leaves it empty (S3 lists do not return it)
};

// Writes one object in pieces, e.g. the decrypted archive while it is being decrypted,
// without a staging copy. open -> write... -> commit, or abort. Nothing is visible under
// the key before commit returns; abort, or destroying the writer before commit, leaves no
// trace (the local backend removes its temporary file; S3 aborts the multipart upload).
// A process killed before commit leaves at most a temporary that list ignores and that a
// later put of the same key does not disturb. One writer is used by one coroutine at a
// time; write/commit/abort must not overlap.
class object_writer {
public:
    virtual ~object_writer() = default;

    // `bytes` must stay valid until the call completes (it is not copied).
    virtual boost::asio::awaitable<void> write(std::string_view bytes) = 0;
    // Makes the object durable and visible (see the durability contract). After commit or
    // abort the writer accepts nothing more.
    virtual boost::asio::awaitable<void> commit() = 0;
    virtual boost::asio::awaitable<void> abort() = 0;
    // Replaces the metadata to be stored at commit: some of it (the GRIN ETag of a
    // download) is only known after the bytes started flowing. Throws grin::error for
    // invalid metadata, or after commit/abort.
    virtual void set_metadata(metadata meta) = 0;

    virtual std::uint64_t bytes_written() const noexcept = 0;
    virtual const object_key& key() const noexcept = 0;
};

struct list_params {
    bucket_role role = bucket_role::raw;
    // Only keys starting with this string (is_valid_key_prefix); empty lists the bucket.
    std::string prefix;
    // Most objects per page (S3 caps this at 1,000).
    std::size_t page_size = 1000;
};

// Pages through a listing without holding it whole: memory is bounded by one page plus
// the backend's cursor. Order: lexicographic for S3; unspecified for the local backend
// (directory order). Objects stored or removed while listing may or may not appear.
class object_lister {
public:
    virtual ~object_lister() = default;
    // The next page; an empty page means the listing is complete.
    virtual boost::asio::awaitable<std::vector<object_info>> next_page() = 0;
};

// What remove_many did: every key given is counted once, in exactly one of these.
struct remove_failure {
    object_key key;
    std::string message; // S3's error code and message, or the file system's
};
struct remove_many_result {
    // Removed (S3 also counts keys that did not exist: it cannot tell them apart).
    std::uint64_t removed = 0;
    // Nothing was there to remove (local storage only).
    std::uint64_t missing = 0;
    std::vector<remove_failure> failed;
};

class storage {
public:
    virtual ~storage() = default;

    // Copies the local file `source` to `key`. The source is left in place.
    virtual boost::asio::awaitable<void>
    put_file(object_key key, std::filesystem::path source, metadata meta) = 0;
    virtual boost::asio::awaitable<void>
    put_bytes(object_key key, std::string bytes, metadata meta) = 0;
    // The metadata is stored with the object at commit.
    virtual boost::asio::awaitable<std::unique_ptr<object_writer>> open_writer(object_key key,
                                                                               metadata meta) = 0;

    // Size, time and metadata of the stored object; nullopt when there is none.
    virtual boost::asio::awaitable<std::optional<object_info>> head(object_key key) = 0;
    // Copies the object to the local file `target` (written atomically; parent directories
    // created). Throws grin::error when the object does not exist.
    virtual boost::asio::awaitable<void> get_file(object_key key, std::filesystem::path target) = 0;
    virtual boost::asio::awaitable<std::unique_ptr<object_lister>> list(list_params params) = 0;
    // Removes the object and its metadata; returns false when there was nothing to remove
    // (S3 cannot tell and always returns true).
    virtual boost::asio::awaitable<bool> remove(object_key key) = 0;
    // Removes many objects (of any roles). A key that cannot be removed is reported in
    // the result and the others are still removed; an error that stops every removal (S3
    // refusing the request itself, after retries) is thrown, and then the keys before it
    // may already be gone. This default calls remove() per key; S3 sends DeleteObjects
    // with up to 1,000 keys per request.
    virtual boost::asio::awaitable<remove_many_result> remove_many(std::vector<object_key> keys);

    // Makes sure the run can write before it starts: local storage creates raw/, meta/
    // and full/; an object store checks each bucket (HeadBucket) and creates a missing
    // one, so that a wrong endpoint, bucket or credential stops the run at once with a
    // clear message instead of failing every book.
    virtual boost::asio::awaitable<void> prepare_for_writes() = 0;

    // "local storage at /data/grin", "s3 storage at https://host (buckets a, b, c)".
    virtual std::string describe() const = 0;
    // Where `key` lives, for messages and books.storage_path: a file path or bucket/key.
    virtual std::string location(const object_key& key) const = 0;
};

} // namespace grin::storage
