#include <grin/crypto/algorithms.hpp>

#include <openssl/provider.h>

namespace grin::crypto {
namespace {

struct cipher_entry {
    int algo;
    const char* name;
    const char* openssl_cfb;
    std::size_t key_size;
    std::size_t block_size;
};

// Twofish has no OpenSSL implementation; files using it go to librnp.
constexpr cipher_entry ciphers[] = {
    {1, "IDEA", "IDEA-CFB", 16, 8},
    {2, "3DES", "DES-EDE3-CFB", 24, 8},
    {3, "CAST5", "CAST5-CFB", 16, 8},
    {4, "BLOWFISH", "BF-CFB", 16, 8},
    {7, "AES128", "AES-128-CFB", 16, 16},
    {8, "AES192", "AES-192-CFB", 24, 16},
    {9, "AES256", "AES-256-CFB", 32, 16},
    {10, "TWOFISH", nullptr, 32, 16},
    {11, "CAMELLIA128", "CAMELLIA-128-CFB", 16, 16},
    {12, "CAMELLIA192", "CAMELLIA-192-CFB", 24, 16},
    {13, "CAMELLIA256", "CAMELLIA-256-CFB", 32, 16},
};

struct hash_entry {
    int algo;
    const char* name;
    const char* openssl;
};

constexpr hash_entry hashes[] = {
    {1, "MD5", "MD5"},        {2, "SHA1", "SHA1"},          {3, "RIPEMD160", "RIPEMD160"},
    {8, "SHA256", "SHA256"},  {9, "SHA384", "SHA384"},      {10, "SHA512", "SHA512"},
    {11, "SHA224", "SHA224"}, {12, "SHA3-256", "SHA3-256"}, {14, "SHA3-512", "SHA3-512"},
};

const cipher_entry* find_cipher(int algo) {
    for (const auto& entry : ciphers)
        if (entry.algo == algo)
            return &entry;
    return nullptr;
}

const hash_entry* find_hash(int algo) {
    for (const auto& entry : hashes)
        if (entry.algo == algo)
            return &entry;
    return nullptr;
}

// A private library context so that loading the legacy provider (CAST5, Blowfish, IDEA,
// RIPEMD160 on some builds) does not change what the rest of the process gets from OpenSSL.
class library {
public:
    library() : context_(OSSL_LIB_CTX_new()) {
        if (context_) {
            default_ = OSSL_PROVIDER_load(context_, "default");
            legacy_ = OSSL_PROVIDER_load(context_, "legacy"); // may be absent: fine
        }
    }
    ~library() {
        if (legacy_)
            OSSL_PROVIDER_unload(legacy_);
        if (default_)
            OSSL_PROVIDER_unload(default_);
        OSSL_LIB_CTX_free(context_);
    }
    library(const library&) = delete;
    library& operator=(const library&) = delete;

    OSSL_LIB_CTX* context() const noexcept { return context_; }

    static const library& instance() {
        static const library lib;
        return lib;
    }

private:
    OSSL_LIB_CTX* context_ = nullptr;
    OSSL_PROVIDER* default_ = nullptr;
    OSSL_PROVIDER* legacy_ = nullptr;
};

} // namespace

std::string cipher_name(int algo) {
    const auto* entry = find_cipher(algo);
    return entry ? entry->name : "unknown";
}

std::string hash_name(int algo) {
    const auto* entry = find_hash(algo);
    return entry ? entry->name : "unknown";
}

std::string compression_name(int algo) {
    switch (algo) {
    case 0:
        return "uncompressed";
    case 1:
        return "ZIP";
    case 2:
        return "ZLIB";
    case 3:
        return "BZIP2";
    default:
        return "unknown";
    }
}

std::size_t cipher_key_size(int algo) {
    const auto* entry = find_cipher(algo);
    return entry ? entry->key_size : 0;
}

std::size_t cipher_block_size(int algo) {
    const auto* entry = find_cipher(algo);
    return entry ? entry->block_size : 0;
}

cipher_ptr fetch_ecb_cipher(int algo) {
    const auto* entry = find_cipher(algo);
    if (!entry || !entry->openssl_cfb)
        return nullptr;
    std::string name = entry->openssl_cfb;
    name.replace(name.size() - 3, 3, "ECB");
    return cipher_ptr(EVP_CIPHER_fetch(library::instance().context(), name.c_str(), nullptr));
}

cipher_ptr fetch_cfb_cipher(int algo) {
    const auto* entry = find_cipher(algo);
    if (!entry || !entry->openssl_cfb)
        return nullptr;
    return cipher_ptr(EVP_CIPHER_fetch(library::instance().context(), entry->openssl_cfb, nullptr));
}

md_ptr fetch_hash(int algo) {
    const auto* entry = find_hash(algo);
    if (!entry)
        return nullptr;
    return md_ptr(EVP_MD_fetch(library::instance().context(), entry->openssl, nullptr));
}

} // namespace grin::crypto
