#pragma once
// archive::ocr_jsonl_writer: turns page texts into `<B>_ocr.jsonl.gz` (grin-protocol.md
// 3.4): line k is page k as one JSON string, a missing page number is an empty string "",
// nothing follows the highest page. Output is gzip (level 1 like grin-transfer) streamed to
// a sink as soon as the order allows.
//
// Order: pages may arrive in any order (tar order). A page is written at once when it is
// the next number due (the emulator's and Google's archives list pages in ascending
// order, so then nothing waits); a page that comes early waits in memory, already
// encoded, until the pages before it arrived or finish() fills the gaps. Waiting pages
// are bounded by ocr_limits::max_pending_bytes. Pages with the same number (two
// directories) are all written, in arrival order, like grin-transfer's stable sort; the
// one case that cannot be honoured in one pass is a duplicate whose number was already
// passed (a higher page was written before it arrived): it is dropped and counted in
// late_duplicates().
//
// Errors: grin::error (step "extract_ocr", with the barcode) when the waiting pages would
// exceed the limit. Sink exceptions pass through. One thread at a time.
#include <grin/archive/gzip_writer.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace grin::archive {

struct ocr_limits {
    // Bytes of encoded pages allowed to wait for earlier pages (a whole book's OCR is
    // 1-2 MB in practice, so even a reversed archive fits).
    std::size_t max_pending_bytes = 256 * 1024 * 1024;
    // Largest single page text accepted (real pages are a few KiB).
    std::size_t max_page_bytes = 64 * 1024 * 1024;
};

class ocr_jsonl_writer {
public:
    explicit ocr_jsonl_writer(gzip_writer::sink output,
                              std::string barcode = {},
                              ocr_limits limits = {},
                              int gzip_level = 1);

    // `raw` is the member's bytes as stored; decoded with decode_page_text().
    void add_page(std::uint32_t number, std::string_view raw);
    // Writes the waiting pages (filling gaps), ends the gzip stream; returns the number of
    // lines written (= page_count).
    std::uint64_t finish();

    std::uint64_t lines_written() const noexcept { return lines_; }
    std::uint64_t late_duplicates() const noexcept { return late_duplicates_; }
    std::size_t peak_pending_bytes() const noexcept { return peak_pending_; }
    std::uint64_t uncompressed_bytes() const noexcept { return gzip_.bytes_in(); }

private:
    void write_line(std::uint32_t number, const std::string& line);
    void drain_ready();

    gzip_writer gzip_;
    std::string barcode_;
    ocr_limits limits_;
    std::uint32_t next_ = 1;         // the lowest page number not yet written
    std::uint32_t last_written_ = 0; // 0 before the first page
    std::multimap<std::uint32_t, std::string> pending_;
    std::size_t pending_bytes_ = 0;
    std::size_t peak_pending_ = 0;
    std::uint64_t lines_ = 0;
    std::uint64_t late_duplicates_ = 0;
};

} // namespace grin::archive
