#pragma once
// The GRIN emulator without sockets: `handle(request) -> response` for every route of
// grin-protocol.md 7.3, the auth rules of 7.2 and the fault decisions of 7.4. The HTTPS
// server (net module) parses requests into `request`, calls handle(), and writes the
// `response`, acting out `response.injected` (see types.hpp) and keeping
// `response.in_flight` alive until the body is sent.
//
// Routes (paths under /libraries/<Dir>/ need "Authorization: Bearer <token>"):
//   GET  /libraries/<Dir>/?format=text&result_count=N       probe: first N barcodes
//   GET  /libraries/<Dir>/_all_books|_converted|_failed
//   ?result_count=N&first=K[&format=text[&mode=all]] GET  /libraries/<Dir>/_in_process?format=text
//   GET|POST /libraries/<Dir>/_process?barcodes=B1,B2 (or body)   429 when the queue is full
//   GET  /libraries/<Dir>/_barcode_search?...&barcodes=B1+B2      414 over max_target_bytes
//   HEAD|GET /libraries/<Dir>/<B>.tar.gz.gpg                 ETag, Content-Length, Last-Modified
//   HEAD|GET /blob/<Dir>/<B>.tar.gz.gpg?v=N                  redirect target (redirect_archives)
//   POST /token                                              OAuth token endpoint
//   GET  /_emulator/stats | /_emulator/log                   JSON counters / request log (no auth)
//        stats "timing": per route, first_ms / last_ms (steady clock, since start) and
//        max_per_second (most requests in any sliding window of one second, (t - 1 s, t]).
// Fault rules match _process and _barcode_search by the FIRST barcode of the request.
//   POST /_emulator/advance | reconvert?library=&barcode= | queue_cap?library=&value=
//        | expire_tokens | token_lifetime?seconds= | faults (body: a rule spec) | clear_faults
//        | defect?library=&barcode=&kind=<archive_defect name> (bad payloads of 7.4)
//        | acl?library=&deny=1|0 (403 while denied: "ACL changes can take 12 hours")
// Missing/unknown/expired token -> 401 (or 302 to accounts.google.com/ServiceLogin when
// login_redirect); unknown or denied directory -> 403; anything else -> 404.
//
// Thread-safe. handle() may block for seconds the first time an archive is needed
// (building + gpg), so call it from a worker thread, never from the I/O thread.
#include <grin/emulator/archive_source.hpp>
#include <grin/emulator/faults.hpp>
#include <grin/emulator/library_state.hpp>
#include <grin/emulator/pages.hpp>
#include <grin/emulator/token_service.hpp>
#include <grin/emulator/types.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace grin::emulator {

// One handled request, for tests that check what the client did (which token, which
// order). The newest max_log_entries are kept.
struct request_record {
    std::chrono::system_clock::time_point at;
    route which = route::not_found;
    std::string method;
    std::string target;
    std::string token; // bearer token sent, "" if none (fake tokens: not a secret)
    int status = 0;
    fault injected = fault::none;
};
inline constexpr std::size_t max_log_entries = 10'000;

struct router_params {
    std::vector<library_params> libraries{library_params{}};
    std::uint64_t seed = 1; // faults and tokens
    token_params tokens;
    page_options pages;
    std::int64_t default_result_count = 100; // list pages without result_count
    bool login_redirect = false; // auth failures as 302 to ServiceLogin (mode B) instead of 401
    std::set<std::string> denied_libraries; // 403 (ACL not granted)
    std::size_t max_target_bytes = 8192;    // longer _barcode_search targets -> 414
    bool redirect_archives = false;         // archive GET -> 302 to an absolute /blob/ URL
    // "https://127.0.0.1:8443": origin for absolute Locations; empty: scheme + Host header.
    std::string public_origin;
    std::string scheme = "https";
    unsigned in_process_bare_every = 3; // every 3rd _in_process line is a bare barcode
};

class router {
public:
    // `archives` may be null: archive routes then answer 503.
    router(router_params params, std::shared_ptr<archive_source> archives, clock_fn clock = {});

    response handle(const request& req);

    fault_plan& faults() noexcept { return faults_; }
    token_service& tokens() noexcept { return tokens_; }
    library_state* library(std::string_view name); // nullptr if not configured
    std::string stats_json() const;
    std::vector<request_record> request_log() const; // oldest first
    std::string log_json() const;                    // GET /_emulator/log
    std::uint64_t requests(route r) const noexcept;

private:
    struct counters {
        std::atomic<std::uint64_t> requests{0};
        std::atomic<std::uint64_t> in_flight{0};
        std::atomic<std::uint64_t> max_in_flight{0};
    };

    // Arrival times per route, for request-rate checks (stats "timing").
    struct route_timing {
        std::uint64_t seen = 0;
        std::chrono::steady_clock::time_point first{}, last{};
        std::deque<std::chrono::steady_clock::time_point> last_second;
        std::uint64_t max_per_second = 0;
    };

    response dispatch(const request& req, route& which, std::string& library, std::string& barcode);
    response library_route(const request& req,
                           library_state& lib,
                           std::string_view rest,
                           std::string_view query,
                           route which,
                           const std::string& barcode);
    response list_route(library_state& lib, list_kind kind, std::string_view query, bool probe);
    response archive_route(const request& req,
                           library_state& lib,
                           const std::string& barcode,
                           std::optional<std::uint32_t> version,
                           bool via_blob);
    response control_route(const request& req, std::string_view action, std::string_view query);
    response auth_failure(const request& req, bool redirect) const;
    std::string origin_for(const request& req) const;
    std::shared_ptr<void> enter(route r);
    bool denied(const std::string& library) const;

    router_params params_;
    std::shared_ptr<archive_source> archives_;
    clock_fn clock_;
    std::map<std::string, std::unique_ptr<library_state>, std::less<>> libraries_;
    fault_plan faults_;
    token_service tokens_;
    std::array<counters, route_count> counters_;
    const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    mutable std::mutex timing_mutex_;
    std::array<route_timing, route_count> timing_; // guarded by timing_mutex_
    mutable std::mutex status_mutex_;
    std::map<int, std::uint64_t> statuses_;
    std::deque<request_record> log_;
    std::set<std::string> denied_; // guarded by status_mutex_
};

} // namespace grin::emulator
