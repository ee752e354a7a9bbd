// bench_decrypt: decrypts the same files with one engine and prints one result line.
//   bench_decrypt --engine ours|rnp|gpg --pass-file P --out-dir D [--repeat N] FILE...
// ours: grin::crypto::decryptor, output written to a file (no fsync), like the sync stage.
// rnp:  librnp in-process, one ffi reused, output to a file.
// gpg:  one `gpg --decrypt` process per file, exactly as grin-transfer runs it.
// Output: "engine=... files=N bytes=... wall_ms=... ms_per_file=... mb_per_s=...
//          cpu_ms_per_file=... max_rss_kb=..." (max_rss_kb is this process, or the gpg
// children's largest for gpg).
#include <grin/crypto/decryptor.hpp>
#include <grin/crypto/passphrase.hpp>

#include <rnp/rnp.h>
#include <rnp/rnp_err.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

struct args {
    std::string engine;
    std::string pass_file;
    std::string out_dir;
    int repeat = 1;
    std::vector<std::string> files;
};

double cpu_seconds(int who) {
    rusage usage{};
    getrusage(who, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void decrypt_ours(const std::string& in,
                  const std::string& out,
                  const grin::crypto::passphrase& key) {
    int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int in_fd = ::open(in.c_str(), O_RDONLY | O_CLOEXEC);
    if (out_fd < 0 || in_fd < 0)
        throw std::runtime_error("cannot open " + in + " or " + out);
    grin::crypto::decryptor engine(key, [&](grin::crypto::bytes_view data) {
        if (::write(out_fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()))
            throw std::runtime_error("write failed");
    });
    // 1 MiB reads: the size of the network chunks the sync pipeline hands over.
    std::vector<std::uint8_t> buffer(1 << 20);
    for (;;) {
        ssize_t n = ::read(in_fd, buffer.data(), buffer.size());
        if (n <= 0)
            break;
        engine.update(grin::crypto::bytes_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    engine.finish();
    ::close(in_fd);
    ::close(out_fd);
}

bool rnp_password(rnp_ffi_t, void* ctx, rnp_key_handle_t, const char*, char buf[], size_t len) {
    auto text = static_cast<const grin::crypto::passphrase*>(ctx)->view();
    if (text.size() + 1 > len)
        return false;
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = 0;
    return true;
}

void decrypt_rnp(rnp_ffi_t ffi, const std::string& in, const std::string& out) {
    rnp_input_t input = nullptr;
    rnp_output_t output = nullptr;
    rnp_op_verify_t op = nullptr;
    if (rnp_input_from_path(&input, in.c_str()) != RNP_SUCCESS ||
        rnp_output_to_path(&output, out.c_str()) != RNP_SUCCESS ||
        rnp_op_verify_create(&op, ffi, input, output) != RNP_SUCCESS)
        throw std::runtime_error("rnp setup failed");
    auto rc = rnp_op_verify_execute(op);
    rnp_op_verify_destroy(op);
    rnp_output_destroy(output);
    rnp_input_destroy(input);
    if (rc != RNP_SUCCESS)
        throw std::runtime_error(std::string("rnp: ") + rnp_result_to_string(rc));
}

void decrypt_gpg(const std::string& in, const std::string& out, const std::string& pass_file) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int null_fd = ::open("/dev/null", O_WRONLY);
        ::dup2(null_fd, 2);
        ::execlp("gpg", "gpg", "--batch", "--yes", "--trust-model", "always",
                 "--no-auto-check-trustdb", "--no-symkey-cache", "--pinentry-mode", "loopback",
                 "--output", out.c_str(), "--passphrase-file", pass_file.c_str(), "--quiet",
                 "--decrypt", in.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("gpg failed on " + in);
}

} // namespace

int main(int argc, char** argv) {
    args a;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        auto next = [&] { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (arg == "--engine")
            a.engine = next();
        else if (arg == "--pass-file")
            a.pass_file = next();
        else if (arg == "--out-dir")
            a.out_dir = next();
        else if (arg == "--repeat")
            a.repeat = std::stoi(next());
        else
            a.files.push_back(arg);
    }
    if (a.engine.empty() || a.pass_file.empty() || a.out_dir.empty() || a.files.empty()) {
        std::cerr << "usage: bench_decrypt --engine ours|rnp|gpg --pass-file P --out-dir D "
                     "[--repeat N] FILE...\n";
        return 2;
    }
    try {
        auto key = grin::crypto::read_passphrase_file(a.pass_file);
        rnp_ffi_t ffi = nullptr;
        if (a.engine == "rnp") {
            rnp_ffi_create(&ffi, "GPG", "GPG");
            int null_fd = ::open("/dev/null", O_WRONLY);
            rnp_ffi_set_log_fd(ffi, null_fd);
            rnp_ffi_set_pass_provider(ffi, &rnp_password,
                                      const_cast<grin::crypto::passphrase*>(&key));
        }
        std::uintmax_t bytes = 0;
        int count = 0;
        double cpu_before = cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN);
        auto start = std::chrono::steady_clock::now();
        for (int r = 0; r < a.repeat; ++r) {
            for (std::size_t i = 0; i < a.files.size(); ++i) {
                const auto& in = a.files[i];
                std::string out = a.out_dir + "/" + a.engine + "." + std::to_string(i) + ".out";
                if (a.engine == "ours")
                    decrypt_ours(in, out, key);
                else if (a.engine == "rnp")
                    decrypt_rnp(ffi, in, out);
                else if (a.engine == "gpg")
                    decrypt_gpg(in, out, a.pass_file);
                else
                    throw std::runtime_error("unknown engine " + a.engine);
                bytes += std::filesystem::file_size(in);
                ++count;
            }
        }
        double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        double cpu = cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN) - cpu_before;
        if (ffi)
            rnp_ffi_destroy(ffi);
        rusage self{}, children{};
        getrusage(RUSAGE_SELF, &self);
        getrusage(RUSAGE_CHILDREN, &children);
        long rss = a.engine == "gpg" ? children.ru_maxrss : self.ru_maxrss;
        std::printf("engine=%s files=%d bytes=%ju wall_ms=%.1f ms_per_file=%.2f mb_per_s=%.1f "
                    "cpu_ms_per_file=%.2f max_rss_kb=%ld\n",
                    a.engine.c_str(), count, bytes, wall * 1e3, wall * 1e3 / count,
                    static_cast<double>(bytes) / 1e6 / wall, cpu * 1e3 / count, rss);
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "bench_decrypt: " << e.what() << '\n';
        return 1;
    }
}
