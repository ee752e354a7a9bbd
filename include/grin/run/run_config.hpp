#pragma once
// output/<run>/run_config.json: the settings of one collection run, written once by the
// first `grin collect` and read by every later command (DESIGN section 6). Its format is
// grin-transfer's (grin-transfer-behaviour.md 2.2) plus our keys (grin_base_url,
// ca_file), so either tool can continue a run the other started.
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace grin::run {

struct storage_settings {
    std::string type = "local"; // local | s3 | r2 | minio
    // bucket_raw, bucket_meta, bucket_full, base_path, endpoint_url, region, ...; in memory
    // only, access_key / secret_key / session_token, which to_json_text never writes.
    std::map<std::string, std::string> config;
    std::string prefix;
    std::string protocol() const; // "file" for local, "s3" otherwise
};

struct sync_settings {
    // Chosen from bench/sync_local set c (40 ms latency, 200 Mbit/s): check 2 / download 4
    // reached 0.54 of the ceiling, 4/8 0.73, 8/16 0.85, 8/32 and 16/32 no more (CPU-bound
    // then). grin-transfer's 2/4 left a link with latency mostly idle.
    int task_check_concurrency = 8;
    int task_download_concurrency = 16;
    int task_decrypt_concurrency = 40;
    int task_upload_concurrency = 20;
    int task_unpack_concurrency = 20;
    int task_extract_marc_concurrency = 20;
    int task_extract_ocr_concurrency = 20;
    int task_export_csv_concurrency = 20;
    int task_cleanup_concurrency = 20;
    std::optional<std::string> staging_dir;
    double disk_space_threshold = 0.9;
    bool compression_full_enabled = true;
    bool compression_meta_enabled = true;
};

struct run_config {
    std::string run_name;
    std::string library_directory;
    std::string output_directory; // output/<run>
    std::string sqlite_db_path;   // output/<run>/books.db
    storage_settings storage;
    sync_settings sync;
    std::string log_file;
    std::optional<std::string> secrets_dir;
    std::string grin_base_url = "https://books.google.com/libraries/";
    std::optional<std::string> ca_file;
};

// Run names become directory names: letters, digits, '_' and '-' only (other characters
// are dropped, as grin-transfer does). Throws grin::fatal when nothing is left.
std::string sanitize_run_name(const std::string& requested);

std::filesystem::path run_directory(const std::filesystem::path& output_root,
                                    const std::string& run_name);

std::string to_json_text(const run_config& config);
// Throws grin::fatal naming the file when it cannot be read or parsed.
run_config load_run_config(const std::filesystem::path& file);

// First run: writes `wanted` atomically and returns it. Later runs: returns the stored
// config unchanged, after checking that every setting the user gave on this command line
// (`given`: dotted keys such as "library_directory" or "storage_config.config.base_path")
// equals the stored value; if not, throws grin::fatal naming each differing key with both
// values and saying how to proceed. The file is never rewritten.
run_config open_run_config(const std::filesystem::path& file,
                           const run_config& wanted,
                           const std::set<std::string>& given);

} // namespace grin::run
