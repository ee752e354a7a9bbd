// libFuzzer target over the decryptor's parsers. The first byte picks what the rest is:
//   0: a whole file (packet framing, SKESK parsing, S2K, quick check, MDC);
//   1: the packets inside the encrypted data, which the harness encrypts (with a valid MDC)
//      so that the literal/compressed layers see arbitrary content;
//   2: the body of a compressed packet (second byte = algorithm), encrypted the same way.
// Errors are expected; crashes, leaks, sanitizer reports and unbounded allocation are not.
#include <grin/core/error.hpp>
#include <grin/crypto/decryptor.hpp>

#include <cstddef>
#include <cstdint>

#include "test_message.hpp"

namespace {

const grin::crypto::passphrase& key() {
    static const grin::crypto::passphrase value("fuzz");
    return value;
}

void run(const grin::test::bytes& file, std::size_t split) {
    grin::crypto::decrypt_options options;
    options.allow_fallback = false; // librnp is not ours to fuzz, and is slow to start
    options.max_s2k_count = 65536;  // keep each input cheap
    std::size_t produced = 0;
    grin::crypto::decryptor engine(
        key(), [&](grin::crypto::bytes_view data) { produced += data.size(); }, options);
    try {
        split = std::min(split, file.size());
        engine.update(grin::crypto::bytes_view(file).first(split));
        engine.update(grin::crypto::bytes_view(file).subspan(split));
        engine.finish();
    } catch (const grin::error&) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2)
        return 0;
    grin::test::bytes rest(data + 1, data + size);
    grin::test::message_shape shape;
    shape.passphrase = "fuzz";
    shape.cipher = 7;
    shape.hash = 2;
    shape.coded_count = 0;
    switch (data[0] % 3) {
    case 0:
        run(rest, data[1]);
        break;
    case 1:
        run(grin::test::encrypt_inner(rest, shape), 17 + data[1]);
        break;
    default: {
        grin::test::bytes inner;
        grin::test::bytes body(rest.begin(), rest.end());
        body[0] %= 4; // a known algorithm, so the decompressors get the data
        grin::test::put_packet(inner, 8, body, false);
        run(grin::test::encrypt_inner(inner, shape), size / 2);
        break;
    }
    }
    return 0;
}
