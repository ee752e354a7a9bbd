#pragma once
// packet_reader: push-style framing of an OpenPGP packet stream (RFC 4880 section 4.2).
// It is fed bytes in arbitrary pieces and reports packets to a packet_handler: begin
// (tag, length when known), body pieces, end. Old and new headers, partial body lengths
// and the old "indeterminate" length (the packet runs to the end of the stream) are
// handled. Nothing is allocated from a claimed length: a header that promises 4 GB costs
// nothing until the bytes arrive, and finish() reports the shortfall.
// Throws grin::error (step "decrypt") on a malformed header, from finish() on a truncated
// stream, and lets the handler's exceptions through. Not thread-safe; one per stream.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace grin::crypto {

using bytes_view = std::span<const std::uint8_t>;

namespace tag {
inline constexpr int pkesk = 1;
inline constexpr int signature = 2;
inline constexpr int skesk = 3;
inline constexpr int one_pass_signature = 4;
inline constexpr int compressed = 8;
inline constexpr int sed = 9;
inline constexpr int marker = 10;
inline constexpr int literal = 11;
inline constexpr int seipd = 18;
inline constexpr int mdc = 19;
inline constexpr int aead = 20;
inline constexpr int padding = 21;
} // namespace tag

class packet_handler {
public:
    virtual ~packet_handler() = default;
    // `length` is the whole body length for a fixed-length header; nullopt for partial
    // and indeterminate lengths.
    virtual void on_packet_begin(int tag, std::optional<std::uint64_t> length) = 0;
    virtual void on_packet_body(bytes_view data) = 0;
    virtual void on_packet_end() = 0;
};

class packet_reader {
public:
    // `where` names the stream in messages ("file", "encrypted data", "compressed data").
    packet_reader(packet_handler& handler, std::string where);

    void feed(bytes_view data);
    // End of the containing stream: closes an indeterminate-length packet; throws
    // "truncated input: ..." when a header or body is incomplete.
    void finish();

    std::uint64_t offset() const noexcept { return offset_; }
    bool at_packet_boundary() const noexcept { return state_ == state::tag && header_len_ == 0; }

private:
    enum class state { tag, length, body, indeterminate };

    std::size_t take_header(bytes_view data);
    void start_body(std::uint64_t length, bool partial);

    packet_handler& handler_;
    std::string where_;
    state state_ = state::tag;
    std::uint8_t header_[6] = {};
    std::size_t header_len_ = 0;
    std::size_t old_length_bytes_ = 0;
    bool new_format_ = false;
    bool continuation_ = false; // reading the length of the next partial chunk
    int tag_ = 0;
    std::uint64_t remaining_ = 0;
    bool partial_ = false;
    std::uint64_t offset_ = 0;
};

} // namespace grin::crypto
