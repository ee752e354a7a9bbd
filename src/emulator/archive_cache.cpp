#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/emulator/archive_cache.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace grin::emulator {
namespace {

namespace fs = std::filesystem;

std::string hex(const unsigned char* data, unsigned length) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < length; ++i) {
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

void make_private_dir(const fs::path& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        throw error("cannot create " + dir.string() + ": " + ec.message(), {.step = "archive"});
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
}

std::string md5_of(std::string_view bytes) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned length = 0;
    EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_md5(), nullptr);
    return hex(digest.data(), length);
}

// Flips bytes in the middle of the ciphertext: still parses as OpenPGP, fails the MDC.
// Returns the new MD5. Reads the file into memory: meant for test-sized archives.
std::string corrupt_middle(const fs::path& path) {
    auto bytes = read_file(path);
    for (std::size_t i = bytes.size() / 2; i < bytes.size() && i < bytes.size() / 2 + 16; ++i) {
        bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
    }
    write_file_atomically(path, bytes);
    return md5_of(bytes);
}

struct fd_guard {
    int fd = -1;
    ~fd_guard() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

} // namespace

archive_cache::archive_cache(archive_cache_params params) : params_(std::move(params)) {
    if (params_.passphrase.empty()) {
        throw fatal("emulator: archive cache needs a gpg passphrase");
    }
    if (params_.s2k_count > 0 && params_.s2k_count < min_s2k_count) {
        // gpg 2.2 silently replaces such counts by its (maximal) default, which would
        // make every archive cost ~1 s instead of nothing: use the lowest count it keeps.
        log::warning("emulator: gpg ignores --s2k-count below 65536; using 65536 instead of " +
                     std::to_string(params_.s2k_count));
        params_.s2k_count = min_s2k_count;
    }
    archives_dir_ = params_.data_dir / "archives";
    gnupg_dir_ = params_.data_dir / "gnupg";
    make_private_dir(archives_dir_);
    make_private_dir(gnupg_dir_);
    passphrase_file_ = gnupg_dir_ / "passphrase";
    write_file_atomically(passphrase_file_, params_.passphrase + "\n", 0600);
    wrong_passphrase_file_ = gnupg_dir_ / "wrong-passphrase";
    write_file_atomically(wrong_passphrase_file_, "not " + params_.passphrase + "\n", 0600);
    log::add_secret(params_.passphrase);
}

namespace {

// This process's environment with `assignment` ("NAME=value") replacing any NAME=...,
// null-terminated for posix_spawn. `assignment` must outlive the result.
std::vector<char*> environment_with(std::string& assignment) {
    auto name_length = assignment.find('=') + 1;
    std::vector<char*> env;
    for (char** e = environ; *e != nullptr; ++e)
        if (std::strncmp(*e, assignment.c_str(), name_length) != 0)
            env.push_back(*e);
    env.push_back(assignment.data());
    env.push_back(nullptr);
    return env;
}

} // namespace

archive_cache::~archive_cache() {
    // gpg may have started an agent for our private GNUPGHOME; do not leave it behind.
    if (gpg_runs_.load() > 0) {
        pid_t pid = 0;
        std::string home = "GNUPGHOME=" + gnupg_dir_.string();
        auto env = environment_with(home);
        std::array<const char*, 4> argv{"gpgconf", "--kill", "gpg-agent", nullptr};
        if (::posix_spawnp(&pid, "gpgconf", nullptr, nullptr, const_cast<char* const*>(argv.data()),
                           env.data()) == 0) {
            int status = 0;
            ::waitpid(pid, &status, 0);
        }
    }
}

fs::path
archive_cache::path_for(const book& b, std::uint32_t version, archive_defect defect) const {
    std::string suffix =
        defect == archive_defect::none ? std::string() : "-" + std::string(to_string(defect));
    return archives_dir_ / fs::path(b.library.empty() ? "_" : b.library) /
           fs::path(std::to_string(params_.seed) + "-" + b.barcode + "-v" +
                    std::to_string(version) + "-i" + std::to_string(params_.image_bytes_per_page) +
                    "-p" + std::to_string(b.pages) + "-k" + std::to_string(params_.s2k_count) +
                    suffix + ".tar.gz.gpg");
}

archive_file archive_cache::get(const book& b, std::uint32_t version, archive_defect defect) {
    auto target = path_for(b, version, defect);
    std::shared_ptr<std::mutex> lock;
    {
        std::lock_guard guard(locks_mutex_);
        auto& slot = locks_[target.string()];
        if (!slot) {
            slot = std::make_shared<std::mutex>();
        }
        lock = slot;
    }
    std::lock_guard build_lock(*lock);
    auto etag_path = fs::path(target.string() + ".etag");
    std::error_code ec;
    if (fs::exists(target, ec) && fs::exists(etag_path, ec)) {
        auto etag = read_file(etag_path);
        auto size = fs::file_size(target, ec);
        if (!ec && etag.size() == 32) {
            return {target, size, etag};
        }
    }
    return build(b, version, defect, target);
}

