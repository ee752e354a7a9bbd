#pragma once
// Where an S3-compatible store (AWS S3, Cloudflare R2, MinIO) is and which keys sign the
// requests, resolved once at start-up from the run's storage settings, the environment and
// the usual files (grin-protocol.md 4.1). No network: this only reads settings.
//
// Credentials, first match wins:
//   1. storage config access_key / secret_key [/ session_token]: in memory only (e.g.
//      --storage-config at runtime), never written to run_config.json;
//   2. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY [/ AWS_SESSION_TOKEN];
//   3. the profile AWS_PROFILE names (else AWS_DEFAULT_PROFILE, else "default"): its
//      [name] section in the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE, else
//      ~/.aws/credentials), then its [profile name] section ([default] for default) in the
//      shared config file ($AWS_CONFIG_FILE, else ~/.aws/config);
//   4. grin-transfer's r2_credentials.json: storage config credentials_file when given
//      (any type), else <credentials dir>/r2_credentials.json (type r2 only), where the
//      credentials dir is $GRIN_CREDENTIALS_DIR or ~/.config/grin-transfer;
//   5. type minio only: MinIO's default keys minioadmin / minioadmin123.
// Every key found is registered with log::add_secret. A file the keys came from that is
// readable by group or others gets a warning saying `chmod 600 <file>`; an r2 credentials
// file readable by everyone is refused.
#include <grin/run/run_config.hpp>

#include <map>
#include <optional>
#include <string>

namespace grin::storage {

struct s3_credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::optional<std::string> session_token;
    // "config", "environment", "profile <name> (<file>)", "r2_credentials.json (<file>)",
    // "minio defaults"; files under $HOME are shown as ~/...
    std::string source;

    // For logs: "from environment, access key AKIA... (with session token)". Shows only the
    // first 4 characters of the access key id (none when it is shorter than 8); never the
    // secret or the token.
    std::string describe() const;
};

struct s3_endpoint_settings {
    std::string type; // s3 | r2 | minio
    // config endpoint_url, else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else (r2) the
    // r2 credentials file's, else (minio) http://localhost:9000; none for plain AWS S3.
    // Without trailing '/'.
    std::optional<std::string> endpoint_url;
    // config region, else AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region in
    // the shared config file, else "us-east-1" ("auto" for r2).
    std::string region;
    // Path-style requests (https://host/bucket/key): config addressing_style=path, or
    // addressing_style unset/auto and an endpoint_url is set (as botocore does);
    // addressing_style=virtual turns it off.
    bool path_style = false;
    // "raw", "meta", "full" -> bucket name: config bucket_<role>, else (r2) the r2
    // credentials file's bucket_<role>, else (minio) grin-raw / grin-meta / grin-full.
    std::map<std::string, std::string> buckets;
    // config storage_class (upper-cased), for objects in the raw bucket; nullopt = the
    // bucket's default. R2 takes only STANDARD and STANDARD_IA, MinIO only STANDARD and
    // REDUCED_REDUNDANCY.
    std::optional<std::string> storage_class;

    // For logs: "r2 at https://..., region auto, path-style, buckets raw=a meta=b full=c"
    // ("s3 at AWS, ..." without an endpoint).
    std::string describe() const;
};

// The storage classes S3 accepts for an upload (x-amz-storage-class).
bool is_s3_storage_class(const std::string& name);

// Throws grin::fatal, saying what to change, when the type is not s3/r2/minio, a bucket is
// missing, the endpoint_url, addressing_style, storage_class or a bucket name is invalid,
// r2 has no endpoint, or the r2 credentials file is named but missing or malformed. Reads
// only endpoint and bucket names from that file, and logs nothing.
s3_endpoint_settings resolve_s3_endpoint(const run::storage_settings& settings);

// Walks the chain above. Throws grin::fatal when nothing is found (listing every place
// looked at and how to fix it), when a place has only half a key pair, when a named
// credentials file is missing or malformed, or when an r2 credentials file it reads is
// readable by everyone. Never puts a secret into a message. Logs the source at info.
s3_credentials resolve_s3_credentials(const run::storage_settings& settings);

} // namespace grin::storage
