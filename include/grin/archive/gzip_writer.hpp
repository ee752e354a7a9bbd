#pragma once
// archive::gzip_writer: streaming gzip (zlib deflate, gzip wrapper) into a sink.
// write() any number of times, then finish() once; compressed bytes reach the sink in
// pieces of at most 64 KiB, on the calling thread. The gzip header carries no mtime and no
// name, so equal input gives equal bytes.
// Throws std::bad_alloc when zlib cannot allocate, std::logic_error on misuse (write after
// finish); exceptions from the sink pass through, after which the output is incomplete
// and the writer must be dropped. One thread at a time.
#include <grin/archive/tar_gz_walker.hpp>

#include <functional>
#include <memory>
#include <string_view>

namespace grin::archive {

class gzip_writer {
public:
    using sink = std::function<void(bytes_view compressed)>;

    // level: 0..9; 1 is what grin-transfer uses for the OCR JSONL.
    explicit gzip_writer(sink output, int level = 1);
    gzip_writer(const gzip_writer&) = delete;
    gzip_writer& operator=(const gzip_writer&) = delete;
    ~gzip_writer();

    void write(std::string_view data);
    void finish();

    std::uint64_t bytes_in() const noexcept;
    std::uint64_t bytes_out() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace grin::archive
