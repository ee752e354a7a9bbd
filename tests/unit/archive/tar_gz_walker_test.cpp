#include <grin/archive/tar_gz_walker.hpp>
#include <grin/core/error.hpp>
#include <grin/emulator/archive_builder.hpp>

#include <gtest/gtest.h>

#include "archive_test_util.hpp"

namespace grin::archive {
namespace {

using emulator::archive_defect;
using test::as_bytes;

// Walks `targz` in `chunk`-byte pieces; returns what the handler saw.
std::vector<test::read_member>
walk(std::string_view targz, std::size_t chunk, walker_limits limits = {}) {
    test::recording_handler handler;
    tar_gz_walker walker(handler, "B1", limits);
    test::feed_in_chunks(targz, chunk, [&](bytes_view piece) { walker.update(piece); });
    walker.finish();
    EXPECT_EQ(handler.open, 0);
    EXPECT_EQ(walker.compressed_bytes(), targz.size());
    return handler.members;
}

void expect_same(const std::vector<test::read_member>& got,
                 const std::vector<test::read_member>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].name, want[i].name) << i;
        EXPECT_EQ(got[i].regular, want[i].regular) << want[i].name;
        if (want[i].regular) {
            EXPECT_EQ(got[i].size, want[i].size) << want[i].name;
            EXPECT_TRUE(got[i].data == want[i].data) << want[i].name;
        }
    }
}

// The error a walk throws, with its step checked.
std::string
unpack_error(std::string_view targz, std::size_t chunk = 4096, walker_limits limits = {}) {
    try {
        walk(targz, chunk, limits);
    } catch (const grin::error& e) {
        EXPECT_EQ(e.context().step, "unpack");
        EXPECT_EQ(e.context().barcode, "B1");
        return e.message();
    }
    ADD_FAILURE() << "no error";
    return {};
}

TEST(tar_gz_walker, emulator_archive_matches_libarchive_in_every_chunk_size) {
    auto b = test::book_with_pages(4);
    auto targz = test::built_tarball(b, archive_defect::none, 3000);
    auto want = test::libarchive_members(targz);
    ASSERT_GT(want.size(), 10u);
    for (std::size_t chunk :
         {std::size_t{1}, std::size_t{7}, std::size_t{4099}, std::size_t{65536}, targz.size()}) {
        SCOPED_TRACE(chunk);
        expect_same(walk(targz, chunk), want);
    }
}

TEST(tar_gz_walker, pax_and_gnu_long_names_dirs_and_links) {
    std::string long_dir(150, 'd');
    std::string long_name = long_dir + "/" + std::string(120, 'n') + "/00000001.txt";
    std::vector<test::member> members{{"dir", "", '5'},
                                      {long_name, "page one\n"},
                                      {"link", "target", '2'},
                                      {"empty.txt", ""},
                                      {"./x/00000002.txt", std::string(1500, 'x')}};
    for (auto format : {test::tar_format::pax, test::tar_format::gnu, test::tar_format::ustar}) {
        if (format == test::tar_format::ustar) {
            members[1].name = std::string(100, 'p') + "/00000001.txt"; // prefix field
        }
        auto targz = test::gzip(test::make_tar(members, format));
        auto got = walk(targz, 13);
        expect_same(got, test::libarchive_members(targz));
        ASSERT_EQ(got.size(), members.size());
        EXPECT_EQ(got[1].name, members[1].name);
        EXPECT_EQ(got[1].data, "page one\n");
        EXPECT_FALSE(got[0].regular);
        EXPECT_FALSE(got[2].regular);
        EXPECT_EQ(got[2].size, 0u);
    }
}

TEST(tar_gz_walker, concatenated_gzip_members_and_trailing_bytes) {
    auto tar = test::make_tar({{"a.txt", std::string(3000, 'a')}, {"b.txt", "bee"}});
    auto split = tar.size() / 2 + 17;
    auto targz = test::gzip(tar.substr(0, split)) + std::string(5, '\0') +
                 test::gzip(tar.substr(split)) + "trailing junk after the archive";
    auto got = walk(targz, 100);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].data, std::string(3000, 'a'));
    EXPECT_EQ(got[1].data, "bee");
}

TEST(tar_gz_walker, archive_without_end_blocks_is_accepted_at_a_member_boundary) {
    auto tar = test::make_tar({{"a.txt", "hello"}});
    auto trimmed = tar.substr(0, 1024); // header + one data block, no zero blocks
    auto got = walk(test::gzip(trimmed), 5);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].data, "hello");
}

