// `grin decrypt IN.gpg OUT`: decrypts one GRIN archive with the native decryptor, as the
// sync pipeline does, and writes OUT only when the integrity check passed.
#include <grin/cli/commands.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/crypto/decryptor.hpp>
#include <grin/crypto/passphrase.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <optional>

namespace grin::cli {
namespace {

struct decrypt_opts {
    std::string input;
    std::string output;
    std::string passphrase_file;
    std::string credentials_dir;
    bool allow_unprotected = false;
    bool native_only = false;
};

int run_decrypt(const decrypt_opts& opts) {
    auto key = [&] {
        if (!opts.passphrase_file.empty())
            return crypto::read_passphrase_file(opts.passphrase_file);
        std::optional<std::filesystem::path> dir;
        if (!opts.credentials_dir.empty())
            dir = opts.credentials_dir;
        return crypto::find_passphrase(dir);
    }();
    crypto::decrypt_options options;
    options.allow_unprotected = opts.allow_unprotected;
    options.allow_fallback = !opts.native_only;
    try {
        auto info = crypto::decrypt_file(opts.input, opts.output, key, options);
        log::info("decrypt: " + opts.input + " -> " + opts.output + ": " +
                  std::to_string(info.plaintext_bytes) + " bytes (" + info.engine + ", " +
                  info.cipher + ", " + info.protection +
                  (info.s2k_count ? ", S2K count " + std::to_string(info.s2k_count) : "") +
                  ", compression " + info.compression + ")");
        return 0;
    } catch (const grin::error& failure) {
        std::cerr << "grin decrypt: " << opts.input << ": " << log::redact(failure.message())
                  << " (nothing written to " << opts.output << ")\n";
        return 1;
    }
}

} // namespace

void add_decrypt(CLI::App& app, command_list& commands) {
    auto opts = std::make_shared<decrypt_opts>();
    auto* sub = app.add_subcommand("decrypt", "Decrypt one GRIN archive (B.tar.gz.gpg) to a file");
    sub->footer(
        "The input is a `gpg --symmetric` file as GRIN serves it. It is decrypted in-process by "
        "the\n"
        "same decryptor `sync` uses (about 3x less CPU than gpg at gpg's default S2K count);\n"
        "files outside its subset (AEAD, public-key, armor, Twofish) go to librnp. The output\n"
        "appears only after the integrity check (MDC) passed; on any error nothing is written and "
        "the\n"
        "exit code is 1. The passphrase is the first line of gpg_passphrase.asc, looked up in\n"
        "$GRIN_CREDENTIALS_DIR, then --secrets-dir (default ~/.config/grin-transfer/),\n"
        "~, ~/.grin, ~/.config, unless --passphrase-file names the file.\n\nExamples:\n"
        "  grin decrypt 32044012345678.tar.gz.gpg 32044012345678.tar.gz\n"
        "  grin decrypt --passphrase-file /srv/grin/gpg_passphrase.asc B.tar.gz.gpg B.tar.gz\n"
        "\nExit codes: 0 decrypted, 1 the file could not be decrypted, 2 usage error.");
    sub->add_option("input", opts->input, "Encrypted archive to read")->required();
    sub->add_option("output", opts->output, "Where to write the decrypted archive")->required();
    sub->add_option("--passphrase-file", opts->passphrase_file,
                    "File whose first line is the passphrase (instead of searching)");
    sub->add_option("--secrets-dir,--credentials-dir", opts->credentials_dir,
                    "Directory holding gpg_passphrase.asc (default ~/.config/grin-transfer; the "
                    "same flag as collect and extract)");
    sub->add_flag("--allow-unprotected", opts->allow_unprotected,
                  "Also decrypt data without integrity protection (no MDC); refused otherwise");
    sub->add_flag("--native-only", opts->native_only,
                  "Never hand the file to librnp; unsupported formats fail instead");
    commands.push_back({sub, [opts] { return run_decrypt(*opts); }});
}

} // namespace grin::cli
