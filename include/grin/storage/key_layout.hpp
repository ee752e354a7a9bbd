#pragma once
// The object keys of one run, exactly as grin-transfer writes them (grin-protocol.md 4.3,
// grin-transfer-behaviour.md 4.4), so either tool can read what the other stored:
//
//   artefact            role   object store key                          local directory
//   decrypted archive   raw    <run>/<B>.tar.gz                          <B>/<B>.tar.gz
//   OCR text            full   <run>/<B>_ocr.jsonl[.gz]                  same
//   CSV export          meta   <run>/books_latest.csv[.gz]               same
//                              <run>/timestamped/<ts>_books.csv[.gz]
//   SQLite copy         meta   <run>/books_latest.db.gz                  same
//                              <run>/timestamped/<ts>_books_latest.db.gz
//   process summary     meta   <run>/process_summary.json.gz             same
//   run config          meta   <run>/run_config.json                     same
//
// The local backend stores the archive under raw/<B>/ (not run-scoped): that is where
// grin-transfer decrypts it, and books.storage_path of existing runs points there.
// A non-empty storage prefix (storage_config.prefix; collect writes "") is put in front of
// every key. <ts> is local time "YYYYmmdd_HHMMSS". Barcodes are validated
// (api::require_valid_barcode) before they reach a key. Pure values, thread-safe.
#include <grin/storage/object_key.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace grin::storage {

enum class layout_kind {
    object_store,   // S3, R2, MinIO
    local_directory // base_path/raw|meta|full
};

struct key_layout_params {
    // The run name ([A-Za-z0-9_-]+, as run::sanitize_run_name leaves it).
    std::string run_name;
    // storage_config.prefix: empty, or a valid key (object_key rules) put before every key.
    std::string prefix;
    layout_kind kind = layout_kind::object_store;
};

class key_layout {
public:
    // Throws grin::error (step "storage") for an invalid run name or prefix.
    explicit key_layout(key_layout_params params);

    // The following throw grin::error (step "validate", barcode set) for an invalid barcode.
    object_key archive(std::string_view barcode) const;
    object_key ocr_text(std::string_view barcode, bool compressed) const;

    object_key csv_latest(bool compressed) const;
    // Throws grin::error when `timestamp` is not "YYYYmmdd_HHMMSS".
    object_key csv_timestamped(std::string_view timestamp, bool compressed) const;
    object_key database_latest() const;
    object_key database_timestamped(std::string_view timestamp) const;
    object_key process_summary() const;
    object_key run_config() const;

    // "<prefix>/<run>/" (or "<run>/"): what `grin storage ls` lists for this run in meta/full.
    std::string run_prefix() const;

    const key_layout_params& params() const noexcept { return params_; }

private:
    object_key make(bucket_role role, std::string_view relative) const;

    key_layout_params params_;
};

// The <ts> of timestamped copies: local time as "YYYYmmdd_HHMMSS" (grin-transfer uses
// datetime.now()).
std::string key_timestamp(std::chrono::system_clock::time_point when);

} // namespace grin::storage
