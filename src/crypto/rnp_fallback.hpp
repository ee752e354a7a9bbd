#pragma once
#include <mutex>
// Hands a whole file to librnp for everything outside the native subset (AEAD, v5/v6
// packets, public-key session keys, Twofish, ASCII armor, unprotected data when allowed).
// librnp pulls its input and pushes its output from inside rnp_op_verify_execute, so it
// runs on a helper thread connected by two bounded queues (4 MiB each): memory stays
// constant, and the caller's sink is still only called on the caller's thread, from
// feed() and finish(). librnp's stderr logging goes to /dev/null.
// Throws grin::error (step "decrypt"): "wrong passphrase", "integrity check failed
// (librnp: ...)", "encrypted data without integrity protection (no MDC) refused ...".
// Destroying it before finish() cancels librnp and joins the thread. Not thread-safe
// (one caller thread), but independent instances may run in parallel.
#include <grin/crypto/passphrase.hpp>

#include <memory>

#include "layer_context.hpp"

namespace grin::crypto::detail {

class rnp_fallback {
public:
    rnp_fallback(const passphrase& key, layer_context& context, bool allow_unprotected);
    ~rnp_fallback();
    rnp_fallback(const rnp_fallback&) = delete;
    rnp_fallback& operator=(const rnp_fallback&) = delete;

    void feed(bytes_view data);
    void finish();

    struct shared;

private:
    // Emits every queued output chunk; `lock` (on shared_->mutex) is released while
    // emitting, so librnp's thread never waits on our sink.
    void drain_output(std::unique_lock<std::mutex>& lock);
    std::shared_ptr<shared> shared_;
    layer_context& context_;
    bool allow_unprotected_;
};

} // namespace grin::crypto::detail
