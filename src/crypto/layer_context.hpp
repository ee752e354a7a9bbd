#pragma once
// State shared by the layers of one decryption (private to the module).
#include <grin/crypto/decryptor.hpp>

namespace grin::crypto::detail {

struct layer_context {
    const decryptor::sink& output;
    decrypt_info& info;
    // Set while the caller's sink runs, so that an exception from the sink is never
    // mistaken for malformed encrypted content (which is deferred until the MDC check).
    bool in_sink = false;

    void emit(bytes_view data) {
        if (data.empty())
            return;
        in_sink = true;
        output(data);
        in_sink = false;
        info.plaintext_bytes += data.size();
    }
};

// Thrown before any output when the file needs librnp; the decryptor then replays the
// bytes it kept into rnp_fallback.
struct fallback_signal {
    std::string reason;
};

} // namespace grin::crypto::detail
