#include "archive_test_util.hpp"

#include <grin/emulator/archive_builder.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <test_support.hpp>

namespace grin::archive::test {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void write_file(const std::filesystem::path& path, std::string_view data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string gzip(std::string_view data, int level) {
    z_stream z{};
    if (deflateInit2(&z, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        throw std::runtime_error("deflateInit2");
    }
    std::string out(deflateBound(&z, data.size()) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        throw std::runtime_error("deflate");
    }
    return out;
}

std::string gunzip(std::string_view gz) {
    std::string out;
    std::size_t at = 0;
    while (at < gz.size()) {
        z_stream z{};
        if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
            throw std::runtime_error("inflateInit2");
        }
        z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data() + at));
        z.avail_in = static_cast<uInt>(gz.size() - at);
        int rc = Z_OK;
        char buffer[16384];
        while (rc != Z_STREAM_END) {
            z.next_out = reinterpret_cast<Bytef*>(buffer);
            z.avail_out = sizeof buffer;
            rc = inflate(&z, Z_NO_FLUSH);
            if (rc != Z_OK && rc != Z_STREAM_END) {
                inflateEnd(&z);
                throw std::runtime_error("gunzip: bad data");
            }
            out.append(buffer, sizeof buffer - z.avail_out);
        }
        at += z.total_in;
        inflateEnd(&z);
    }
    return out;
}

std::string make_tar(const std::vector<member>& members, tar_format format) {
    std::unique_ptr<::archive, decltype(&archive_write_free)> a(archive_write_new(),
                                                                archive_write_free);
    switch (format) {
    case tar_format::ustar:
        archive_write_set_format_ustar(a.get());
        break;
    case tar_format::pax:
        archive_write_set_format_pax(a.get());
        break;
    case tar_format::gnu:
        archive_write_set_format_gnutar(a.get());
        break;
    }
    archive_write_set_bytes_in_last_block(a.get(), 1);
    std::string out;
    auto writer = [](::archive*, void* self, const void* data, size_t n) -> la_ssize_t {
        static_cast<std::string*>(self)->append(static_cast<const char*>(data), n);
        return static_cast<la_ssize_t>(n);
    };
    if (archive_write_open(a.get(), &out, nullptr, writer, nullptr) != ARCHIVE_OK) {
        throw std::runtime_error("archive_write_open");
    }
    for (const auto& m : members) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> e(archive_entry_new(),
                                                                        archive_entry_free);
        archive_entry_set_pathname(e.get(), m.name.c_str());
        archive_entry_set_perm(e.get(), 0644);
        if (m.type == '5') {
            archive_entry_set_filetype(e.get(), AE_IFDIR);
        } else if (m.type == '2') {
            archive_entry_set_filetype(e.get(), AE_IFLNK);
            archive_entry_set_symlink(e.get(), m.data.c_str());
        } else {
            archive_entry_set_filetype(e.get(), AE_IFREG);
            archive_entry_set_size(e.get(), static_cast<la_int64_t>(m.data.size()));
        }
        if (archive_write_header(a.get(), e.get()) != ARCHIVE_OK) {
            throw std::runtime_error(std::string("archive_write_header: ") +
                                     archive_error_string(a.get()));
        }
        if (m.type == '0' && !m.data.empty()) {
            archive_write_data(a.get(), m.data.data(), m.data.size());
        }
    }
    archive_write_close(a.get());
    return out;
}

std::vector<read_member> libarchive_members(std::string_view targz) {
    std::unique_ptr<::archive, decltype(&archive_read_free)> a(archive_read_new(),
                                                               archive_read_free);
    archive_read_support_filter_gzip(a.get());
    archive_read_support_format_tar(a.get());
    if (archive_read_open_memory(a.get(), targz.data(), targz.size()) != ARCHIVE_OK) {
        throw std::runtime_error("archive_read_open_memory");
    }
    std::vector<read_member> out;
    archive_entry* e = nullptr;
    while (archive_read_next_header(a.get(), &e) == ARCHIVE_OK) {
        read_member m;
        m.name = archive_entry_pathname(e);
        m.regular = archive_entry_filetype(e) == AE_IFREG;
        m.size = static_cast<std::uint64_t>(archive_entry_size(e));
        char buffer[16384];
        la_ssize_t n = 0;
        while ((n = archive_read_data(a.get(), buffer, sizeof buffer)) > 0) {
            m.data.append(buffer, static_cast<std::size_t>(n));
        }
        out.push_back(std::move(m));
    }
    return out;
}

void recording_handler::on_entry(const entry_info& e) {
    EXPECT_EQ(open, 0) << "entry begun inside another: " << e.name;
    ++open;
    members.push_back({e.name, e.size, e.type == entry_type::regular, {}});
}

void recording_handler::on_data(bytes_view data) {
    EXPECT_EQ(open, 1);
    members.back().data.append(reinterpret_cast<const char*>(data.data()), data.size());
}

void recording_handler::on_entry_end() {
    EXPECT_EQ(open, 1);
    --open;
}

emulator::book book_with_pages(std::uint32_t min_pages, std::uint64_t seed) {
    emulator::catalogue cat(emulator::catalogue_params{.seed = seed, .book_count = 50});
    for (std::uint64_t i = 0; i < cat.size(); ++i) {
        auto b = cat.at(i);
        if (b.pages >= min_pages && !b.title.empty()) {
            return b;
        }
    }
    throw std::runtime_error("no book with enough pages");
}

std::string built_tarball(const emulator::book& b,
                          emulator::archive_defect defect,
                          std::uint64_t image_bytes,
                          std::uint64_t seed) {
    grin::test::temp_dir dir;
    auto path = dir / "book.tar.gz";
    emulator::build_tarball(b, 0, {.seed = seed, .image_bytes_per_page = image_bytes}, path,
                            defect);
    return read_file(path);
}

} // namespace grin::archive::test
