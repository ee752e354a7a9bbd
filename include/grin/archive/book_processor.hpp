#pragma once
// archive::book_processor: everything the sync pipeline does with one book's decrypted
// archive, in one pass over its bytes (DESIGN section 1): feed it the plaintext .tar.gz as
// crypto::decryptor produces it; it
//   - passes every byte on unchanged to the raw sink (the caller writes B.tar.gz to
//     staging) and counts and hashes them (SHA-256, optionally MD5);
//   - walks the tarball (tar_gz_walker) and writes the OCR JSONL.gz (ocr_jsonl_writer) to
//     the OCR sink, or into the result when no OCR sink is given;
//   - extracts the MARC columns from the METS member (extract_marc).
// finish() returns a book_result. Like the decryptor's output, what the sinks received is
// provisional until finish() returns (and until the decryptor's own finish() did).
//
// Outcomes, not exceptions, for the archive's content, because the raw archive may still
// be worth storing when it cannot be read (grin-transfer uploads it and marks extraction
// failed): a corrupt or truncated tar.gz sets result.unpack_error (a grin::error, step
// "unpack") and from then on only the raw sink and the hash run; OCR and MARC then report
// failed. No .txt member, or none named NNNNNNNN.txt: ocr failed. No .xml member, or none
// with a MARC record: marc failed. MARC is taken from the first .xml member that holds a
// record (grin-transfer tried only the first .xml, bug 28). Sink exceptions pass through
// and leave the processor spent.
//
// Threads: one processor per book, used by one thread at a time (a CPU-pool job); no Asio
// here, no shared state.
#include <grin/archive/marc_extractor.hpp>
#include <grin/archive/ocr_jsonl_writer.hpp>
#include <grin/archive/tar_gz_walker.hpp>
#include <grin/core/error.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace grin::archive {

struct book_processor_options {
    std::string barcode = {}; // for error context
    bool extract_ocr = true;
    bool extract_marc = true;
    int ocr_gzip_level = 1;
    bool sha256 = true;
    bool md5 = false;
    walker_limits walker{};
    ocr_limits ocr{};
    // Largest .xml member read for MARC (real METS files are well below this).
    std::size_t max_xml_bytes = 64 * 1024 * 1024;
};

enum class extraction_status { ok, failed, skipped };

struct ocr_outcome {
    extraction_status status = extraction_status::skipped;
    std::string problem;               // when failed
    std::uint64_t page_count = 0;      // JSONL lines written
    std::string jsonl_gz;              // the .jsonl.gz bytes, when no OCR sink was given
    std::uint64_t jsonl_bytes = 0;     // uncompressed size
    std::uint64_t text_members = 0;    // *.txt members seen
    std::uint64_t skipped_names = 0;   // *.txt members not named NNNNNNNN.txt
    std::uint64_t late_duplicates = 0; // see ocr_jsonl_writer
};

struct marc_outcome {
    extraction_status status = extraction_status::skipped;
    std::string problem;
    std::string member;             // the .xml member the record came from
    std::vector<marc_field> fields; // marc_columns(), values nullopt when absent
};

struct book_result {
    std::uint64_t archive_bytes = 0; // plaintext .tar.gz size
    std::string sha256_hex;          // empty when not asked for
    std::string md5_hex;
    std::optional<grin::error> unpack_error;
    std::uint64_t members = 0;
    ocr_outcome ocr;
    marc_outcome marc;
};

class book_processor {
public:
    using sink = std::function<void(bytes_view data)>;

    // raw: receives the plaintext archive (may be empty to skip). ocr: receives the
    // JSONL.gz; when empty it is collected into book_result::ocr.jsonl_gz.
    explicit book_processor(book_processor_options options, sink raw = {}, sink ocr = {});
    book_processor(const book_processor&) = delete;
    book_processor& operator=(const book_processor&) = delete;
    book_processor(book_processor&&) noexcept;
    book_processor& operator=(book_processor&&) noexcept;
    ~book_processor();

    void update(bytes_view plaintext);
    book_result finish();

    // Peak bytes held for member contents (one page text or one .xml) and waiting pages.
    std::size_t peak_buffered_bytes() const noexcept;

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

} // namespace grin::archive
