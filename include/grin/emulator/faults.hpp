#pragma once
// Fault injection decisions (grin-protocol.md 7.4) as data: which request gets an HTTP
// error status (5xx, 429, 401, 403, 302-to-login) or a transport fault (reset, truncated
// body, stall, missing ETag). Rules match by route, library and barcode and fire for the
// first N matching requests or with a probability. Probabilistic draws are a hash of
// (seed, rule, n-th match of that rule), so a test sees the same faults on every run no
// matter how requests to other routes interleave.
// Thread-safe: an internal mutex.
#include <grin/emulator/types.hpp>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grin::emulator {

enum class route {
    probe,
    all_books,
    converted,
    failed,
    in_process,
    process,
    barcode_search,
    archive_head,
    archive_get,
    blob,
    token,
    stats,
    control,
    not_found,
};
inline constexpr std::size_t route_count = 14;

std::string_view to_string(route value) noexcept;
std::optional<route> parse_route(std::string_view name) noexcept;

struct fault_rule {
    std::optional<route> on; // nullopt: any route
    std::string library;     // "": any
    std::string barcode;     // "": any
    int status = 0;          // HTTP status to answer instead (302 = login redirect), or 0
    fault transport = fault::none;
    std::uint64_t after_bytes = 0; // body bytes before a reset/truncate/mid-body stall
    std::chrono::milliseconds stall_for{0};
    std::uint64_t first_n = 0; // fire for the first N matches; 0: use probability
    double probability = 0.0;
};

// "route=archive_get,status=503,first=2" / "route=archive_get,fault=truncate,after=1000,p=0.5"
// keys: route, library, barcode, status, fault (reset_mid_body|truncate|
// stall_before_headers|stall_mid_body|no_etag|wrong_etag|garbage_body|huge_headers|
// latin1_body), after, stall_ms, first, p.
// Throws grin::fatal on an unknown key or value (it comes from a command line).
fault_rule parse_fault_rule(std::string_view spec);

struct fault_decision {
    int status = 0;
    fault transport = fault::none;
    std::uint64_t after_bytes = 0;
    std::chrono::milliseconds stall_for{0};
    std::size_t rule = 0;
};

class fault_plan {
public:
    explicit fault_plan(std::uint64_t seed = 1) : seed_(seed) {}

    std::size_t add(fault_rule rule); // returns the rule's number
    void clear();

    // Rules are tried in order; the first that matches and fires decides. A rule counts
    // a request as one of its matches only if no earlier rule fired for it, so stacked
    // first=1 rules fire on consecutive requests.
    std::optional<fault_decision>
    decide(route on, std::string_view library, std::string_view barcode);

    std::uint64_t injected() const;              // decisions returned so far
    std::uint64_t fired(std::size_t rule) const; // per rule

private:
    struct entry {
        fault_rule rule;
        std::uint64_t matches = 0;
        std::uint64_t fired = 0;
    };
    std::uint64_t seed_;
    mutable std::mutex mutex_;
    std::vector<entry> rules_;
    std::uint64_t injected_ = 0;
};

} // namespace grin::emulator
