#include <grin/archive/ocr_jsonl_writer.hpp>
#include <grin/archive/ocr_text.hpp>
#include <grin/core/error.hpp>

#include <algorithm>

namespace grin::archive {

ocr_jsonl_writer::ocr_jsonl_writer(gzip_writer::sink output,
                                   std::string barcode,
                                   ocr_limits limits,
                                   int gzip_level)
    : gzip_(std::move(output), gzip_level), barcode_(std::move(barcode)), limits_(limits) {}

void ocr_jsonl_writer::add_page(std::uint32_t number, std::string_view raw) {
    if (raw.size() > limits_.max_page_bytes) {
        throw grin::error("page " + std::to_string(number) + " text too large (" +
                              std::to_string(raw.size()) + " bytes)",
                          {.step = "extract_ocr", .barcode = barcode_});
    }
    std::string line = ocr_json_line(decode_page_text(raw));
    if (number == next_ || (number == last_written_ && last_written_ != 0)) {
        write_line(number, line);
        drain_ready();
        return;
    }
    if (number < next_) {
        ++late_duplicates_;
        return;
    }
    if (pending_bytes_ + line.size() > limits_.max_pending_bytes) {
        throw grin::error("too many out-of-order pages waiting (more than " +
                              std::to_string(limits_.max_pending_bytes) + " bytes)",
                          {.step = "extract_ocr", .barcode = barcode_});
    }
    pending_bytes_ += line.size();
    peak_pending_ = std::max(peak_pending_, pending_bytes_);
    pending_.emplace(number, std::move(line));
}

void ocr_jsonl_writer::write_line(std::uint32_t number, const std::string& line) {
    static const std::string empty_page = "\"\"\n";
    while (next_ < number) {
        gzip_.write(empty_page);
        ++lines_;
        ++next_;
    }
    gzip_.write(line);
    ++lines_;
    last_written_ = number;
    next_ = std::max(next_, number + 1);
}

void ocr_jsonl_writer::drain_ready() {
    while (!pending_.empty() && pending_.begin()->first <= next_) {
        auto node = pending_.extract(pending_.begin());
        pending_bytes_ -= node.mapped().size();
        write_line(node.key(), node.mapped());
    }
}

std::uint64_t ocr_jsonl_writer::finish() {
    while (!pending_.empty()) {
        auto node = pending_.extract(pending_.begin());
        pending_bytes_ -= node.mapped().size();
        write_line(node.key(), node.mapped());
    }
    gzip_.finish();
    return lines_;
}

} // namespace grin::archive
