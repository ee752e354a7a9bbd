#pragma once
// process::extract_ocr: the OCR JSONL of one local archive, for `grin extract` (issue #7),
// with the code the sync pipeline runs on a downloaded archive (DESIGN section 1): the
// file is read in 1 MiB pieces into crypto::decryptor (for a .tar.gz.gpg) and
// archive::book_processor (tar_gz_walker -> ocr_jsonl_writer); nothing is unpacked to disk
// and the result is byte for byte what sync stores as <B>_ocr.jsonl.gz.
// Inputs:
//   - a gpg-encrypted archive (anything not starting with the gzip magic): needs the key;
//   - a plain .tar.gz (gzip magic 1f 8b);
//   - an unpacked archive directory (grin-transfer's input): every file named
//     NNNNNNNN.txt below it, in path order, through the same ocr_jsonl_writer.
// Errors: grin::error (step "read", "decrypt", "unpack" or "extract_ocr") naming the
// input; nothing is returned for a failed input. CPU-bound, synchronous; no shared state.
#include <grin/crypto/passphrase.hpp>
#include <grin/crypto/s2k.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace grin::process {

enum class input_kind { encrypted, tar_gz, directory };

// From the file's first bytes (or it being a directory). Throws grin::error (step "read")
// when the path cannot be opened.
input_kind detect_input(const std::filesystem::path& input);

// The barcode an input names: its file name without .tar.gz.gpg / .tar.gz / .tgz / .gpg,
// or a directory name without a trailing "_extracted" (grin-transfer's naming).
std::string barcode_of_input(const std::filesystem::path& input);

struct ocr_extract_result {
    std::string jsonl_gz;         // the <B>_ocr.jsonl.gz bytes sync would store
    std::uint64_t page_count = 0; // JSONL lines
};

// `key` is needed (non-null) for encrypted inputs only. `derived`: the input's key derived
// ahead (derive_keys_ahead), or null to derive it here.
ocr_extract_result extract_ocr(const std::filesystem::path& input,
                               const crypto::passphrase* key,
                               std::shared_ptr<const crypto::derived_key> derived = nullptr);

// Derives, together (crypto::derive_keys: two keys cost about one), the keys of the next
// two encrypted inputs from inputs[from] on, into keys[i] (keys has inputs.size() entries).
// An input that is not encrypted, cannot be read or names no native S2K is passed over
// (its key is derived when it is decrypted). Returns the index after the last input
// looked at.
std::size_t derive_keys_ahead(const std::vector<std::string>& inputs,
                              std::size_t from,
                              const crypto::passphrase& key,
                              std::vector<std::shared_ptr<const crypto::derived_key>>& keys);

} // namespace grin::process