archive_file archive_cache::build(const book& b,
                                  std::uint32_t version,
                                  archive_defect defect,
                                  const fs::path& target) {
    make_private_dir(target.parent_path());
    auto plain = target.parent_path() /
                 fs::path(".build-" + b.barcode + "-" + std::to_string(::getpid()) + "-" +
                          std::to_string(temp_counter_.fetch_add(1)) + ".tar.gz");
    struct remove_on_exit {
        fs::path path;
        ~remove_on_exit() {
            std::error_code ec;
            fs::remove(path, ec);
        }
    } cleanup{plain};
    build_tarball(b, version,
                  {.seed = params_.seed, .image_bytes_per_page = params_.image_bytes_per_page},
                  plain, defect);
    std::string md5_hex;
    if (defect == archive_defect::empty) {
        write_file_atomically(target, "");
        md5_hex = "d41d8cd98f00b204e9800998ecf8427e"; // MD5 of nothing
    } else {
        encrypt(plain, target,
                defect == archive_defect::wrong_passphrase ? wrong_passphrase_file_
                                                           : passphrase_file_,
                md5_hex);
    }
    if (defect == archive_defect::corrupt_openpgp) {
        md5_hex = corrupt_middle(target);
    }
    write_file_atomically(fs::path(target.string() + ".etag"), md5_hex);
    return {target, fs::file_size(target), md5_hex};
}

void archive_cache::encrypt(const fs::path& plain,
                            const fs::path& target,
                            const fs::path& passphrase_file,
                            std::string& md5_hex) {
    std::vector<std::string> args{params_.gpg_program,
                                  "--batch",
                                  "--yes",
                                  "--quiet",
                                  "--no-tty",
                                  "--pinentry-mode",
                                  "loopback",
                                  "--passphrase-file",
                                  passphrase_file.string(),
                                  "--symmetric",
                                  "--cipher-algo",
                                  "AES256",
                                  "--compress-algo",
                                  "none"};
    if (params_.s2k_count > 0) {
        args.push_back("--s2k-count");
        args.push_back(std::to_string(params_.s2k_count));
    }
    args.push_back("--output");
    args.push_back("-");
    args.push_back(plain.string());
    std::vector<char*> argv;
    for (auto& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::string home = "GNUPGHOME=" + gnupg_dir_.string();
    auto env = environment_with(home);

    auto stderr_path = fs::path(plain.string() + ".stderr");
    struct remove_on_exit {
        fs::path path;
        ~remove_on_exit() {
            std::error_code ec;
            fs::remove(path, ec);
        }
    } cleanup{stderr_path};

    std::array<int, 2> out_pipe{-1, -1};
    if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) {
        throw error(std::string("pipe: ") + std::strerror(errno), {.step = "encrypt"});
    }
    fd_guard read_end{out_pipe[0]}, write_end{out_pipe[1]};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = 0;
    int rc = ::posix_spawnp(&pid, params_.gpg_program.c_str(), &actions, nullptr, argv.data(),
                            env.data());
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw error("cannot run " + params_.gpg_program + ": " + std::strerror(rc),
                    {.step = "encrypt"});
    }
    ++gpg_runs_;
    ::close(write_end.fd);
    write_end.fd = -1;

    // Stream gpg's output into the atomic file, hashing on the way (one pass).
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr);
    std::optional<atomic_file> out;
    out.emplace(target, 0644);
    std::vector<char> buffer(1 << 20);
    std::string failure;
    while (true) {
        auto n = ::read(read_end.fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(n));
        try {
            out->write(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
        } catch (const std::exception& e) {
            failure = e.what();
            break; // keep draining below so gpg can exit
        }
    }
    if (!failure.empty()) {
        while (::read(read_end.fd, buffer.data(), buffer.size()) > 0) {
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!failure.empty()) {
        throw error("cannot write encrypted archive: " + failure,
                    {.step = "encrypt", .url = target.string()});
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string message;
        try {
            message = read_file(stderr_path);
        } catch (const std::exception&) {
        }
        throw error("gpg failed (exit " +
                        std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                        "): " + message,
                    {.step = "encrypt", .url = target.string()});
    }
    out->commit();
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned length = 0;
    EVP_DigestFinal_ex(ctx.get(), digest.data(), &length);
    md5_hex = hex(digest.data(), length);
}

void archive_cache::prebuild(const std::vector<book>& books, unsigned threads) {
    std::atomic<std::size_t> next{0};
    auto work = [&] {
        for (auto i = next.fetch_add(1); i < books.size(); i = next.fetch_add(1)) {
            try {
                (void)get(books[i], 0);
            } catch (const std::exception& e) {
                log::warning(std::string("emulator: prebuilding an archive failed: ") + e.what());
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < std::max(1u, threads); ++t) {
        pool.emplace_back(work);
    }
    work();
    for (auto& t : pool) {
        t.join();
    }
}

} // namespace grin::emulator
