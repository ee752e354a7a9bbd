#include <grin/archive/gzip_writer.hpp>

#include <zlib.h>

#include <algorithm>
#include <new>
#include <stdexcept>
#include <vector>

namespace grin::archive {

struct gzip_writer::impl {
    impl(sink s, int level) : output(std::move(s)), buffer(64 * 1024) {
        if (deflateInit2(&z, std::clamp(level, 0, 9), Z_DEFLATED, 16 + MAX_WBITS, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            throw std::bad_alloc();
        }
    }
    ~impl() { deflateEnd(&z); }

    void run(const char* data, std::size_t size, int flush) {
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
        z.avail_in = static_cast<uInt>(size);
        for (;;) {
            z.next_out = buffer.data();
            z.avail_out = static_cast<uInt>(buffer.size());
            int rc = deflate(&z, flush);
            if (rc == Z_STREAM_ERROR) {
                throw std::logic_error("gzip_writer: deflate stream error");
            }
            std::size_t produced = buffer.size() - z.avail_out;
            out += produced;
            if (produced > 0) {
                output(bytes_view(buffer.data(), produced));
            }
            if (flush == Z_FINISH ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) {
                return;
            }
        }
    }

    sink output;
    z_stream z{};
    std::vector<std::uint8_t> buffer;
    std::uint64_t in = 0, out = 0;
    bool finished = false;
};

gzip_writer::gzip_writer(sink output, int level)
    : impl_(std::make_unique<impl>(std::move(output), level)) {}

gzip_writer::~gzip_writer() = default;

void gzip_writer::write(std::string_view data) {
    if (impl_->finished) {
        throw std::logic_error("gzip_writer: write after finish");
    }
    impl_->in += data.size();
    // zlib's avail_in is 32-bit: feed very large pieces in slices.
    while (!data.empty()) {
        auto take = std::min<std::size_t>(data.size(), 1u << 30);
        impl_->run(data.data(), take, Z_NO_FLUSH);
        data.remove_prefix(take);
    }
}

void gzip_writer::finish() {
    if (impl_->finished) {
        throw std::logic_error("gzip_writer: finish called twice");
    }
    impl_->finished = true;
    impl_->run(nullptr, 0, Z_FINISH);
}

std::uint64_t gzip_writer::bytes_in() const noexcept {
    return impl_->in;
}
std::uint64_t gzip_writer::bytes_out() const noexcept {
    return impl_->out;
}

} // namespace grin::archive
