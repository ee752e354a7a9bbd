#pragma once
// Where the router gets a book's encrypted archive from. archive_cache (builds with
// libarchive + gpg, caches on disk) is the real one; tests may plug in a fake.
#include <grin/emulator/archive_builder.hpp>
#include <grin/emulator/catalogue.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace grin::emulator {

struct archive_file {
    std::filesystem::path path; // the .tar.gz.gpg bytes
    std::uint64_t size = 0;
    std::string etag; // 32 lowercase hex, unquoted
};

class archive_source {
public:
    virtual ~archive_source() = default;
    // The archive of `b` at `version` (0 = first conversion, +1 per re-conversion).
    // May take seconds on first use; must be safe to call from several threads.
    // Throws grin::error when the archive cannot be produced.
    // `defect` asks for a deliberately broken archive (fault injection).
    virtual archive_file get(const book& b, std::uint32_t version, archive_defect defect) = 0;
};

} // namespace grin::emulator
