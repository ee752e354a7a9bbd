#pragma once
// storage::s3_client: the S3 API calls the tool needs, over the run's shared HTTPS pool
// (one client for the whole run; the Python tool made a new S3 session for every check
// and upload). Works with AWS S3, Cloudflare R2, MinIO and other S3-compatible stores:
// path-style or virtual-hosted addressing, any endpoint, http:// or https://.
//
// Every request is signed with SigV4 (sigv4.hpp). The payload hash is the body's real
// SHA-256, so a body changed on the way is refused by the store; PutObject and UploadPart
// also send Content-MD5 (checked by every S3-compatible store, also by those that skip
// the payload hash).
//
// Retries: 5xx (including 503 SlowDown), 408, 429, timeouts and connection resets are
// retried with exponential backoff and jitter (retry policy), honouring Retry-After; 4xx
// answers are not. A request whose body was sent is safe to repeat: every call here is
// idempotent for S3 (a repeated PUT stores the same bytes; a repeated UploadPart replaces
// the part).
//
// Errors: grin::error (step "storage") whose message carries S3's error code and message,
// the bucket/key, the HTTP status and the request id: "S3 PutObject raw-bucket/run/B.tar.gz
// failed: 403 SignatureDoesNotMatch: The request signature we calculated does not match
// ... (request id 4442587FB7D0A2F9)". Secrets never appear in messages or logs.
// Threads: the pool's executor (the I/O thread).
#include <grin/net/http_client.hpp>
#include <grin/net/retry.hpp>
#include <grin/storage/s3_xml.hpp>
#include <grin/storage/sigv4.hpp>
#include <grin/storage/storage.hpp>

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace grin::storage {

struct s3_client_params {
    // "https://s3.us-east-1.amazonaws.com", "http://127.0.0.1:9000", an R2 account URL.
    std::string endpoint;
    std::string region = "us-east-1";
    // Path style: <endpoint>/<bucket>/<key>. Virtual-hosted: <bucket>.<endpoint host>/<key>.
    bool path_style = true;
    aws_credentials credentials;
    net::retry_policy retry{.max_attempts = 5,
                            .base_delay = std::chrono::milliseconds(500),
                            .max_delay = std::chrono::seconds(20),
                            .jitter = 0.2,
                            .retryable_statuses = {408, 429, 500, 502, 503, 504}};
    net::request_params request{.write_timeout = std::chrono::seconds(300),
                                .read_header_timeout = std::chrono::seconds(300),
                                .body_idle_timeout = std::chrono::seconds(120)};
};

struct s3_object_head {
    std::uint64_t size = 0;
    std::string etag;
    std::chrono::system_clock::time_point last_modified;
    metadata meta; // x-amz-meta-* without the prefix, names lower-case
    std::string storage_class;
};

// A body with its digests, computed where the body was read (a file thread), so that the
// I/O thread does not hash megabytes per part (measured: MD5 + SHA-256 were ~37% of the
// client's CPU on 50 MiB objects when done there). Either bytes in memory, or a range of
// a file that the request streams from disk (one chunk of memory per upload).
struct s3_body {
    std::string bytes;
    std::optional<net::file_range> file; // when set, the body (bytes stays empty)
    std::string sha256_hex;              // for x-amz-content-sha256
    std::string md5_base64;              // for Content-MD5
};
// Reads nothing: hashes `bytes` (call it on a worker thread for large bodies).
s3_body make_s3_body(std::string bytes);
// A range of a file as a body (blocking: call it on a file thread). Up to 1 MiB it is read
// into memory; a larger range is read once to hash it and the request then sends the same
// range from the file. Throws grin::error (step "storage") when the file cannot be read or
// is shorter than the range.
s3_body
make_s3_file_body(const std::filesystem::path& path, std::uint64_t offset, std::uint64_t length);

struct s3_put_options {
    metadata meta{};
    std::optional<std::string> storage_class{};
    std::string content_type = "application/octet-stream";
};

class s3_client {
public:
    s3_client(net::https_pool& pool, s3_client_params params);

    boost::asio::awaitable<std::string>
    put_object(std::string bucket, std::string key, s3_body body, s3_put_options options);
    // nullopt for 404.
    boost::asio::awaitable<std::optional<s3_object_head>> head_object(std::string bucket,
                                                                      std::string key);
    // Streams the object to sink. Throws for a missing object (404, NoSuchKey).
    boost::asio::awaitable<s3_object_head>
    get_object(std::string bucket, std::string key, net::body_sink sink);

    boost::asio::awaitable<std::string>
    create_multipart_upload(std::string bucket, std::string key, s3_put_options options);
    // Returns the part's ETag.
    boost::asio::awaitable<std::string> upload_part(
        std::string bucket, std::string key, std::string upload_id, int part_number, s3_body body);
    boost::asio::awaitable<std::string>
    complete_multipart_upload(std::string bucket,
                              std::string key,
                              std::string upload_id,
                              std::vector<s3::completed_part> parts);
    boost::asio::awaitable<void>
    abort_multipart_upload(std::string bucket, std::string key, std::string upload_id);

    // One page of ListObjectsV2 (at most max_keys entries).
    boost::asio::awaitable<s3::list_objects_result>
    list_objects_v2(std::string bucket,
                    std::string prefix,
                    std::optional<std::string> continuation_token,
                    std::size_t max_keys = 1000);
    // DeleteObjects for at most 1,000 keys (s3::max_delete_keys).
    boost::asio::awaitable<s3::delete_result> delete_objects(std::string bucket,
                                                             std::vector<std::string> keys);
    boost::asio::awaitable<void> delete_object(std::string bucket, std::string key);

    boost::asio::awaitable<bool> bucket_exists(std::string bucket);
    boost::asio::awaitable<void> create_bucket(std::string bucket);

    // "https://host/bucket/key" style location for messages and books.storage_path.
    std::string object_url(const std::string& bucket, const std::string& key) const;
    const s3_client_params& params() const noexcept { return params_; }
    std::uint64_t retries() const noexcept { return retries_; }

    // One signed request, retried per policy. Public for the storage backend's rare
    // calls and for tests; `operation` names the S3 action in errors ("PutObject").
    struct call {
        std::string operation;
        std::string method = "GET";
        std::string bucket;
        std::string key;  // decoded; empty for bucket-level calls
        query_list query; // decoded
        net::header_list headers;
        net::shared_body body; // shared by every attempt's signed request: no copies
        std::optional<net::file_range> body_file; // instead of body: sent from the file
        // Digests of body when the caller computed them already; else computed here.
        std::string body_sha256_hex{};
        std::string body_md5_base64{};

        void set_body(s3_body digested) {
            body = net::shared_body(std::move(digested.bytes));
            body_file = std::move(digested.file);
            body_sha256_hex = std::move(digested.sha256_hex);
            body_md5_base64 = std::move(digested.md5_base64);
        }
    };
    boost::asio::awaitable<net::http_response> send(call request);

private:
    net::http_request sign(const call& request) const;
    [[noreturn]] void fail(const call& request, const net::http_response& response) const;

    net::https_pool& pool_;
    s3_client_params params_;
    net::url endpoint_;
    sigv4_signer signer_;
    std::uint64_t retries_ = 0;
};

} // namespace grin::storage
