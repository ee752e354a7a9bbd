#pragma once
// sync::sync_book: the whole pipeline for one book, as one coroutine on the I/O thread
// (grin-transfer-behaviour.md 4.3, DESIGN sections 1 and 6):
//   CHECK      database state + HEAD <B>.tar.gz.gpg; an unchanged ETag of a synced book
//              is skipped (unless --force)
//   missing    -> known GRIN conversion failure: recorded (TRACK_CONVERSION_FAILURE)
//              -> otherwise REQUEST_CONVERSION, within the queue's budget, 429 = queue full
//   DOWNLOAD   -> DECRYPT -> UNPACK/EXTRACT in one streamed pass (archive_transfer.hpp),
//              download failures retried with backoff from the start
//   UPLOAD     commit the archive, store the OCR JSONL, write the MARC columns
//   completed  only after every artefact is stored (grin-transfer marked a book completed
//              even when its upload had failed)
// Every status change is recorded through the database actor with grin-transfer's
// status_type/status_value pairs and metadata. One book's failure is reported in its
// book_report and never thrown, except cancellation (the second Ctrl-C), which ends the
// book at once without recording anything more (what was committed stays committed).
// In dry-run mode the book is only checked (reads: database, HEAD) and the plan printed.
#include <grin/api/client.hpp>
#include <grin/crypto/passphrase.hpp>
#include <grin/db/database.hpp>
#include <grin/net/retry.hpp>
#include <grin/storage/key_layout.hpp>
#include <grin/storage/storage.hpp>
#include <grin/sync/async_gate.hpp>
#include <grin/sync/disk_guard.hpp>
#include <grin/sync/key_deriver.hpp>
#include <grin/sync/sync_metrics.hpp>
#include <grin/sync/task_statistics.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace grin::sync {

struct sync_options {
    bool force = false;
    bool dry_run = false;
    bool extract_ocr = true;
    bool extract_marc = true;
    bool compress_ocr = true; // <B>_ocr.jsonl.gz, or .jsonl with --skip-compression-full
    // Whole-archive attempts (a download failure restarts the book's transfer); 429 and
    // 5xx are retried, after the server's Retry-After when it sent one (grin-protocol.md
    // 1.8: GET 429 is retried, 6 attempts).
    net::retry_policy download_retry{.max_attempts = 6,
                                     .base_delay = std::chrono::seconds(2),
                                     .max_delay = std::chrono::seconds(300),
                                     .retryable_statuses = {408, 429, 500, 502, 503, 504}};
    std::size_t piece_bytes = 256 * 1024;
};

enum class book_outcome {
    synced,
    skipped,
    conversion_requested,
    conversion_failure_tracked,
    failed,
    cancelled,
};
std::string_view to_string(book_outcome outcome) noexcept;

struct book_report {
    std::string barcode;
    book_outcome outcome = book_outcome::failed;
    std::string reason;                 // skip / failure reason, "" for synced
    std::uint64_t downloaded_bytes = 0; // encrypted bytes received (last attempt)
    std::uint64_t archive_bytes = 0;    // decrypted archive stored
    int download_attempts = 0;
};

// One row of GRIN's _failed list (grin-protocol.md 1.5).
struct known_failure {
    std::string failed_date;
    std::string info;
    std::string detailed_info;
};
using known_failures = std::map<std::string, known_failure, std::less<>>;

// How many conversion requests this queue may still make (GRIN caps its queue at 50,000;
// the budget is the cap minus what is in process) and whether GRIN said it is full.
struct conversion_budget {
    std::optional<std::uint64_t> remaining; // nullopt: not limited here
    bool queue_full = false;
};

struct stage_gates {
    async_gate check;
    async_gate download;
    async_gate upload;
    async_gate conversion;
};

struct book_job_context {
    api::client& grin;
    db::database& database;
    storage::storage& store;
    const storage::key_layout& layout;
    const crypto::passphrase& key;
    boost::asio::any_io_executor cpu;
    stage_gates& gates;
    disk_guard& disk;
    const sync_options& options;
    const known_failures& failures;
    conversion_budget& conversions;
    task_statistics& tasks;
    std::size_t& processing;                      // books between download and their last record
    std::function<void(const std::string&)> plan; // dry-run: prints one planned action
    sync_metrics* metrics = nullptr;              // optional: stage timings, outcomes, bytes
    key_deriver* keys = nullptr;                  // optional: S2K keys derived in batches
};

boost::asio::awaitable<book_report> sync_book(book_job_context& context, std::string barcode);

} // namespace grin::sync
