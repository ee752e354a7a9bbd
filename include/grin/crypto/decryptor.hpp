#pragma once
// crypto::decryptor: streaming decryption of a `gpg --symmetric` file (DESIGN section 5).
//
// Feed ciphertext with update() as it arrives, in pieces of any size; plaintext comes out
// through the sink, in order, on the calling thread. Then call finish(), which checks the
// integrity code (MDC) and returns what was found.
//
// PLAINTEXT IS PROVISIONAL UNTIL finish() RETURNS. A tampered or truncated file is only
// known to be bad at the end; when update() or finish() throws, everything the sink got so
// far must be discarded. decrypt_file() does that for the common case (writes through a
// temporary file that is renamed into place only after finish() succeeds).
//
// Native path (OpenSSL, zlib, libbz2): SKESK v4 (S2K simple/salted/iterated-salted with any
// hash OpenSSL offers), SEIPD v1 with MDC, CFB with AES/Camellia/3DES/CAST5/Blowfish/IDEA
// where OpenSSL provides them, compressed (ZIP/ZLIB/BZIP2) and literal packets, old and new
// headers, partial lengths. Everything else (AEAD and v5/v6 packets, public-key session
// keys, Twofish, ASCII armor, packets without MDC when allowed) goes to librnp in-process,
// also streaming. The choice is made from the first packets, before any output.
//
// Errors: grin::error with context().step == "decrypt" and messages such as
// "wrong passphrase" (thrown before any output), "integrity check (MDC) failed",
// "truncated input: ...", "unsupported cipher algorithm 14 (unknown)",
// "not OpenPGP data: ...". After a throw the object is spent: further calls throw.
// Exceptions thrown by the sink pass through unchanged.
//
// Threads: one decryptor is used by one thread at a time; any number of decryptors may run
// on different threads at once (no shared mutable state). It is CPU-bound (the S2K alone is
// ~35-70 ms at gpg's default count): run it on the CPU pool, never on the I/O thread.
// The librnp fallback runs librnp on one helper thread per decryptor (librnp pulls its
// input); the sink is still only called from update()/finish(). librnp's ffi log goes to
// /dev/null, but Debian's librnp 0.16 build also prints parser diagnostics straight to
// stderr (RNP_LOG, compiled in without NDEBUG), which no per-ffi setting can redirect.
#include <grin/crypto/packet_reader.hpp>
#include <grin/crypto/passphrase.hpp>
#include <grin/crypto/s2k.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

namespace grin::crypto {

struct decrypt_options {
    // Packets without integrity protection (SED, tag 9) are refused unless this is set.
    bool allow_unprotected = false;
    // Hand files outside the native subset to librnp; when false they fail as unsupported.
    bool allow_fallback = true;
    // Upper bound on the iterated S2K's byte count; the OpenPGP maximum by default. Lower it
    // to bound the CPU a single file can cost (the fuzzer does).
    std::uint32_t max_s2k_count = 65011712;
    // A key derived ahead (find_first_s2k + derive_keys): used instead of running the S2K
    // when the file's S2K is exactly its spec; ignored otherwise.
    std::shared_ptr<const derived_key> derived;
};

struct decrypt_info {
    std::string engine;     // "native" or "librnp"
    std::string cipher;     // "AES256", ...
    std::string protection; // "cfb-mdc" natively; librnp's mode name otherwise
    int s2k_type = -1;      // native only
    std::string s2k_hash;   // native only
    std::uint32_t s2k_count = 0;
    std::string compression;  // "none" when there was no compressed packet
    std::string literal_name; // file name stored in the literal packet
    std::uint64_t ciphertext_bytes = 0;
    std::uint64_t plaintext_bytes = 0;
};

class decryptor {
public:
    using sink = std::function<void(bytes_view plaintext)>;

    // The passphrase must outlive the decryptor.
    decryptor(const passphrase& key, sink output, decrypt_options options = {});
    decryptor(const decryptor&) = delete;
    decryptor& operator=(const decryptor&) = delete;
    decryptor(decryptor&&) noexcept;
    decryptor& operator=(decryptor&&) noexcept;
    ~decryptor();

    // Hands over a key derived ahead (see decrypt_options::derived); call it before the
    // passphrase packet has been fed, i.e. before the first update().
    void use_derived_key(std::shared_ptr<const derived_key> key);

    void update(bytes_view ciphertext);
    // Ends the input, verifies the MDC; only after this returns is the plaintext good.
    const decrypt_info& finish();

    // Progress so far (valid before finish()).
    const decrypt_info& info() const noexcept;

    class impl;

private:
    std::unique_ptr<impl> impl_;
};

// Decrypts `input` into `output` through a temporary file beside it; `output` appears only
// when the whole file decrypted and its MDC verified. Throws like decryptor, plus
// grin::error (step "read"/"write") for I/O problems.
decrypt_info decrypt_file(const std::filesystem::path& input,
                          const std::filesystem::path& output,
                          const passphrase& key,
                          decrypt_options options = {});

} // namespace grin::crypto
