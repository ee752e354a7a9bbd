#include "skesk.hpp"

#include <grin/crypto/algorithms.hpp>

#include <openssl/crypto.h>

#include <algorithm>
#include <memory>

#include "fail.hpp"

namespace grin::crypto::detail {
namespace {

struct cipher_ctx_deleter {
    void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};

void check_cipher(int algo) {
    if (cipher_key_size(algo) == 0)
        fail("unsupported cipher algorithm " + std::to_string(algo) + " (unknown)");
    if (!fetch_cfb_cipher(algo))
        throw fallback_signal{"cipher " + cipher_name(algo) + " is not in this OpenSSL"};
}

} // namespace

skesk parse_skesk(bytes_view body) {
    if (body.empty())
        fail("empty session key packet (SKESK)");
    if (body[0] == 5 || body[0] == 6)
        throw fallback_signal{"SKESK version " + std::to_string(body[0])};
    if (body[0] != 4)
        fail("unsupported session key packet (SKESK) version " + std::to_string(body[0]));
    if (body.size() < 4)
        fail("truncated session key packet (SKESK)");
    skesk packet;
    packet.cipher = body[1];
    packet.s2k.type = body[2];
    std::size_t pos = 3;
    // 4 is Argon2 (RFC 9580), 101 GNU extensions: librnp's business.
    if (packet.s2k.type == 4 || packet.s2k.type == 101)
        throw fallback_signal{"S2K type " + std::to_string(packet.s2k.type)};
    if (packet.s2k.type != 0 && packet.s2k.type != 1 && packet.s2k.type != 3)
        fail("unsupported S2K type " + std::to_string(packet.s2k.type));
    packet.s2k.hash = body[pos++];
    if (packet.s2k.type == 1 || packet.s2k.type == 3) {
        if (body.size() < pos + 8)
            fail("truncated session key packet (SKESK): short salt");
        std::copy_n(body.data() + pos, 8, packet.s2k.salt.data());
        pos += 8;
    }
    if (packet.s2k.type == 3) {
        if (body.size() < pos + 1)
            fail("truncated session key packet (SKESK): no iteration count");
        packet.s2k.count = decode_s2k_count(body[pos++]);
    }
    packet.encrypted_key.assign(body.begin() + static_cast<std::ptrdiff_t>(pos), body.end());
    check_cipher(packet.cipher);
    if (hash_name(packet.s2k.hash) == "unknown")
        fail("unsupported S2K hash algorithm " + std::to_string(packet.s2k.hash) + " (unknown)");
    if (!fetch_hash(packet.s2k.hash))
        throw fallback_signal{"hash " + hash_name(packet.s2k.hash) + " is not in this OpenSSL"};
    return packet;
}

session_key::~session_key() {
    if (!key.empty())
        OPENSSL_cleanse(key.data(), key.size());
}

std::optional<session_key>
derive_session_key(const skesk& packet, const passphrase& pass, const derived_key* ahead) {
    session_key derived;
    derived.cipher = packet.cipher;
    derived.key.resize(cipher_key_size(packet.cipher));
    if (ahead && ahead->spec == packet.s2k && ahead->key.size() == derived.key.size())
        std::copy(ahead->key.begin(), ahead->key.end(), derived.key.begin());
    else
        derive_key(packet.s2k, pass.view(), derived.key);
    if (packet.encrypted_key.empty())
        return derived;

    // The encrypted session key: algorithm byte + key, CFB with a zero IV under the S2K key.
    std::vector<std::uint8_t> plain(packet.encrypted_key.size());
    std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_deleter> ctx(EVP_CIPHER_CTX_new());
    auto cipher = fetch_cfb_cipher(packet.cipher);
    std::uint8_t iv[EVP_MAX_IV_LENGTH] = {};
    int out_len = 0;
    if (!ctx || !cipher ||
        EVP_DecryptInit_ex2(ctx.get(), cipher.get(), derived.key.data(), iv, nullptr) != 1 ||
        EVP_DecryptUpdate(ctx.get(), plain.data(), &out_len, packet.encrypted_key.data(),
                          static_cast<int>(plain.size())) != 1)
        fail("cannot decrypt the session key");
    session_key result;
    result.cipher = plain[0];
    std::size_t size = cipher_key_size(result.cipher);
    bool plausible = size != 0 && plain.size() == size + 1;
    if (plausible)
        result.key.assign(plain.begin() + 1, plain.end());
    OPENSSL_cleanse(plain.data(), plain.size());
    if (!plausible)
        return std::nullopt;
    check_cipher(result.cipher);
    return result;
}

} // namespace grin::crypto::detail

namespace grin::crypto {
namespace {

// Collects the first SKESK body; stops the reader (by throwing) once it is complete or
// when the stream starts with anything else.
class first_skesk_finder final : public packet_handler {
public:
    struct stop {};

    void on_packet_begin(int tag, std::optional<std::uint64_t>) override {
        if (tag != tag::skesk && tag != tag::marker)
            throw stop{};
        tag_ = tag;
    }
    void on_packet_body(bytes_view data) override {
        if (tag_ == tag::skesk) {
            if (body.size() + data.size() > 1024)
                throw stop{};
            body.insert(body.end(), data.begin(), data.end());
        }
    }
    void on_packet_end() override {
        if (tag_ == tag::skesk) {
            complete = true;
            throw stop{};
        }
    }

    std::vector<std::uint8_t> body;
    bool complete = false;

private:
    int tag_ = 0;
};

} // namespace

derived_key::~derived_key() {
    if (!key.empty())
        OPENSSL_cleanse(key.data(), key.size());
}

std::optional<s2k_need> find_first_s2k(bytes_view prefix) {
    first_skesk_finder finder;
    try {
        packet_reader reader(finder, "file");
        reader.feed(prefix);
    } catch (const first_skesk_finder::stop&) {
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (!finder.complete)
        return std::nullopt;
    try {
        detail::skesk packet = detail::parse_skesk(finder.body);
        return s2k_need{.spec = packet.s2k, .key_size = cipher_key_size(packet.cipher)};
    } catch (...) { // fallback_signal or grin::error: the decryptor will say what it is
        return std::nullopt;
    }
}

} // namespace grin::crypto
