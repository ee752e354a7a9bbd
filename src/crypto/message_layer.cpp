#include "message_layer.hpp"

#include <grin/crypto/algorithms.hpp>

#include "fail.hpp"

namespace grin::crypto::detail {

message_layer::message_layer(layer_context& context, int depth)
    : context_(context)
    , depth_(depth)
    , reader_(*this, depth == 0 ? "encrypted data" : "compressed data") {}

void message_layer::feed(bytes_view data) {
    try {
        reader_.feed(data);
    } catch (const inner_format_error&) {
        throw;
    } catch (const grin::error& e) {
        if (context_.in_sink)
            throw;
        throw inner_format_error(e.message()); // framing errors from packet_reader
    }
}

void message_layer::finish() {
    try {
        reader_.finish();
    } catch (const inner_format_error&) {
        throw;
    } catch (const grin::error& e) {
        if (context_.in_sink)
            throw;
        throw inner_format_error(e.message());
    }
    if (!saw_literal_)
        fail_inner("no literal data packet in the encrypted data");
}

void message_layer::on_packet_begin(int packet_tag, std::optional<std::uint64_t>) {
    switch (packet_tag) {
    case tag::literal:
        state_ = state::literal_header;
        header_.clear();
        saw_literal_ = true;
        return;
    case tag::compressed:
        // gpg never nests compression; refusing it bounds the work a crafted file can ask for.
        if (depth_ > 0)
            fail_inner("nested compressed data packets are not supported");
        state_ = state::compressed_algo;
        return;
    case tag::signature:
    case tag::one_pass_signature:
    case tag::marker:
    case tag::padding:
        state_ = state::skip;
        return;
    default:
        fail_inner("unexpected packet (tag " + std::to_string(packet_tag) + ") in the " +
                   (depth_ == 0 ? "encrypted" : "compressed") + " data");
    }
}

void message_layer::literal_header_bytes(bytes_view data) {
    // format (1), name length (1), name, date (4)
    std::size_t need = header_.size() < 2 ? 2 : 6 + std::size_t{header_[1]};
    while (!data.empty() && header_.size() < need) {
        header_.push_back(data.front());
        data = data.subspan(1);
        if (header_.size() == 2)
            need = 6 + std::size_t{header_[1]};
    }
    if (header_.size() < need)
        return;
    if (context_.info.literal_name.empty())
        context_.info.literal_name.assign(header_.begin() + 2, header_.begin() + 2 + header_[1]);
    state_ = state::literal_data;
    context_.emit(data);
}

void message_layer::on_packet_body(bytes_view data) {
    switch (state_) {
    case state::literal_header:
        literal_header_bytes(data);
        return;
    case state::literal_data:
        context_.emit(data);
        return;
    case state::compressed_algo: {
        int algo = data.front();
        context_.info.compression = compression_name(algo);
        decompressor_ = decompressor::create(algo);
        nested_ = std::make_unique<message_layer>(context_, depth_ + 1);
        state_ = state::compressed;
        data = data.subspan(1);
        if (data.empty())
            return;
        [[fallthrough]];
    }
    case state::compressed:
        decompressor_->feed(data, [this](bytes_view out) { nested_->feed(out); });
        return;
    case state::skip:
    case state::none:
        return;
    }
}

void message_layer::on_packet_end() {
    switch (state_) {
    case state::literal_header:
        fail_inner("truncated literal data packet header");
    case state::compressed_algo:
        fail_inner("empty compressed data packet");
    case state::compressed:
        decompressor_->finish([this](bytes_view out) { nested_->feed(out); });
        nested_->finish();
        if (depth_ == 0)
            saw_literal_ = true; // the nested layer has already insisted on a literal packet
        decompressor_.reset();
        nested_.reset();
        break;
    default:
        break;
    }
    state_ = state::none;
}

} // namespace grin::crypto::detail
