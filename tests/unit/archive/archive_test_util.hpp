#pragma once
// Helpers for the archive tests: independent gzip/tar tools (zlib, libarchive) so that
// expected values never come from the code under test.
#include <grin/archive/tar_gz_walker.hpp>
#include <grin/emulator/archive_builder.hpp>
#include <grin/emulator/catalogue.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace grin::archive::test {

inline bytes_view as_bytes(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view data);

// zlib, gzip wrapper; gunzip handles concatenated members.
std::string gzip(std::string_view data, int level = 6);
std::string gunzip(std::string_view gz);

// Calls feed(bytes_view) with `data` in pieces of `chunk` bytes.
template <typename Feed>
void feed_in_chunks(std::string_view data, std::size_t chunk, Feed&& feed) {
    for (std::size_t at = 0; at < data.size(); at += chunk) {
        feed(as_bytes(data.substr(at, chunk)));
    }
}

struct member {
    std::string name;
    std::string data;
    char type = '0'; // '0' file, '5' directory, '2' symlink
};

enum class tar_format { ustar, pax, gnu };

// An uncompressed tar written by libarchive.
std::string make_tar(const std::vector<member>& members, tar_format format = tar_format::ustar);

struct read_member {
    std::string name;
    std::uint64_t size = 0;
    bool regular = false;
    std::string data;
};

// Every member of a .tar.gz as libarchive reads it.
std::vector<read_member> libarchive_members(std::string_view targz);

// Records what a walker reports.
struct recording_handler : entry_handler {
    std::vector<read_member> members;
    int open = 0; // entries begun and not yet ended (must be 0 or 1)
    void on_entry(const entry_info& e) override;
    void on_data(bytes_view data) override;
    void on_entry_end() override;
};

// A catalogue book with at least `min_pages` pages.
emulator::book book_with_pages(std::uint32_t min_pages, std::uint64_t seed = 7);

// The builder's tarball for `b` (version 0), read back into memory.
std::string built_tarball(const emulator::book& b,
                          emulator::archive_defect defect = emulator::archive_defect::none,
                          std::uint64_t image_bytes = 1024,
                          std::uint64_t seed = 1);

} // namespace grin::archive::test
