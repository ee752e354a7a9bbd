#pragma once
// The emulator's archive_source: builds a book's tarball (archive_builder.hpp), encrypts
// it with the real `gpg --batch --symmetric --passphrase-file F --s2k-count N` in a
// private GNUPGHOME, and keeps the result (+ ".etag") under
//   <data_dir>/archives/<library>/<seed>-<barcode>-v<version>-i<image bytes>-p<pages>-k<s2k>...
// written atomically, so a rerun with the same data dir reuses every archive
// and its ETag (hex MD5 of the encrypted bytes). gpg's salt is random, so the bytes are
// stable per data dir, not across data dirs.
//
// Thread-safe: builds of different archives run in parallel, concurrent requests for the
// same archive wait for one build. Throws grin::error (step "archive" or "encrypt") when
// building or gpg fails (gpg's stderr is in the message).
#include <grin/emulator/archive_builder.hpp>
#include <grin/emulator/archive_source.hpp>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace grin::emulator {

inline constexpr std::uint32_t min_s2k_count = 65536;

struct archive_cache_params {
    std::filesystem::path data_dir;
    std::uint64_t seed = 1;
    std::string passphrase; // the content of gpg_passphrase.asc (first line)
    // gpg's --s2k-count; 0 = gpg's default (65011712 here: ~1 s of CPU per archive to
    // encrypt AND to decrypt). gpg 2.2 silently ignores counts below 65536 (it then uses
    // its default), so smaller values are raised to min_s2k_count, with a warning.
    std::uint32_t s2k_count = 0;
    std::uint64_t image_bytes_per_page = 4096;
    std::string gpg_program = "gpg";
};

class archive_cache : public archive_source {
public:
    // Creates <data_dir>/archives and <data_dir>/gnupg (0700) and the passphrase file.
    explicit archive_cache(archive_cache_params params);
    ~archive_cache() override;

    archive_file get(const book& b,
                     std::uint32_t version,
                     archive_defect defect = archive_defect::none) override;

    // Builds these archives ahead of requests on up to `threads` threads; errors are
    // logged, not thrown (the request will retry the build).
    void prebuild(const std::vector<book>& books, unsigned threads);

    std::uint64_t gpg_runs() const noexcept { return gpg_runs_.load(); }
    std::filesystem::path path_for(const book& b,
                                   std::uint32_t version,
                                   archive_defect defect = archive_defect::none) const;

private:
    archive_file build(const book& b,
                       std::uint32_t version,
                       archive_defect defect,
                       const std::filesystem::path& target);
    void encrypt(const std::filesystem::path& plain,
                 const std::filesystem::path& target,
                 const std::filesystem::path& passphrase_file,
                 std::string& md5_hex);

    archive_cache_params params_;
    std::filesystem::path archives_dir_, gnupg_dir_, passphrase_file_, wrong_passphrase_file_;
    std::mutex locks_mutex_;
    std::map<std::string, std::shared_ptr<std::mutex>> locks_;
    std::atomic<std::uint64_t> gpg_runs_{0};
    std::atomic<std::uint64_t> temp_counter_{0};
};

} // namespace grin::emulator
