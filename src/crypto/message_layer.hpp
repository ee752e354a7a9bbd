#pragma once
// The packets inside the encrypted data (RFC 4880 11.3): a literal data packet, possibly
// inside one compressed data packet. Literal data goes to the caller's sink; signature
// packets (a signed-and-encrypted file) are skipped without verification, since this tool
// only needs the content. Every problem is thrown as detail::inner_format_error, which the
// SEIPD layer holds back until the MDC has been checked. Not thread-safe.
#include <grin/crypto/packet_reader.hpp>

#include <memory>
#include <vector>

#include "decompressor.hpp"
#include "layer_context.hpp"

namespace grin::crypto::detail {

class message_layer final : public packet_handler {
public:
    message_layer(layer_context& context, int depth);

    void feed(bytes_view data);
    void finish();

    void on_packet_begin(int tag, std::optional<std::uint64_t> length) override;
    void on_packet_body(bytes_view data) override;
    void on_packet_end() override;

private:
    enum class state { none, literal_header, literal_data, compressed_algo, compressed, skip };

    void literal_header_bytes(bytes_view data);

    layer_context& context_;
    int depth_;
    packet_reader reader_;
    state state_ = state::none;
    std::vector<std::uint8_t> header_;
    std::unique_ptr<decompressor> decompressor_;
    std::unique_ptr<message_layer> nested_;
    bool saw_literal_ = false;
};

} // namespace grin::crypto::detail
