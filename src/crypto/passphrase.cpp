#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/secret_file.hpp>
#include <grin/crypto/passphrase.hpp>

#include <openssl/crypto.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace grin::crypto {

passphrase::passphrase(std::string text) : text_(std::move(text)) {
    log::add_secret(text_);
}

passphrase::passphrase(passphrase&& other) noexcept : text_(std::move(other.text_)) {
    other.wipe();
}

passphrase& passphrase::operator=(passphrase&& other) noexcept {
    if (this != &other) {
        wipe();
        text_ = std::move(other.text_);
        other.wipe();
    }
    return *this;
}

passphrase::~passphrase() {
    wipe();
}

void passphrase::wipe() noexcept {
    // Wipe the whole capacity: a moved-from or shrunk string may still hold old bytes.
    text_.resize(text_.capacity());
    if (!text_.empty())
        OPENSSL_cleanse(text_.data(), text_.size());
    text_.clear();
}

std::vector<std::filesystem::path>
passphrase_search_path(const std::optional<std::filesystem::path>& credentials_dir) {
    std::vector<std::filesystem::path> places;
    if (const char* env = std::getenv("GRIN_CREDENTIALS_DIR"); env && *env)
        places.emplace_back(std::filesystem::path(env) / passphrase_file_name);
    std::filesystem::path home;
    if (const char* env = std::getenv("HOME"); env && *env)
        home = env;
    if (credentials_dir)
        places.push_back(*credentials_dir / passphrase_file_name);
    else if (!home.empty())
        places.push_back(home / ".config" / "grin-transfer" / passphrase_file_name);
    if (!home.empty()) {
        places.push_back(home / passphrase_file_name);
        places.push_back(home / ".grin" / passphrase_file_name);
        places.push_back(home / ".config" / passphrase_file_name);
    }
    return places;
}

passphrase read_passphrase_file(const std::filesystem::path& file) {
    // Read with one fixed-size buffer so no reallocation leaves copies of the secret behind.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw fatal("cannot read the GPG passphrase file " + file.string() + ": " +
                    std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_size > 64 * 1024) {
        ::close(fd);
        throw fatal("the GPG passphrase file " + file.string() + " is not a small text file");
    }
    // The mode of the file actually opened, not of whatever the path names later.
    try {
        check_secret_exposure({.path = file, .holds = "the GPG passphrase of the archives"},
                              exposure_of_mode(st.st_mode));
    } catch (...) {
        ::close(fd);
        throw;
    }
    std::string text(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd, text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fd);
    std::size_t end = text.find('\n');
    if (end == std::string::npos)
        end = got;
    while (end > 0 && text[end - 1] == '\r')
        --end;
    std::string line(text.data(), end);
    OPENSSL_cleanse(text.data(), text.size());
    if (line.empty())
        throw fatal("the GPG passphrase file " + file.string() + " is empty");
    return passphrase(std::move(line));
}

passphrase find_passphrase(const std::optional<std::filesystem::path>& credentials_dir) {
    auto places = passphrase_search_path(credentials_dir);
    std::string tried;
    for (const auto& place : places) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(place, ec))
            return read_passphrase_file(place);
        tried += (tried.empty() ? "" : ", ") + place.string();
    }
    throw fatal("GPG passphrase file required: put " + std::string(passphrase_file_name) +
                " in $GRIN_CREDENTIALS_DIR or ~/.config/grin-transfer/ (looked in: " + tried + ")");
}

} // namespace grin::crypto
