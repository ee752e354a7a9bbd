#include <grin/archive/book_processor.hpp>
#include <grin/archive/ocr_jsonl_writer.hpp>
#include <grin/archive/ocr_text.hpp>
#include <grin/core/error.hpp>
#include <grin/crypto/decryptor.hpp>
#include <grin/process/ocr_extract.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

namespace grin::process {

namespace {

[[noreturn]] void fail(std::string step, const std::string& message, const std::string& barcode) {
    error_context context;
    context.step = std::move(step);
    context.barcode = barcode;
    throw grin::error(message, context);
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Reads `input` in 1 MiB pieces into `consume`.
template <class Consume>
void stream_file(const std::filesystem::path& input, const std::string& barcode, Consume consume) {
    std::ifstream in(input, std::ios::binary);
    if (!in)
        fail("read", "cannot open " + input.string() + ": " + std::strerror(errno), barcode);
    std::vector<std::uint8_t> buffer(1024 * 1024);
    while (in) {
        in.read(reinterpret_cast<char*>(buffer.data()),
                static_cast<std::streamsize>(buffer.size()));
        auto got = static_cast<std::size_t>(in.gcount());
        if (got > 0)
            consume(archive::bytes_view(buffer.data(), got));
    }
    if (in.bad())
        fail("read", "cannot read " + input.string(), barcode);
}

ocr_extract_result from_processor(archive::book_processor& processor, const std::string& barcode) {
    archive::book_result content = processor.finish();
    if (content.unpack_error)
        throw *content.unpack_error;
    if (content.ocr.status != archive::extraction_status::ok)
        fail("extract_ocr", content.ocr.problem.empty() ? "no OCR text" : content.ocr.problem,
             barcode);
    return {.jsonl_gz = std::move(content.ocr.jsonl_gz), .page_count = content.ocr.page_count};
}

archive::book_processor_options processing_options(const std::string& barcode) {
    // As sync's transfer (archive_transfer.cpp), minus what extract does not store.
    archive::book_processor_options options;
    options.barcode = barcode;
    options.extract_ocr = true;
    options.extract_marc = false;
    options.sha256 = false;
    return options;
}

ocr_extract_result from_directory(const std::filesystem::path& input, const std::string& barcode) {
    // Page files in path order, as the reference's recursive glob finds them.
    std::vector<std::pair<std::string, std::uint32_t>> pages;
    std::error_code failed;
    for (std::filesystem::recursive_directory_iterator it(input, failed), end; !failed && it != end;
         it.increment(failed)) {
        if (!it->is_regular_file())
            continue;
        auto relative = std::filesystem::relative(it->path(), input).generic_string();
        if (auto number = archive::page_number(relative))
            pages.emplace_back(relative, *number);
    }
    if (failed)
        fail("read", "cannot list " + input.string() + ": " + failed.message(), barcode);
    if (pages.empty())
        fail("extract_ocr", "no page files named NNNNNNNN.txt in " + input.string(), barcode);
    std::sort(pages.begin(), pages.end());
    ocr_extract_result result;
    archive::ocr_jsonl_writer writer(
        [&result](archive::bytes_view data) {
            result.jsonl_gz.append(reinterpret_cast<const char*>(data.data()), data.size());
        },
        barcode);
    for (const auto& [name, number] : pages) {
        std::ifstream in(input / name, std::ios::binary);
        if (!in)
            fail("read", "cannot read " + (input / name).string(), barcode);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        writer.add_page(number, text);
    }
    result.page_count = writer.finish();
    return result;
}

} // namespace

input_kind detect_input(const std::filesystem::path& input) {
    std::error_code failed;
    if (std::filesystem::is_directory(input, failed))
        return input_kind::directory;
    std::ifstream in(input, std::ios::binary);
    if (!in)
        fail("read", "cannot open " + input.string() + ": " + std::strerror(errno), {});
    unsigned char magic[2] = {0, 0};
    in.read(reinterpret_cast<char*>(magic), 2);
    return in.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b ? input_kind::tar_gz
                                                                    : input_kind::encrypted;
}

std::string barcode_of_input(const std::filesystem::path& input) {
    auto path = input;
    if (!path.has_filename())
        path = path.parent_path(); // "dir/"
    std::string name = path.filename().string();
    for (std::string_view suffix : {".tar.gz.gpg", ".tgz.gpg", ".tar.gz", ".tgz", ".gpg"})
        if (ends_with(name, suffix) && name.size() > suffix.size())
            return name.substr(0, name.size() - suffix.size());
    if (ends_with(name, "_extracted") && name.size() > 10)
        return name.substr(0, name.size() - 10);
    return name;
}

std::size_t derive_keys_ahead(const std::vector<std::string>& inputs,
                              std::size_t from,
                              const crypto::passphrase& key,
                              std::vector<std::shared_ptr<const crypto::derived_key>>& keys) {
    std::vector<std::size_t> which;
    std::vector<std::shared_ptr<crypto::derived_key>> derived;
    std::vector<crypto::key_request> requests;
    std::size_t next = from;
    for (; next < inputs.size() && which.size() < 2; ++next) {
        std::optional<crypto::s2k_need> need;
        try {
            if (detect_input(inputs[next]) != input_kind::encrypted)
                continue;
            std::ifstream file(inputs[next], std::ios::binary);
            std::vector<std::uint8_t> prefix(512);
            file.read(reinterpret_cast<char*>(prefix.data()),
                      static_cast<std::streamsize>(prefix.size()));
            prefix.resize(static_cast<std::size_t>(file.gcount()));
            need = crypto::find_first_s2k(prefix);
        } catch (const grin::error&) {
            continue; // reported when its turn comes
        }
        if (!need)
            continue;
        auto slot = std::make_shared<crypto::derived_key>();
        slot->spec = need->spec;
        slot->key.resize(need->key_size);
        which.push_back(next);
        derived.push_back(slot);
    }
    for (const auto& slot : derived)
        requests.push_back({slot->spec, key.view(), slot->key});
    try {
        crypto::derive_keys(requests);
    } catch (const grin::error&) {
        return next; // the decryptors derive (and report) on their own
    }
    for (std::size_t i = 0; i < which.size(); ++i)
        keys.at(which[i]) = derived[i];
    return next;
}

ocr_extract_result extract_ocr(const std::filesystem::path& input,
                               const crypto::passphrase* key,
                               std::shared_ptr<const crypto::derived_key> derived) {
    const std::string barcode = barcode_of_input(input);
    const input_kind kind = detect_input(input);
    if (kind == input_kind::directory)
        return from_directory(input, barcode);
    archive::book_processor processor(processing_options(barcode));
    if (kind == input_kind::tar_gz) {
        stream_file(input, barcode, [&](archive::bytes_view piece) { processor.update(piece); });
        return from_processor(processor, barcode);
    }
    if (!key)
        fail("decrypt", input.string() + " is encrypted and no passphrase was given", barcode);
    // The decryptor's output is provisional until finish() verified the MDC; nothing is
    // returned before that.
    crypto::decryptor decryptor(*key, [&processor](crypto::bytes_view plaintext) {
        processor.update(archive::bytes_view(plaintext.data(), plaintext.size()));
    });
    decryptor.use_derived_key(std::move(derived));
    stream_file(input, barcode, [&](archive::bytes_view piece) {
        decryptor.update(crypto::bytes_view(piece.data(), piece.size()));
    });
    decryptor.finish();
    return from_processor(processor, barcode);
}

} // namespace grin::process