TEST(tar_gz_walker, corrupt_and_truncated_input_fails_with_unpack_step) {
    auto b = test::book_with_pages(3);
    auto good = test::built_tarball(b);
    EXPECT_NE(unpack_error("").find("empty"), std::string::npos);
    EXPECT_NE(
        unpack_error(test::built_tarball(b, archive_defect::truncated_gzip)).find("truncated gzip"),
        std::string::npos);
    EXPECT_NE(unpack_error(good.substr(0, good.size() - 4)).find("truncated gzip"),
              std::string::npos);
    EXPECT_NE(unpack_error("this is not gzip at all").find("corrupt gzip"), std::string::npos);
    auto flipped = good;
    flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x55);
    EXPECT_FALSE(unpack_error(flipped).empty());
    EXPECT_NE(unpack_error(test::gzip("")).find("empty"), std::string::npos);
}

TEST(tar_gz_walker, bad_headers_fail) {
    auto tar = test::make_tar({{"a.txt", "hello"}, {"b.txt", "world"}});
    auto bad_sum = tar;
    bad_sum[512 + 512 + 3] ^= 1; // second header's name: checksum no longer matches
    EXPECT_NE(unpack_error(test::gzip(bad_sum)).find("checksum"), std::string::npos);

    auto cut = tar.substr(0, 512 + 200); // inside the first member's data
    EXPECT_NE(unpack_error(test::gzip(cut)).find("truncated tar"), std::string::npos);

    auto bad_size = tar;
    bad_size[124] = '9'; // not octal; recompute the checksum so only the size is wrong
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i) {
        sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(bad_size[i]);
    }
    for (int i = 5; i >= 0; --i, sum >>= 3) {
        bad_size[148 + i] = static_cast<char>('0' + (sum & 7));
    }
    bad_size[154] = '\0';
    EXPECT_NE(unpack_error(test::gzip(bad_size)).find("size"), std::string::npos);

    auto garbage = std::string(2048, 'G');
    EXPECT_NE(unpack_error(test::gzip(garbage)).find("checksum"), std::string::npos);
}

TEST(tar_gz_walker, oversized_pax_header_is_refused) {
    std::string name(3000, 'n');
    auto targz = test::gzip(test::make_tar({{name, "x"}}, test::tar_format::pax));
    EXPECT_NE(unpack_error(targz, 4096, {.max_extended_header = 1024}).find("too large"),
              std::string::npos);
    EXPECT_EQ(walk(targz, 4096, {.max_extended_header = 8192}).at(0).name, name);
}

TEST(tar_gz_walker, spent_after_a_failure) {
    test::recording_handler handler;
    tar_gz_walker walker(handler);
    EXPECT_THROW(walker.update(as_bytes("not gzip")), grin::error);
    EXPECT_THROW(walker.update(as_bytes("x")), grin::error);
    EXPECT_THROW(walker.finish(), grin::error);
}

// A 50 MiB archive: the walker's memory stays at its fixed buffers (checked through its
// own accounting, since data is never copied into it).
TEST(tar_gz_walker, large_archive_walks_with_fixed_memory) {
    auto b = test::book_with_pages(3);
    std::uint64_t image = 50ull * 1024 * 1024 / b.pages;
    auto targz = test::built_tarball(b, archive_defect::none, image);
    ASSERT_GT(targz.size(), 50ull * 1024 * 1024);

    struct counting : entry_handler {
        std::uint64_t bytes = 0, entries = 0;
        std::size_t largest_piece = 0;
        void on_entry(const entry_info&) override { ++entries; }
        void on_data(bytes_view d) override {
            bytes += d.size();
            largest_piece = std::max(largest_piece, d.size());
        }
        void on_entry_end() override {}
    } handler;
    tar_gz_walker walker(handler);
    test::feed_in_chunks(targz, 65536, [&](bytes_view piece) { walker.update(piece); });
    walker.finish();
    EXPECT_EQ(handler.entries, 3u * b.pages + 2);
    EXPECT_GE(handler.bytes, image * b.pages);
    EXPECT_LE(handler.largest_piece, tar_gz_walker::inflate_buffer_size);
    EXPECT_EQ(walker.peak_extended_header(), 0u);
    EXPECT_GT(walker.inflated_bytes(), handler.bytes);
}

} // namespace
} // namespace grin::archive
