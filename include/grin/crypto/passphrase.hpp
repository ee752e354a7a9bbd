#pragma once
// The archive passphrase, as grin-transfer finds it: the first line of
// gpg_passphrase.asc (trailing CR/LF stripped, as gpg --passphrase-file does).
// A passphrase is registered with grin::log::add_secret so it is masked in every log
// line, is never printed by this module, and is wiped (OPENSSL_cleanse) when the object
// dies. Move-only. Reading it concurrently from several threads is safe.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grin::crypto {

class passphrase {
public:
    explicit passphrase(std::string text);
    passphrase(passphrase&& other) noexcept;
    passphrase& operator=(passphrase&& other) noexcept;
    passphrase(const passphrase&) = delete;
    passphrase& operator=(const passphrase&) = delete;
    ~passphrase();

    std::string_view view() const noexcept { return text_; }

private:
    void wipe() noexcept;
    std::string text_;
};

inline constexpr const char* passphrase_file_name = "gpg_passphrase.asc";

// Where grin-transfer looks, in order: $GRIN_CREDENTIALS_DIR, `credentials_dir` (the
// --credentials-dir flag) or else ~/.config/grin-transfer, then ~, ~/.grin, ~/.config.
std::vector<std::filesystem::path>
passphrase_search_path(const std::optional<std::filesystem::path>& credentials_dir = {});

// Reads the first line of `file`. Throws grin::fatal naming the file when it cannot be
// read, is empty, or is readable by every user of the machine (with the chmod 600 that
// fixes it; group-readable only warns: core/secret_file.hpp).
passphrase read_passphrase_file(const std::filesystem::path& file);

// The first existing file of passphrase_search_path(); throws grin::fatal listing the
// places tried when there is none.
passphrase find_passphrase(const std::optional<std::filesystem::path>& credentials_dir = {});

} // namespace grin::crypto
