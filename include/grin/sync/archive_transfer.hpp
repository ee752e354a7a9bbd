#pragma once
// sync::transfer_archive: one attempt at moving a book's archive from GRIN into storage
// in a single pass (DESIGN section 1): the GET body goes in ~1 MiB pieces to the CPU pool,
// where the OpenPGP decryptor turns it into the plaintext .tar.gz and the book processor
// hashes it, walks the tar and builds the OCR JSONL.gz and the MARC columns; back on the
// I/O thread the plaintext is written to a storage object_writer (local: a temporary
// beside the target; S3: the staged upload). The encrypted bytes never touch a disk and
// nothing is unpacked.
//
// The writer is returned uncommitted: the caller commits it (the UPLOAD step) after the
// decryptor verified the MDC, so a corrupt archive is never published. On failure the
// writer is aborted and a transfer_failure says which phase failed, so that the caller
// can retry download failures and record the others.
//
// Memory per book: one ciphertext piece (~256 KiB), its plaintext, and the processor's
// buffers.
#include <grin/api/client.hpp>
#include <grin/archive/book_processor.hpp>
#include <grin/crypto/decryptor.hpp>
#include <grin/storage/storage.hpp>
#include <grin/sync/disk_guard.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <exception>
#include <memory>

namespace grin::sync {

class sync_metrics;
class key_deriver;

enum class transfer_phase { download, decrypt, store };
std::string_view to_string(transfer_phase phase) noexcept;

// A failed attempt: the phase and the original exception (a grin::error, or a
// system_error for cancellation).
class transfer_failure : public std::exception {
public:
    transfer_failure(transfer_phase phase, std::exception_ptr cause, std::string message);
    transfer_phase phase() const noexcept { return phase_; }
    const std::exception_ptr& cause() const noexcept { return cause_; }
    const char* what() const noexcept override { return message_.c_str(); }

private:
    transfer_phase phase_;
    std::exception_ptr cause_;
    std::string message_;
};

struct transfer_request {
    std::string barcode;
    storage::object_key target;
    storage::metadata meta; // encrypted_etag is filled in from the GET
    archive::book_processor_options processing{};
    std::size_t piece_bytes = 256 * 1024; // ciphertext handed to the CPU pool at once
};

struct transfer_result {
    api::archive_info archive; // ETag and size from the GET
    crypto::decrypt_info decryption;
    archive::book_result content;
    std::unique_ptr<storage::object_writer> writer; // holds the plaintext, uncommitted
    std::chrono::nanoseconds cpu_time{};            // decrypt + process jobs on the CPU pool
};

struct transfer_services {
    api::client& grin;
    storage::storage& store;
    const crypto::passphrase& key;
    boost::asio::any_io_executor cpu;
    disk_guard& disk;
    sync_metrics* metrics = nullptr; // optional: CPU-pool backlog
    key_deriver* keys = nullptr;     // optional: S2K keys derived in batches
};

boost::asio::awaitable<transfer_result> transfer_archive(transfer_services services,
                                                         transfer_request request);

} // namespace grin::sync
