#include <grin/api/barcode.hpp>
#include <grin/core/error.hpp>
#include <grin/storage/key_layout.hpp>

#include <ctime>

namespace grin::storage {
namespace {

bool is_run_name(std::string_view name) {
    if (name.empty())
        return false;
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

// "YYYYmmdd_HHMMSS"
void require_timestamp(std::string_view timestamp) {
    bool ok = timestamp.size() == 15 && timestamp[8] == '_';
    for (std::size_t i = 0; ok && i < timestamp.size(); ++i)
        ok = i == 8 || (timestamp[i] >= '0' && timestamp[i] <= '9');
    if (!ok)
        throw error("invalid timestamp '" + std::string(timestamp) +
                        "' for a storage key: expected YYYYmmdd_HHMMSS",
                    {.step = "storage"});
}

std::string barcode_checked(std::string_view barcode) {
    api::require_valid_barcode(barcode);
    return std::string(barcode);
}

} // namespace

key_layout::key_layout(key_layout_params params) : params_(std::move(params)) {
    if (!is_run_name(params_.run_name))
        throw error("invalid run name '" + params_.run_name +
                        "' for storage keys: use letters, digits, '_' and '-' only",
                    {.step = "storage"});
    while (!params_.prefix.empty() && params_.prefix.back() == '/')
        params_.prefix.pop_back();
    if (!params_.prefix.empty())
        require_valid_key(params_.prefix);
}

object_key key_layout::make(bucket_role role, std::string_view relative) const {
    std::string key = params_.prefix.empty() ? std::string() : params_.prefix + "/";
    key += relative;
    return object_key(role, std::move(key));
}

std::string key_layout::run_prefix() const {
    return (params_.prefix.empty() ? std::string() : params_.prefix + "/") + params_.run_name + "/";
}

object_key key_layout::archive(std::string_view barcode) const {
    const std::string b = barcode_checked(barcode);
    if (params_.kind == layout_kind::local_directory)
        return make(bucket_role::raw, b + "/" + b + ".tar.gz");
    return make(bucket_role::raw, params_.run_name + "/" + b + ".tar.gz");
}

object_key key_layout::ocr_text(std::string_view barcode, bool compressed) const {
    const std::string b = barcode_checked(barcode);
    return make(bucket_role::full,
                params_.run_name + "/" + b + (compressed ? "_ocr.jsonl.gz" : "_ocr.jsonl"));
}

object_key key_layout::csv_latest(bool compressed) const {
    return make(bucket_role::meta,
                params_.run_name + (compressed ? "/books_latest.csv.gz" : "/books_latest.csv"));
}

object_key key_layout::csv_timestamped(std::string_view timestamp, bool compressed) const {
    require_timestamp(timestamp);
    return make(bucket_role::meta, params_.run_name + "/timestamped/" + std::string(timestamp) +
                                       (compressed ? "_books.csv.gz" : "_books.csv"));
}

object_key key_layout::database_latest() const {
    return make(bucket_role::meta, params_.run_name + "/books_latest.db.gz");
}

object_key key_layout::database_timestamped(std::string_view timestamp) const {
    require_timestamp(timestamp);
    return make(bucket_role::meta, params_.run_name + "/timestamped/" + std::string(timestamp) +
                                       "_books_latest.db.gz");
}

object_key key_layout::process_summary() const {
    return make(bucket_role::meta, params_.run_name + "/process_summary.json.gz");
}

object_key key_layout::run_config() const {
    return make(bucket_role::meta, params_.run_name + "/run_config.json");
}

std::string key_timestamp(std::chrono::system_clock::time_point when) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm local{};
    ::localtime_r(&seconds, &local);
    char text[32];
    std::size_t n = std::strftime(text, sizeof text, "%Y%m%d_%H%M%S", &local);
    return std::string(text, n);
}

} // namespace grin::storage
