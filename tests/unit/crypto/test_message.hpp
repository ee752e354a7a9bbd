#pragma once
// A minimal OpenPGP symmetric encryptor for unit tests: builds SKESK v4 + SEIPD v1 files of
// chosen shapes (header format, partial lengths, compression, missing MDC, ...) without
// gpg. The S2K comes from the module itself; the integration tests check it against gpg.
#include <grin/crypto/algorithms.hpp>
#include <grin/crypto/s2k.hpp>

#include <bzlib.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace grin::test {

using bytes = std::vector<std::uint8_t>;

struct message_shape {
    std::string passphrase = "correct horse";
    int cipher = 9;                  // AES256
    int hash = 8;                    // SHA256
    int s2k_type = 3;                // iterated + salted
    std::uint8_t coded_count = 0x10; // 2048 bytes
    int compression = -1;            // -1: no compressed packet; else 0..3
    bool old_format = false;
    std::size_t partial_chunk = 0; // > 0: SEIPD body in partial chunks of this size (2^k)
    bool with_mdc = true;
    int seipd_tag = 18;
};

inline void put_header(bytes& out, int tag, std::size_t length, bool old_format) {
    if (old_format && tag < 16) {
        if (length < 256) {
            out.push_back(static_cast<std::uint8_t>(0x80 | (tag << 2)));
            out.push_back(static_cast<std::uint8_t>(length));
        } else {
            out.push_back(static_cast<std::uint8_t>(0x80 | (tag << 2) | 2));
            for (int shift = 24; shift >= 0; shift -= 8)
                out.push_back(static_cast<std::uint8_t>(length >> shift));
        }
        return;
    }
    out.push_back(static_cast<std::uint8_t>(0xC0 | tag));
    if (length < 192) {
        out.push_back(static_cast<std::uint8_t>(length));
    } else if (length < 8384) {
        out.push_back(static_cast<std::uint8_t>(((length - 192) >> 8) + 192));
        out.push_back(static_cast<std::uint8_t>((length - 192) & 0xff));
    } else {
        out.push_back(0xff);
        for (int shift = 24; shift >= 0; shift -= 8)
            out.push_back(static_cast<std::uint8_t>(length >> shift));
    }
}

inline void
put_packet(bytes& out, int tag, const bytes& body, bool old_format, std::size_t partial_chunk = 0) {
    if (partial_chunk == 0) {
        put_header(out, tag, body.size(), old_format);
        out.insert(out.end(), body.begin(), body.end());
        return;
    }
    out.push_back(static_cast<std::uint8_t>(0xC0 | tag));
    int power = 0;
    while ((std::size_t{1} << power) < partial_chunk)
        ++power;
    std::size_t pos = 0;
    while (body.size() - pos > partial_chunk) {
        out.push_back(static_cast<std::uint8_t>(0xE0 | power));
        out.insert(out.end(), body.begin() + static_cast<std::ptrdiff_t>(pos),
                   body.begin() + static_cast<std::ptrdiff_t>(pos + partial_chunk));
        pos += partial_chunk;
    }
    bytes last(body.begin() + static_cast<std::ptrdiff_t>(pos), body.end());
    bytes tmp;
    put_header(tmp, tag, last.size(), false);
    out.insert(out.end(), tmp.begin() + 1, tmp.end());
    out.insert(out.end(), last.begin(), last.end());
}

inline bytes compress_body(const bytes& data, int algo) {
    bytes out(data.size() + data.size() / 10 + 1024);
    if (algo == 0)
        return data;
    if (algo == 3) {
        unsigned len = static_cast<unsigned>(out.size());
        if (BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &len,
                                     const_cast<char*>(reinterpret_cast<const char*>(data.data())),
                                     static_cast<unsigned>(data.size()), 1, 0, 0) != BZ_OK)
            throw std::runtime_error("bzip2 failed");
        out.resize(len);
        return out;
    }
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, algo == 1 ? -15 : 15, 8, Z_DEFAULT_STRATEGY);
    z.next_in = const_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        throw std::runtime_error("deflate failed");
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

// Encrypts `inner` (the packets inside the encrypted data) as they are.
inline bytes encrypt_inner(const bytes& inner, const message_shape& shape = {}) {
    std::size_t block = crypto::cipher_block_size(shape.cipher);
    bytes plain(block + 2);
    RAND_bytes(plain.data(), static_cast<int>(block));
    plain[block] = plain[block - 2];
    plain[block + 1] = plain[block - 1];
    plain.insert(plain.end(), inner.begin(), inner.end());
    if (shape.with_mdc) {
        plain.push_back(0xD3);
        plain.push_back(0x14);
        std::uint8_t digest[20];
        EVP_Digest(plain.data(), plain.size(), digest, nullptr, EVP_sha1(), nullptr);
        plain.insert(plain.end(), digest, digest + 20);
    }

    crypto::s2k_spec s2k;
    s2k.type = shape.s2k_type;
    s2k.hash = shape.hash;
    RAND_bytes(s2k.salt.data(), 8);
    s2k.count = crypto::decode_s2k_count(shape.coded_count);
    bytes key(crypto::cipher_key_size(shape.cipher));
    crypto::derive_key(s2k, shape.passphrase, key);

    bytes cipher(plain.size());
    auto algo = crypto::fetch_cfb_cipher(shape.cipher);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    std::uint8_t iv[16] = {};
    int len = 0;
    EVP_EncryptInit_ex2(ctx, algo.get(), key.data(), iv, nullptr);
    EVP_EncryptUpdate(ctx, cipher.data(), &len, plain.data(), static_cast<int>(plain.size()));
    EVP_CIPHER_CTX_free(ctx);

    bytes out;
    bytes skesk = {4, static_cast<std::uint8_t>(shape.cipher),
                   static_cast<std::uint8_t>(shape.s2k_type),
                   static_cast<std::uint8_t>(shape.hash)};
    if (shape.s2k_type != 0)
        skesk.insert(skesk.end(), s2k.salt.begin(), s2k.salt.end());
    if (shape.s2k_type == 3)
        skesk.push_back(shape.coded_count);
    put_packet(out, 3, skesk, shape.old_format);
    bytes seipd;
    if (shape.seipd_tag == 18)
        seipd.push_back(1);
    seipd.insert(seipd.end(), cipher.begin(), cipher.end());
    put_packet(out, shape.seipd_tag, seipd, shape.old_format, shape.partial_chunk);
    return out;
}

inline bytes encrypt_message(const bytes& plaintext, const message_shape& shape = {}) {
    bytes literal = {'b', 4, 'd', 'a', 't', 'a', 0, 0, 0, 0};
    literal.insert(literal.end(), plaintext.begin(), plaintext.end());
    bytes inner;
    put_packet(inner, 11, literal, shape.old_format);
    if (shape.compression >= 0) {
        bytes body = {static_cast<std::uint8_t>(shape.compression)};
        bytes packed = compress_body(inner, shape.compression);
        body.insert(body.end(), packed.begin(), packed.end());
        inner.clear();
        put_packet(inner, 8, body, shape.old_format);
    }
    return encrypt_inner(inner, shape);
}

inline bytes pattern_bytes(std::size_t size, std::uint32_t seed = 1) {
    bytes out(size);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : out) {
        x = x * 1664525u + 1013904223u;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return out;
}

} // namespace grin::test
