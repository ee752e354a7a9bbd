#include "decompressor.hpp"

#include <grin/crypto/algorithms.hpp>

#include <bzlib.h>
#include <zlib.h>

#include <array>

#include "fail.hpp"

namespace grin::crypto::detail {
namespace {

constexpr std::size_t out_size = 64 * 1024;

class stored final : public decompressor {
public:
    void feed(bytes_view data, const output& out) override { out(data); }
    void finish(const output&) override {}
};

class zlib_inflater final : public decompressor {
public:
    explicit zlib_inflater(bool raw) {
        // -15: the raw deflate of RFC 1951 (OpenPGP "ZIP"); 15: RFC 1950 zlib framing.
        if (inflateInit2(&stream_, raw ? -15 : 15) != Z_OK)
            fail_inner("cannot initialise zlib");
        name_ = raw ? "ZIP" : "ZLIB";
    }
    ~zlib_inflater() override { inflateEnd(&stream_); }

    void feed(bytes_view data, const output& out) override {
        if (ended_)
            return; // bytes after the end of the deflate stream are ignored, as gpg does
        stream_.next_in = const_cast<Bytef*>(data.data());
        stream_.avail_in = static_cast<uInt>(data.size());
        run(out, Z_NO_FLUSH);
    }

    void finish(const output& out) override {
        if (ended_)
            return;
        stream_.next_in = nullptr;
        stream_.avail_in = 0;
        run(out, Z_FINISH);
        if (!ended_)
            fail_inner("truncated input: the " + name_ + " compressed data ends early");
    }

private:
    void run(const output& out, int flush) {
        for (;;) {
            stream_.next_out = buffer_.data();
            stream_.avail_out = static_cast<uInt>(buffer_.size());
            int rc = inflate(&stream_, flush);
            std::size_t produced = buffer_.size() - stream_.avail_out;
            if (produced > 0)
                out(bytes_view(buffer_.data(), produced));
            if (rc == Z_STREAM_END) {
                ended_ = true;
                return;
            }
            if (rc == Z_BUF_ERROR) {
                if (stream_.avail_out != 0)
                    return; // needs more input
                continue;
            }
            if (rc != Z_OK)
                fail_inner("corrupt " + name_ + " compressed data (" +
                           (stream_.msg ? std::string(stream_.msg) : std::to_string(rc)) + ")");
            if (stream_.avail_in == 0 && stream_.avail_out != 0)
                return;
        }
    }

    z_stream stream_{};
    std::array<std::uint8_t, out_size> buffer_{};
    bool ended_ = false;
    std::string name_;
};

class bzip2_inflater final : public decompressor {
public:
    bzip2_inflater() {
        if (BZ2_bzDecompressInit(&stream_, 0, 0) != BZ_OK)
            fail_inner("cannot initialise libbz2");
    }
    ~bzip2_inflater() override { BZ2_bzDecompressEnd(&stream_); }

    void feed(bytes_view data, const output& out) override {
        if (ended_)
            return;
        stream_.next_in = reinterpret_cast<char*>(const_cast<std::uint8_t*>(data.data()));
        stream_.avail_in = static_cast<unsigned>(data.size());
        for (;;) {
            stream_.next_out = reinterpret_cast<char*>(buffer_.data());
            stream_.avail_out = static_cast<unsigned>(buffer_.size());
            int rc = BZ2_bzDecompress(&stream_);
            std::size_t produced = buffer_.size() - stream_.avail_out;
            if (produced > 0)
                out(bytes_view(buffer_.data(), produced));
            if (rc == BZ_STREAM_END) {
                ended_ = true;
                return;
            }
            if (rc != BZ_OK)
                fail_inner("corrupt BZIP2 compressed data (libbz2 error " + std::to_string(rc) +
                           ")");
            if (stream_.avail_in == 0 && stream_.avail_out != 0)
                return;
        }
    }

    void finish(const output& /*out*/) override {
        if (!ended_)
            fail_inner("truncated input: the BZIP2 compressed data ends early");
    }

private:
    bz_stream stream_{};
    std::array<std::uint8_t, out_size> buffer_{};
    bool ended_ = false;
};

} // namespace

std::unique_ptr<decompressor> decompressor::create(int algo) {
    switch (algo) {
    case 0:
        return std::make_unique<stored>();
    case 1:
        return std::make_unique<zlib_inflater>(true);
    case 2:
        return std::make_unique<zlib_inflater>(false);
    case 3:
        return std::make_unique<bzip2_inflater>();
    default:
        fail_inner("unsupported compression algorithm " + std::to_string(algo) + " (" +
                   compression_name(algo) + ")");
    }
}

} // namespace grin::crypto::detail
