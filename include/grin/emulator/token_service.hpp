#pragma once
// The emulator's OAuth2 side (grin-protocol.md 7.2): a fake Google token endpoint
// (grant_type=refresh_token and authorization_code, form-encoded POST) and the bearer
// check for GRIN routes, with a token lifetime measured on an injected clock so expiry
// is testable without sleeping. Tokens come from a seeded generator (deterministic).
// Thread-safe: an internal mutex.
#include <grin/emulator/types.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace grin::emulator {

struct oauth_client {
    std::string client_id = "emulator-client.apps.googleusercontent.com";
    std::string client_secret = "GOCSPX-emulator-secret";
    std::string refresh_token = "1//emulator-refresh-token";
    // The code a test "pastes" in the out-of-band auth flow.
    std::string authorization_code = "4/emulator-authorization-code";
};

inline constexpr std::string_view oauth_scope =
    "openid https://www.googleapis.com/auth/userinfo.email "
    "https://www.googleapis.com/auth/userinfo.profile";

struct token_params {
    oauth_client client;
    std::chrono::seconds lifetime{3599};
    std::uint64_t seed = 1;
};

enum class token_verdict { ok, missing, unknown, expired };

class token_service {
public:
    explicit token_service(token_params params, clock_fn clock = {});

    // A new access token valid for the configured lifetime.
    std::string issue();

    // `authorization`: the Authorization header value, or nullptr when absent.
    token_verdict check(const std::string* authorization) const;

    // POST /token. 200 JSON on success; 400 {"error":"invalid_grant",...} on a bad refresh
    // token or code; 401 {"error":"invalid_client"} on wrong client credentials; 400
    // "unsupported_grant_type" otherwise.
    response handle(const request& req);

    void set_lifetime(std::chrono::seconds lifetime); // applies to tokens issued later
    void expire_all();                                // every issued token is now expired
    std::uint64_t refreshes() const;                  // successful token endpoint grants
    const oauth_client& client() const noexcept { return params_.client; }

private:
    std::string mint_locked();

    token_params params_;
    clock_fn clock_;
    mutable std::mutex mutex_;
    std::map<std::string, std::chrono::system_clock::time_point> expiry_;
    std::uint64_t counter_ = 0;
    std::uint64_t refreshes_ = 0;
};

} // namespace grin::emulator
