#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/crypto/decryptor.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace grin::crypto {

namespace {

class input_file {
public:
    explicit input_file(const std::filesystem::path& path)
        : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) {
            error_context context;
            context.step = "read";
            throw grin::error("cannot open " + path.string() + ": " + std::strerror(errno),
                              context);
        }
    }
    ~input_file() { ::close(fd_); }
    input_file(const input_file&) = delete;
    input_file& operator=(const input_file&) = delete;
    int fd() const noexcept { return fd_; }

private:
    int fd_;
};

} // namespace

decrypt_info decrypt_file(const std::filesystem::path& input,
                          const std::filesystem::path& output,
                          const passphrase& key,
                          decrypt_options options) {
    input_file in(input);
    // The output only becomes visible through commit(), after finish() verified the MDC;
    // on any exception the temporary file is removed by atomic_file's destructor.
    atomic_file out(output);
    decryptor engine(
        key,
        [&out](bytes_view plain) {
            out.write(std::string_view(reinterpret_cast<const char*>(plain.data()), plain.size()));
        },
        options);
    std::vector<std::uint8_t> buffer(1024 * 1024);
    for (;;) {
        ssize_t n = ::read(in.fd(), buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error_context context;
            context.step = "read";
            throw grin::error("cannot read " + input.string() + ": " + std::strerror(errno),
                              context);
        }
        if (n == 0)
            break;
        engine.update(bytes_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    decrypt_info info = engine.finish();
    out.commit();
    return info;
}

} // namespace grin::crypto
