#pragma once
// Builds a book's Google-style archive (grin-protocol.md 3.2, 7.1) as a real .tar.gz
// with libarchive: per page NNNNNNNN.jp2 (random bytes named like page images),
// NNNNNNNN.html (hOCR stub) and NNNNNNNN.txt (UTF-8 OCR, some non-ASCII, some CRLF
// pages), one <BARCODE>.xml METS with embedded MARCXML (the fields of 3.5), and a
// checksum.md5 in md5sum format. The bytes are a pure function of (seed, book, version,
// image bytes per page): no timestamps from the clock, gzip header without mtime.
// Streams to disk (a 300 MB archive never sits in memory).
// Throws grin::error (step "archive") on I/O or libarchive failures. Thread-safe (no
// shared state).
#include <grin/emulator/catalogue.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace grin::emulator {

// Bad payloads for fault injection (grin-protocol.md 7.4). The first three are applied by
// archive_cache to the encrypted file, the rest by build_tarball to the content.
enum class archive_defect {
    none,
    empty,            // 0-byte .gpg file
    corrupt_openpgp,  // encrypted bytes flipped mid-file (MDC check fails)
    wrong_passphrase, // encrypted with another passphrase
    truncated_gzip,   // the tarball is cut short before encryption
    no_page_text,     // no NNNNNNNN.txt members
    no_mets,          // no .xml member
    invalid_mets,     // <BARCODE>.xml is not well-formed
    two_xml,          // an extra .xml before the METS one
    non_utf8_text,    // page text with Latin-1 bytes
    page_gaps,        // pages 1,2,4,6.. and a 00000000.txt
    hostile_entries,  // also members named ../../escape-B.txt and /tmp/grin-hostile-B.txt,
                      // a symlink to /etc/passwd and a hard link to /etc/shadow
};
std::string_view to_string(archive_defect defect) noexcept;
std::optional<archive_defect> parse_archive_defect(std::string_view name) noexcept;

struct archive_content_params {
    std::uint64_t seed = 1;
    std::uint64_t image_bytes_per_page = 4096; // the size knob: ~pages x this
};

// The page-text and METS bodies, exposed so tests can compare them with what they untar.
std::string page_text(const book& b, std::uint32_t version, std::uint32_t page, std::uint64_t seed);
std::string mets_xml(const book& b);

// Writes the .tar.gz for `b` at `version` to `out` (overwritten).
// Content defects change the members as described above; container defects are ignored
// here except truncated_gzip.
void build_tarball(const book& b,
                   std::uint32_t version,
                   const archive_content_params& params,
                   const std::filesystem::path& out,
                   archive_defect defect = archive_defect::none);

} // namespace grin::emulator
