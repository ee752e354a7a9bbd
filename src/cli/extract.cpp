// `grin extract`: OCR JSONL from local archives, with sync's streaming code
// (process/ocr_extract.hpp). No run, no database, no network.
#include <grin/archive/gunzip.hpp>
#include <grin/cli/commands.hpp>
#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/progress.hpp>
#include <grin/process/ocr_extract.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>

namespace grin::cli {

namespace {

struct extract_options {
    std::vector<std::string> inputs;
    std::string output;
    std::string output_dir;
    bool uncompressed = false;
    std::string passphrase_file;
    std::string secrets_dir;
};

bool gz_name(const std::filesystem::path& path) {
    return path.extension() == ".gz";
}

// Loaded only when an input needs it; a missing passphrase is a configuration error.
crypto::passphrase load_key(const extract_options& options) {
    if (!options.passphrase_file.empty())
        return crypto::read_passphrase_file(options.passphrase_file);
    std::optional<std::filesystem::path> dir;
    if (!options.secrets_dir.empty())
        dir = options.secrets_dir;
    return crypto::find_passphrase(dir);
}

bool needs_key(const std::vector<std::string>& inputs) {
    for (const auto& input : inputs) {
        try {
            if (process::detect_input(input) == process::input_kind::encrypted)
                return true;
        } catch (const grin::error&) {
            // Unreadable: reported when its turn comes.
        }
    }
    return false;
}

int run_extract(const extract_options& options) {
    if (options.output.empty() == options.output_dir.empty())
        throw fatal("give exactly one of --output FILE (one input) or --output-dir DIR");
    if (!options.output.empty() && options.inputs.size() != 1)
        throw fatal("--output takes exactly one input (" + std::to_string(options.inputs.size()) +
                    " given); use --output-dir DIR for several");
    std::optional<crypto::passphrase> key;
    if (needs_key(options.inputs))
        key.emplace(load_key(options));
    if (!options.output_dir.empty()) {
        std::error_code failed;
        std::filesystem::create_directories(options.output_dir, failed);
        if (failed)
            throw fatal("cannot create --output-dir " + options.output_dir + ": " +
                        failed.message());
    }

    std::uint64_t processed = 0, pages = 0, failures = 0;
    // Keys are derived two at a time, ahead of their inputs (two cost about one).
    std::vector<std::shared_ptr<const crypto::derived_key>> derived(options.inputs.size());
    std::size_t looked_ahead = 0;
    for (std::size_t index = 0; index < options.inputs.size(); ++index) {
        const std::string& input = options.inputs[index];
        if (key && index >= looked_ahead)
            looked_ahead = process::derive_keys_ahead(options.inputs, index, *key, derived);
        std::filesystem::path target;
        if (!options.output.empty()) {
            target = options.output;
        } else {
            target = std::filesystem::path(options.output_dir) /
                     (process::barcode_of_input(input) +
                      (options.uncompressed ? "_ocr.jsonl" : "_ocr.jsonl.gz"));
        }
        try {
            process::ocr_extract_result result =
                process::extract_ocr(input, key ? &*key : nullptr, std::move(derived[index]));
            // Whole or not at all: a temporary beside the target, renamed on success.
            if (gz_name(target))
                write_file_atomically(target, result.jsonl_gz);
            else
                write_file_atomically(target, archive::gunzip(result.jsonl_gz));
            ++processed;
            pages += result.page_count;
            std::cout << input << " -> " << target.string() << " ("
                      << with_thousands(result.page_count) << " pages)" << std::endl;
        } catch (const grin::error& failure) {
            ++failures;
            std::cerr << "grin extract: " << input << ": " << log::redact(failure.message())
                      << " (nothing written to " << target.string() << ")" << std::endl;
        }
    }
    std::cout << "Processed " << with_thousands(processed) << " archives, extracted "
              << with_thousands(pages) << " pages"
              << (failures ? ", " + with_thousands(failures) + " failed" : std::string())
              << std::endl;
    return failures > 0 ? 1 : 0;
}

} // namespace

void add_extract(CLI::App& app, command_list& commands) {
    auto options = std::make_shared<extract_options>();
    auto* sub = app.add_subcommand(
        "extract",
        "Write the OCR text of local GRIN archives as JSONL (one JSON string per page, in page "
        "order; a missing page is \"\"), exactly what `grin sync pipeline` stores as "
        "<barcode>_ocr.jsonl.gz. Inputs are streamed through the same decryptor and tar reader "
        "as sync: nothing is unpacked to disk.");
    sub->footer(
        "Inputs:\n"
        "  B.tar.gz.gpg   an archive as GRIN serves it (decrypted in memory with the passphrase)\n"
        "  B.tar.gz       a decrypted archive (recognised by its gzip header, whatever its name)\n"
        "  DIR            an unpacked archive: every NNNNNNNN.txt below it (grin-transfer's "
        "input)\n"
        "Outputs: --output FILE (one input only) is gzip-compressed when FILE ends in .gz, plain\n"
        "JSONL otherwise. --output-dir DIR writes DIR/<barcode>_ocr.jsonl.gz (as sync stores it),\n"
        "or DIR/<barcode>_ocr.jsonl with --uncompressed; the barcode is the input's name without\n"
        ".tar.gz.gpg / .tar.gz / .gpg (a directory's without \"_extracted\"). Every file is "
        "written\n"
        "atomically: a failed input leaves no file behind, and the other inputs are still done.\n"
        "The passphrase is read only if an input is encrypted: --passphrase-file, else\n"
        "gpg_passphrase.asc in $GRIN_CREDENTIALS_DIR, --secrets-dir (default\n"
        "~/.config/grin-transfer), ~, ~/.grin, ~/.config.\n"
        "\nExamples:\n"
        "  grin extract 32044012345678.tar.gz.gpg --output 32044012345678_ocr.jsonl\n"
        "  grin extract downloads/*.tar.gz.gpg --output-dir ocr/ --passphrase-file key.asc\n"
        "  grin extract unpacked/32044012345678_extracted --output-dir ocr/ --uncompressed\n"
        "\nExit codes: 0 every input extracted; 1 some inputs failed (the others are written);\n"
        "2 usage error (e.g. --output with several inputs) or no passphrase for an encrypted "
        "input.");
    sub->add_option("inputs", options->inputs, "Archives (.tar.gz.gpg, .tar.gz) or directories")
        ->required();
    sub->add_option("-o,--output", options->output, "Output file (only with one input)");
    sub->add_option("-d,--output-dir", options->output_dir,
                    "Output directory: <barcode>_ocr.jsonl.gz per input (created if missing)");
    sub->add_flag("--uncompressed", options->uncompressed,
                  "With --output-dir: write <barcode>_ocr.jsonl instead of .jsonl.gz");
    sub->add_option("--passphrase-file", options->passphrase_file,
                    "File whose first line is the archive passphrase");
    sub->add_option("--secrets-dir", options->secrets_dir,
                    "Directory holding gpg_passphrase.asc (default ~/.config/grin-transfer)");
    commands.push_back({sub, [options] { return run_extract(*options); }});
}

} // namespace grin::cli
