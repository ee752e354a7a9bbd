#pragma once
// Where an object lives: a bucket role (grin-protocol.md 4.2) and a key inside that bucket.
// An object_key can only be built from a key that is safe to join under a directory and to
// put into an S3 URL, so no backend has to re-check it: relative, '/'-separated, no empty
// segment, no segment starting with '.' (which rules out "." and ".." and reserves
// dot-names for the backends' temporary and sidecar files), no backslash, no control
// characters, at most 1024 bytes (S3's limit). Pure values, thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace grin::storage {

// raw: decrypted archives; meta: CSV, database copies, summaries, run config; full: OCR text.
enum class bucket_role { raw, meta, full };

// "raw", "meta", "full": also the local directory names under base_path.
std::string_view to_string(bucket_role role) noexcept;
// Accepts exactly the names to_string produces; nullopt otherwise (e.g. for CLI parsing).
std::optional<bucket_role> parse_bucket_role(std::string_view name) noexcept;

// True when `key` satisfies the rules above.
bool is_valid_key(std::string_view key) noexcept;

// A listing prefix: empty, or a valid key optionally followed by '/', or a valid key whose
// last segment is cut short ("run1/B12" matches "run1/B123.tar.gz"). Same safety rules.
bool is_valid_key_prefix(std::string_view prefix) noexcept;

// Throws grin::error (step "storage") saying which rule `key` breaks.
void require_valid_key(std::string_view key);
void require_valid_key_prefix(std::string_view prefix);

class object_key {
public:
    // Throws grin::error (step "storage") when `key` is not valid.
    object_key(bucket_role role, std::string key);

    bucket_role role() const noexcept { return role_; }
    const std::string& key() const noexcept { return key_; }
    // "raw/run1/B1.tar.gz": for messages.
    std::string to_string() const;

    friend bool operator==(const object_key&, const object_key&) = default;

private:
    bucket_role role_;
    std::string key_;
};

} // namespace grin::storage
