#pragma once
// The S3-compatible backend (AWS S3, Cloudflare R2, MinIO) behind the storage interface:
// bucket roles raw / meta / full map to three buckets; keys are the key_layout's
// (raw/<run>/<B>.tar.gz ...); user metadata travels as x-amz-meta-*; the raw bucket may
// use a storage class (e.g. DEEP_ARCHIVE) for archives.
//
// Writes: an object_writer stages the bytes in a temporary file under `staging_dir` (the
// decrypted archive arrives piece by piece while it is being decrypted; S3 wants sizes
// and, for multipart, parts of at least 5 MiB) and uploads at commit: one PutObject up to
// `multipart_threshold`, else a multipart upload of `parallel_parts` parts at a time,
// completed only when every part is stored, and aborted on any failure so that no orphan
// parts are left to be billed. Bodies are streamed from the staged file (hashed in one
// read on a file thread, then sent chunk by chunk): memory is one 256 KiB chunk per
// request in flight, whatever the object or part size. The staged file is removed after
// commit or abort.
//
// Durability: commit returns after S3 confirmed the object (PutObject 200, or
// CompleteMultipartUpload without an error body).
// Threads: the I/O thread; file reads and writes run on `file_executor`.
#include <grin/storage/s3_client.hpp>
#include <grin/storage/storage.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>

namespace grin::storage {

struct s3_storage_params {
    std::map<bucket_role, std::string> buckets; // all three roles
    std::optional<std::string> raw_storage_class;
    std::filesystem::path staging_dir;
    std::uint64_t multipart_threshold = 16ull << 20;
    // 0: 8 MiB, grown so that no object needs more than 10,000 parts (S3's limit).
    std::uint64_t part_size = 0;
    std::size_t parallel_parts = 4;
    std::string description; // for describe(): "r2 at https://..."
};

// The part size used for an object of `size` bytes (see s3_storage_params::part_size).
std::uint64_t choose_part_size(std::uint64_t size, std::uint64_t configured);

class s3_storage final : public storage {
public:
    s3_storage(std::unique_ptr<s3_client> client,
               s3_storage_params params,
               boost::asio::any_io_executor file_executor);
    ~s3_storage() override;

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
    // DeleteObjects per run of keys of one role, up to 1,000 keys a request.
    boost::asio::awaitable<remove_many_result> remove_many(std::vector<object_key> keys) override;

    std::string describe() const override;
    // "<bucket>/<key>", as grin-transfer records books.storage_path.
    std::string location(const object_key& key) const override;

    const std::string& bucket(bucket_role role) const;
    s3_client& client() noexcept { return *client_; }
    // Objects uploaded with multipart (for tests and the summary).
    std::uint64_t multipart_uploads() const noexcept { return multipart_uploads_; }

private:
    s3_put_options options_for(const object_key& key, metadata meta) const;
    boost::asio::awaitable<void> upload_multipart(object_key key,
                                                  std::filesystem::path source,
                                                  std::uint64_t size,
                                                  metadata meta);

    std::unique_ptr<s3_client> client_;
    s3_storage_params params_;
    boost::asio::any_io_executor files_;
    std::uint64_t multipart_uploads_ = 0;
};

} // namespace grin::storage
