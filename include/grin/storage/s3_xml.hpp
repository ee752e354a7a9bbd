#pragma once
// The XML bodies of the S3 operations the client uses (S3 API reference, 2006-03-01):
// parsers for what S3 answers and builders for what it is sent. pugixml underneath;
// elements are matched by local name, so the default namespace
// (xmlns="http://s3.amazonaws.com/doc/2006-03-01/") and prefixed forms both work, and
// unknown elements are ignored. Leading whitespace before the XML declaration is accepted
// (S3 sends spaces to keep a slow CompleteMultipartUpload connection alive).
//
// Errors: a body that is not well-formed XML, has another root element than expected, or
// lacks a required element or has a malformed value (size, time, part number) throws
// grin::error (step "storage") naming the operation, the problem and a short excerpt of
// the body (control characters replaced). Bodies hold keys and ids, never secrets. The
// parsers never crash on any input (fuzzed: tests/fuzz/storage).
//
// Pure functions, thread-safe.
#include <grin/core/time.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace grin::storage::s3 {

// An <Error> body: what a failed request (4xx/5xx, and some 200 answers) carries.
struct error_body {
    std::string code;    // "NoSuchKey", "SlowDown", "InternalError", "SignatureDoesNotMatch"
    std::string message; // "The specified key does not exist."
    std::string key;
    std::string bucket_name;
    std::string resource;
    std::string request_id;
    std::string host_id;
};

// "NoSuchKey: The specified key does not exist. (key=a/b, bucket=b1, request id=4442587F)"
std::string describe(const error_body& error);

// The <Error> document in `body`, or nullopt when the body is empty, not XML, or XML with
// another root (an HTML page from a proxy, a success document). Never throws.
std::optional<error_body> parse_error(std::string_view body);

struct list_entry {
    std::string key; // decoded when the listing was requested with encoding-type=url
    std::uint64_t size = 0;
    system_time last_modified{};
    std::string etag; // verbatim, quotes included: "\"9b2cf535f27731c974343645a3985328\""
    std::string storage_class;
};

// ListObjectsV2 (GET /bucket?list-type=2).
struct list_objects_result {
    std::vector<list_entry> contents;
    std::vector<std::string> common_prefixes; // with a delimiter
    bool is_truncated = false;
    // Present when is_truncated: the continuation-token of the next request.
    std::optional<std::string> next_continuation_token;
    std::optional<std::uint64_t> key_count;
    std::string prefix;
};

// Requires a <ListBucketResult> root; <Contents> needs Key, Size and LastModified (ETag
// may be absent: some stores leave it out). <IsTruncated>true</IsTruncated> without a
// NextContinuationToken is an error (the listing could not go on). With
// <EncodingType>url</EncodingType>, Key, Prefix and CommonPrefixes are percent-decoded.
list_objects_result parse_list_objects_v2(std::string_view body);

// CreateMultipartUpload (POST /bucket/key?uploads): the UploadId, required non-empty.
struct initiate_multipart_result {
    std::string bucket;
    std::string key;
    std::string upload_id;
};
initiate_multipart_result parse_initiate_multipart_upload(std::string_view body);

// CompleteMultipartUpload (POST /bucket/key?uploadId=...).
struct complete_multipart_result {
    std::string location;
    std::string bucket;
    std::string key;
    std::string etag; // verbatim; real S3: "\"<md5 of part md5s>-<parts>\""
};
// S3 may answer 200 OK and still fail: the body is then an <Error> document (the upload
// is not complete; InternalError/SlowDown may be retried). This returns the error_body
// in that case, the result for a <CompleteMultipartUploadResult> root (or
// <CompleteMultipartUploadResponse>, which moto sends), and throws for anything else (or
// an empty ETag).
std::variant<complete_multipart_result, error_body>
parse_complete_multipart_upload(std::string_view body);

// DeleteObjects (POST /bucket?delete). Quiet mode lists only the failures.
struct delete_error {
    std::string key;
    std::string code;
    std::string message;
};
struct delete_result {
    std::vector<std::string> deleted;
    std::vector<delete_error> errors;
};
delete_result parse_delete_result(std::string_view body);

// One uploaded part for CompleteMultipartUpload: its number and the ETag UploadPart
// answered (verbatim, quotes included or not).
struct completed_part {
    int part_number = 0;
    std::string etag;
};

// <CompleteMultipartUpload> with the parts in ascending part-number order (the order S3
// requires; `parts` may come in any order). Throws grin::error (step "storage") for no
// parts (S3 answers MalformedXML: store an empty object with PutObject instead), a part
// number outside 1..10000, a repeated part number, or an empty ETag or one with
// characters XML cannot carry.
std::string build_complete_multipart_upload(std::span<const completed_part> parts);

// S3's limit of keys per DeleteObjects request.
inline constexpr std::size_t max_delete_keys = 1000;

// <Delete> with one <Object><Key> per key, escaped, then <Quiet>true</Quiet> (or false).
// Send with a Content-MD5 header (md5_base64 of the body). Throws grin::error (step
// "storage") for no keys, more than max_delete_keys, an empty key, or a key that is not
// valid UTF-8 or contains a control character (XML 1.0 cannot carry most of them, and a
// CR would come back as LF).
std::string build_delete_objects(std::span<const std::string> keys, bool quiet = true);

// "2009-10-12T17:50:30.000Z" and other ISO 8601 forms with a zone (Z or +hh:mm), with or
// without fractional seconds, years 1900-2200; nullopt when `text` is not such a time.
std::optional<system_time> parse_iso8601(std::string_view text);

} // namespace grin::storage::s3
