#pragma once
// Two exception families (DESIGN section 3, core):
// - grin::error: one book or one operation failed. Carries the context a person needs to
//   act (barcode, URL with secrets removed, HTTP status, the step that failed). Caught at
//   the per-book boundary, recorded in the database; the run goes on.
// - grin::fatal: the run cannot go on (bad flag, bad config file, unusable database).
//   Caught in main(), printed, and turned into the process exit code.
#include <optional>
#include <stdexcept>
#include <string>

namespace grin {

// Members carry explicit `{}` initializers so that designated initializers may leave any
// of them out (g++ warns about omitted members without one).
struct error_context {
    std::string step{};    // "resolve", "connect", "handshake", "write", "read", "decrypt", ...
    std::string url{};     // already redacted
    std::string barcode{}; // empty when not about one book
    std::optional<int> http_status{};
};

class error : public std::runtime_error {
public:
    explicit error(const std::string& what, error_context context = {});

    const error_context& context() const noexcept { return context_; }
    // The bare message, without the context suffix that what() carries.
    const std::string& message() const noexcept { return message_; }

private:
    std::string message_;
    error_context context_;
};

class fatal : public std::runtime_error {
public:
    explicit fatal(const std::string& what, int exit_code = 2)
        : std::runtime_error(what), exit_code_(exit_code) {}
    int exit_code() const noexcept { return exit_code_; }

private:
    int exit_code_;
};

// "message (step=connect, url=https://host/x, status=503, barcode=B1)"
std::string describe(const std::string& message, const error_context& context);

} // namespace grin
