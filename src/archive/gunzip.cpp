#include <grin/archive/gunzip.hpp>
#include <grin/core/error.hpp>

#include <zlib.h>

namespace grin::archive {

std::string gunzip(std::string_view compressed) {
    z_stream stream{};
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        throw error("zlib could not start inflating", {.step = "unpack"});
    std::string out;
    char buffer[64 * 1024];
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
    stream.avail_in = static_cast<uInt>(compressed.size());
    int status = Z_OK;
    do {
        stream.next_out = reinterpret_cast<Bytef*>(buffer);
        stream.avail_out = sizeof buffer;
        status = inflate(&stream, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END) {
            inflateEnd(&stream);
            throw error("not valid gzip data", {.step = "unpack"});
        }
        out.append(buffer, sizeof buffer - stream.avail_out);
        if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
            inflateEnd(&stream);
            throw error("gzip data ends early", {.step = "unpack"});
        }
    } while (status != Z_STREAM_END);
    inflateEnd(&stream);
    return out;
}

} // namespace grin::archive
