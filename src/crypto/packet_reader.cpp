#include <grin/crypto/packet_reader.hpp>

#include <algorithm>

#include "fail.hpp"

namespace grin::crypto {

using detail::fail;

packet_reader::packet_reader(packet_handler& handler, std::string where)
    : handler_(handler), where_(std::move(where)) {}

void packet_reader::feed(bytes_view data) {
    while (!data.empty()) {
        if (state_ == state::indeterminate) {
            offset_ += data.size();
            handler_.on_packet_body(data);
            return;
        }
        if (state_ == state::body) {
            auto n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, data.size()));
            remaining_ -= n;
            offset_ += n;
            if (n > 0)
                handler_.on_packet_body(data.first(n));
            data = data.subspan(n);
            if (remaining_ == 0) {
                if (partial_) {
                    state_ = state::length;
                    continuation_ = true;
                    header_len_ = 0;
                } else {
                    state_ = state::tag;
                    header_len_ = 0;
                    handler_.on_packet_end();
                }
            }
            continue;
        }
        data = data.subspan(take_header(data));
    }
}

// Consumes header bytes one at a time; headers are at most 6 bytes, so this is cheap.
std::size_t packet_reader::take_header(bytes_view data) {
    std::size_t used = 0;
    while (used < data.size() && (state_ == state::tag || state_ == state::length)) {
        std::uint8_t b = data[used++];
        ++offset_;
        if (state_ == state::tag) {
            if ((b & 0x80) == 0)
                fail("not OpenPGP data: byte 0x" +
                     [&] {
                         static const char* hex = "0123456789abcdef";
                         return std::string{hex[b >> 4], hex[b & 15]};
                     }() +
                     " at offset " + std::to_string(offset_ - 1) + " of the " + where_ +
                     " is not a packet header");
            new_format_ = (b & 0x40) != 0;
            tag_ = new_format_ ? (b & 0x3f) : ((b >> 2) & 0x0f);
            if (tag_ == 0)
                fail("invalid packet tag 0 at offset " + std::to_string(offset_ - 1) + " of the " +
                     where_);
            header_len_ = 0;
            continuation_ = false;
            if (!new_format_ && (b & 3) == 3) {
                state_ = state::indeterminate;
                handler_.on_packet_begin(tag_, std::nullopt);
                return used;
            }
            if (!new_format_)
                old_length_bytes_ = std::size_t{1} << (b & 3);
            state_ = state::length;
            continue;
        }
        header_[header_len_++] = b;
        if (!new_format_) {
            if (header_len_ < old_length_bytes_)
                continue;
            std::uint64_t length = 0;
            for (std::size_t i = 0; i < header_len_; ++i)
                length = (length << 8) | header_[i];
            handler_.on_packet_begin(tag_, length);
            start_body(length, false);
            continue;
        }
        std::uint8_t first = header_[0];
        std::uint64_t length = 0;
        bool partial = false;
        if (first < 192) {
            length = first;
        } else if (first < 224) {
            if (header_len_ < 2)
                continue;
            length = ((std::uint64_t{first} - 192) << 8) + header_[1] + 192;
        } else if (first == 255) {
            if (header_len_ < 5)
                continue;
            length = (std::uint64_t{header_[1]} << 24) | (std::uint64_t{header_[2]} << 16) |
                     (std::uint64_t{header_[3]} << 8) | header_[4];
        } else {
            length = std::uint64_t{1} << (first & 0x1f);
            partial = true;
        }
        if (!continuation_)
            handler_.on_packet_begin(tag_,
                                     partial ? std::nullopt : std::optional<std::uint64_t>(length));
        start_body(length, partial);
    }
    return used;
}

void packet_reader::start_body(std::uint64_t length, bool partial) {
    header_len_ = 0;
    remaining_ = length;
    partial_ = partial;
    state_ = state::body;
    if (length == 0 && !partial) {
        state_ = state::tag;
        handler_.on_packet_end();
    }
}

void packet_reader::finish() {
    switch (state_) {
    case state::indeterminate:
        state_ = state::tag;
        header_len_ = 0;
        handler_.on_packet_end();
        return;
    case state::tag:
        return;
    case state::length:
        fail("truncated input: the " + where_ + " ends inside a packet header (tag " +
             std::to_string(tag_) + ")");
    case state::body:
        fail("truncated input: the " + where_ + " ends " + std::to_string(remaining_) +
             " bytes before the end of a packet (tag " + std::to_string(tag_) + ")");
    }
}

} // namespace grin::crypto
