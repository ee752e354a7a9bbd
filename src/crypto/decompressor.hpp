#pragma once
// Streaming inflation for compressed data packets (RFC 4880 5.6): ZIP (raw deflate) and
// ZLIB via zlib, BZIP2 via libbz2, 0 = stored. Output goes out in 64 KiB pieces, so memory
// stays constant however well the data compresses. Throws detail::inner_format_error on
// corrupt or incomplete streams and on unknown algorithms. Not thread-safe.
#include <grin/crypto/packet_reader.hpp>

#include <functional>
#include <memory>

namespace grin::crypto::detail {

class decompressor {
public:
    using output = std::function<void(bytes_view)>;
    virtual ~decompressor() = default;
    virtual void feed(bytes_view data, const output& out) = 0;
    // End of the packet: the compressed stream must have ended properly.
    virtual void finish(const output& out) = 0;

    static std::unique_ptr<decompressor> create(int algo);
};

} // namespace grin::crypto::detail
