#pragma once
// archive::tar_gz_walker: push-style, one-pass reader of a .tar.gz (DESIGN section 1).
//
// The caller pushes plaintext .tar.gz bytes with update(), in pieces of any size (exactly as
// they come out of crypto::decryptor); the walker inflates them and walks the tar stream,
// calling the entry_handler for each member: on_entry() with its header, on_data() with
// the member's bytes in order (any number of calls, possibly none), on_entry_end(). Nothing
// is written to disk and entry names are only reported, never used as paths.
//
// Why not libarchive: its reader pulls input through a callback that cannot answer "no
// data yet" (returning less than ARCHIVE_OK leaves the archive in ARCHIVE_FATAL), so
// driving it from the decryptor's push side would need a helper thread per book and a
// hand-off queue. zlib's inflate is push-style already, and the tar subset grin archives
// need (ustar, POSIX pax 'x' path/size records, GNU 'L' long names, base-256 sizes) is a
// few hundred lines, all bounded and fuzzable. The tests check it against libarchive.
//
// Memory is fixed: a 64 KiB inflate buffer, zlib's state (~45 KiB), one 512-byte header
// block, and at most walker_limits::max_extended_header bytes of a pax / GNU long-name
// header. Member data is never buffered here.
//
// Accepted: gzip (several concatenated members, zero padding between them), ustar, GNU and
// v7 headers; one or two zero blocks end the archive; an archive whose gzip stream ends
// cleanly at a header boundary without the end blocks (Python's tarfile accepts it).
// Bytes after the end of the tar stream and its gzip member are ignored.
// Member types: regular files ('0', NUL, '7') get entry_type::regular; links, directories
// and devices have no data; unknown types (GNU sparse 'S', ...) are reported as
// entry_type::other with their stored bytes. pax global headers ('g') and GNU long link
// names ('K') are skipped.
//
// Errors: grin::error with context().step == "unpack" (and the barcode given to the
// constructor): "empty archive", "corrupt gzip data: ...", "truncated gzip data",
// "truncated tar data", "bad tar header checksum", "bad tar size field",
// "malformed pax header", "pax/GNU extended header too large", "unsupported GNU sparse
// member with extension headers". After any throw (including one from the handler, which
// passes through unchanged) the walker is spent: further calls throw.
//
// Threads: one walker is used by one thread at a time; walkers share no state. CPU-bound:
// run it on the CPU pool.
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace grin::archive {

using bytes_view = std::span<const std::uint8_t>;

enum class entry_type { regular, directory, symlink, hardlink, other };

struct entry_info {
    std::string name; // as stored, pax/GNU long name applied; may hold any bytes
    std::uint64_t size = 0;
    entry_type type = entry_type::regular;
};

class entry_handler {
public:
    virtual ~entry_handler() = default;
    virtual void on_entry(const entry_info& entry) = 0;
    virtual void on_data(bytes_view data) = 0;
    virtual void on_entry_end() = 0;
};

struct walker_limits {
    // Largest pax extended header or GNU long name accepted (real ones are < 1 KiB).
    std::size_t max_extended_header = 1024 * 1024;
};

class tar_gz_walker {
public:
    static constexpr std::size_t inflate_buffer_size = 64 * 1024;

    // The handler must outlive the walker.
    explicit tar_gz_walker(entry_handler& handler,
                           std::string barcode = {},
                           walker_limits limits = {});
    tar_gz_walker(const tar_gz_walker&) = delete;
    tar_gz_walker& operator=(const tar_gz_walker&) = delete;
    ~tar_gz_walker();

    void update(bytes_view gz);
    // Ends the input; throws when the gzip or tar stream is incomplete.
    void finish();

    std::uint64_t compressed_bytes() const noexcept;
    std::uint64_t inflated_bytes() const noexcept;
    std::uint64_t entry_count() const noexcept;
    // The most bytes the walker ever held for one extended header (for memory checks).
    std::size_t peak_extended_header() const noexcept;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace grin::archive
