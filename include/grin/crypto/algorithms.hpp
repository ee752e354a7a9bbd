#pragma once
// OpenPGP algorithm numbers (RFC 4880 section 9, RFC 9580) mapped to OpenSSL.
// Lookups never throw: an algorithm OpenSSL does not provide here yields an empty
// result, and the caller decides between "unsupported" and handing the file to librnp.
// Thread-safe: the OpenSSL library context is created once and only read afterwards.
#include <openssl/evp.h>

#include <memory>
#include <string>

namespace grin::crypto {

struct evp_cipher_deleter {
    void operator()(EVP_CIPHER* cipher) const noexcept { EVP_CIPHER_free(cipher); }
};
struct evp_md_deleter {
    void operator()(EVP_MD* md) const noexcept { EVP_MD_free(md); }
};
using cipher_ptr = std::unique_ptr<EVP_CIPHER, evp_cipher_deleter>;
using md_ptr = std::unique_ptr<EVP_MD, evp_md_deleter>;

// "AES256", "CAST5", ... or "unknown".
std::string cipher_name(int algo);
std::string hash_name(int algo);
std::string compression_name(int algo);

// Key and block sizes in bytes; 0 for an unknown algorithm.
std::size_t cipher_key_size(int algo);
std::size_t cipher_block_size(int algo);

// The cipher in full-block CFB mode (OpenPGP's CFB without resync), or null when this
// OpenSSL build lacks it (e.g. Twofish, or CAST5 without the legacy provider).
cipher_ptr fetch_cfb_cipher(int algo);
// The same block cipher in ECB mode (for the parallel CFB decryption in cfb_decryptor).
cipher_ptr fetch_ecb_cipher(int algo);
// The hash, or null when unavailable.
md_ptr fetch_hash(int algo);

} // namespace grin::crypto
