#pragma once
// Error helpers shared by the crypto sources (private to the module).
#include <grin/core/error.hpp>

#include <string>

namespace grin::crypto::detail {

[[noreturn]] inline void fail(const std::string& message) {
    error_context context;
    context.step = "decrypt";
    throw grin::error(message, context);
}

// Malformed content found inside the encrypted data. Decryption keeps going after one so
// that a tampered file is reported as an MDC failure rather than as whatever garbage the
// tampering produced (seipd_layer defers it until the MDC has been checked).
class inner_format_error : public grin::error {
public:
    explicit inner_format_error(const std::string& message)
        : grin::error(message, make_context()) {}

private:
    static error_context make_context() {
        error_context context;
        context.step = "decrypt";
        return context;
    }
};

[[noreturn]] inline void fail_inner(const std::string& message) {
    throw inner_format_error(message);
}

} // namespace grin::crypto::detail
