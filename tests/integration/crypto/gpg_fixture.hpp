#pragma once
// Runs the real gpg with a private GNUPGHOME in a temp dir (agent killed at teardown), and
// our decryptor on the files it makes.
#include <grin/core/error.hpp>
#include <grin/crypto/decryptor.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace grin::test {

using bytes = std::vector<std::uint8_t>;

inline bytes read_bytes(const std::filesystem::path& path) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    bytes data(ec ? 0 : size);
    std::ifstream(path, std::ios::binary)
        .read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size()));
    return data;
}

inline void write_bytes(const std::filesystem::path& path, const bytes& data) {
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
}

inline bytes pseudo_random(std::size_t size, std::uint32_t seed) {
    bytes out(size);
    std::uint32_t x = seed * 2654435761u + 7;
    for (auto& b : out) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return out;
}

struct decrypt_outcome {
    bytes plain;
    std::string error;
    std::size_t output_before_error = 0;
    crypto::decrypt_info info;
};

inline decrypt_outcome decrypt_bytes(const bytes& file,
                                     const std::string& pass,
                                     std::size_t piece = 65536,
                                     crypto::decrypt_options options = {}) {
    crypto::passphrase key(pass);
    decrypt_outcome result;
    crypto::decryptor engine(
        key,
        [&](crypto::bytes_view data) {
            result.plain.insert(result.plain.end(), data.begin(), data.end());
        },
        options);
    try {
        for (std::size_t pos = 0; pos < file.size(); pos += piece)
            engine.update(
                crypto::bytes_view(file).subspan(pos, std::min(piece, file.size() - pos)));
        result.info = engine.finish();
    } catch (const grin::error& e) {
        result.error = e.message();
        result.output_before_error = result.plain.size();
    }
    return result;
}

class gpg_fixture : public ::testing::Test {
protected:
    static constexpr const char* pass = "correct horse battery";

    void SetUp() override {
        if (!have_program("gpg"))
            GTEST_SKIP() << "gpg not installed";
        std::filesystem::create_directory(dir_ / "gnupg");
        std::filesystem::permissions(dir_ / "gnupg", std::filesystem::perms::owner_all);
    }

    void TearDown() override {
        run_command("GNUPGHOME=" + (dir_ / "gnupg").string() + " gpgconf --kill gpg-agent",
                    std::chrono::seconds(20));
        // The agent removes its sockets while exiting, which can race a recursive delete;
        // retry briefly so that no GNUPGHOME is left behind in /tmp.
        for (int attempt = 0; attempt < 20 && std::filesystem::exists(dir_ / "gnupg"); ++attempt) {
            std::error_code ignored;
            std::filesystem::remove_all(dir_ / "gnupg", ignored);
            if (std::filesystem::exists(dir_ / "gnupg"))
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    std::string gpg() const {
        return "GNUPGHOME=" + (dir_ / "gnupg").string() +
               " gpg --batch --yes --quiet --pinentry-mode loopback --passphrase '" + pass + "'";
    }

    // Encrypts `input` with extra gpg flags; `streamed` pipes it through stdin.
    std::filesystem::path encrypt(const std::filesystem::path& input,
                                  const std::string& flags,
                                  bool streamed,
                                  const std::string& name = "out.gpg") {
        auto out = dir_ / name;
        std::string cmd = streamed ? "cat '" + input.string() + "' | " + gpg() + " " + flags +
                                         " --symmetric -o '" + out.string() + "'"
                                   : gpg() + " " + flags + " --symmetric -o '" + out.string() +
                                         "' '" + input.string() + "'";
        auto r = run_command(cmd, std::chrono::seconds(120));
        EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output;
        return out;
    }

    // gpg's own decryption of `file`, the reference output.
    bytes gpg_decrypt(const std::filesystem::path& file, const std::string& extra = "") {
        auto out = dir_ / "gpg.out";
        std::filesystem::remove(out);
        auto r = run_command(gpg() + " --no-symkey-cache " + extra + " -o '" + out.string() +
                                 "' --decrypt '" + file.string() + "'",
                             std::chrono::seconds(120));
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return read_bytes(out);
    }

    temp_dir dir_;
};

} // namespace grin::test
