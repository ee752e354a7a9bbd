#include <grin/core/error.hpp>
#include <grin/crypto/packet_reader.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_message.hpp"

namespace {

using grin::crypto::bytes_view;
using grin::crypto::packet_reader;
using grin::test::bytes;

struct recorder : grin::crypto::packet_handler {
    struct packet {
        int tag;
        std::optional<std::uint64_t> length;
        bytes body;
        bool ended = false;
    };
    std::vector<packet> packets;
    void on_packet_begin(int tag, std::optional<std::uint64_t> length) override {
        packets.push_back({tag, length, {}, false});
    }
    void on_packet_body(bytes_view data) override {
        packets.back().body.insert(packets.back().body.end(), data.begin(), data.end());
    }
    void on_packet_end() override { packets.back().ended = true; }
};

void feed_in_pieces(packet_reader& reader, const bytes& data, std::size_t piece) {
    for (std::size_t pos = 0; pos < data.size(); pos += piece)
        reader.feed(bytes_view(data).subspan(pos, std::min(piece, data.size() - pos)));
}

std::string error_of(const bytes& data) {
    recorder r;
    packet_reader reader(r, "file");
    try {
        reader.feed(data);
        reader.finish();
    } catch (const grin::error& e) {
        EXPECT_EQ(e.context().step, "decrypt");
        return e.message();
    }
    return "";
}

TEST(crypto_packet_reader, old_and_new_headers_of_every_length_form_in_any_split) {
    bytes stream;
    std::vector<std::size_t> sizes = {0, 1, 191, 192, 8383, 8384, 70000};
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        auto body = grin::test::pattern_bytes(sizes[i], static_cast<std::uint32_t>(i));
        grin::test::put_packet(stream, 11, body, i % 2 == 0);
    }
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, stream.size()}) {
        recorder r;
        packet_reader reader(r, "file");
        feed_in_pieces(reader, stream, piece);
        reader.finish();
        ASSERT_EQ(r.packets.size(), sizes.size()) << "piece " << piece;
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            EXPECT_EQ(r.packets[i].tag, 11);
            EXPECT_EQ(r.packets[i].length, std::optional<std::uint64_t>(sizes[i]));
            EXPECT_EQ(r.packets[i].body,
                      grin::test::pattern_bytes(sizes[i], static_cast<std::uint32_t>(i)));
            EXPECT_TRUE(r.packets[i].ended);
        }
    }
}

TEST(crypto_packet_reader, partial_body_lengths_are_joined) {
    auto body = grin::test::pattern_bytes(5000);
    for (std::size_t chunk : {std::size_t{1}, std::size_t{512}, std::size_t{4096}}) {
        bytes stream;
        grin::test::put_packet(stream, 18, body, false, chunk);
        recorder r;
        packet_reader reader(r, "file");
        feed_in_pieces(reader, stream, 333);
        reader.finish();
        ASSERT_EQ(r.packets.size(), 1u);
        EXPECT_EQ(r.packets[0].length, std::nullopt);
        EXPECT_EQ(r.packets[0].body, body);
        EXPECT_TRUE(r.packets[0].ended);
    }
}

TEST(crypto_packet_reader, indeterminate_length_runs_to_the_end) {
    bytes stream = {0x80 | (8 << 2) | 3, 1, 2, 3};
    recorder r;
    packet_reader reader(r, "file");
    reader.feed(stream);
    EXPECT_FALSE(r.packets[0].ended);
    reader.finish();
    EXPECT_TRUE(r.packets[0].ended);
    EXPECT_EQ(r.packets[0].body, (bytes{1, 2, 3}));
}

TEST(crypto_packet_reader, malformed_and_truncated_streams_are_clear_errors) {
    EXPECT_NE(error_of({'h', 'e', 'l', 'l', 'o'}).find("not OpenPGP data"), std::string::npos);
    EXPECT_NE(error_of({0x80}).find("invalid packet tag 0"), std::string::npos);
    EXPECT_NE(error_of({0xC3}).find("truncated input"), std::string::npos);
    EXPECT_NE(error_of({0xC3, 0xFF, 0x00}).find("truncated input"), std::string::npos);
    EXPECT_NE(error_of({0xC3, 10, 1, 2}).find("8 bytes before the end"), std::string::npos);
    // A claimed 4 GB body with three bytes of data: nothing is allocated for it.
    EXPECT_NE(error_of({0xD2, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0, 1, 2, 3}).find("truncated input"),
              std::string::npos);
    bytes partial_then_nothing = {0xD2, 0xE9};
    partial_then_nothing.resize(2 + 512);
    EXPECT_NE(error_of(partial_then_nothing).find("packet header"), std::string::npos);
}

} // namespace
