#include <grin/emulator/query.hpp>
#include <grin/emulator/token_service.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>

#include "hashing.hpp"

namespace grin::emulator {
namespace {

response json_response(int status, const nlohmann::json& body) {
    response r;
    r.status = status;
    r.body = body.dump();
    r.headers = {{"Content-Type", "application/json; charset=utf-8"},
                 {"Cache-Control", "no-store"},
                 {"Content-Length", std::to_string(r.body.size())}};
    return r;
}

} // namespace

token_service::token_service(token_params params, clock_fn clock)
    : params_(std::move(params)), clock_(std::move(clock)) {
    if (!clock_) {
        clock_ = [] { return std::chrono::system_clock::now(); };
    }
}

std::string token_service::mint_locked() {
    ++counter_;
    std::array<char, 48> b{};
    std::snprintf(b.data(), b.size(), "ya29.emu-%016llx%08llx",
                  static_cast<unsigned long long>(
                      detail::splitmix64(params_.seed ^ detail::splitmix64(counter_))),
                  static_cast<unsigned long long>(counter_));
    std::string token = b.data();
    expiry_[token] = clock_() + params_.lifetime;
    return token;
}

std::string token_service::issue() {
    std::lock_guard lock(mutex_);
    return mint_locked();
}

token_verdict token_service::check(const std::string* authorization) const {
    if (authorization == nullptr) {
        return token_verdict::missing;
    }
    std::string_view value = *authorization;
    constexpr std::string_view scheme = "Bearer ";
    if (value.size() <= scheme.size() || value.substr(0, scheme.size()) != scheme) {
        return token_verdict::missing;
    }
    std::string token(value.substr(scheme.size()));
    std::lock_guard lock(mutex_);
    auto it = expiry_.find(token);
    if (it == expiry_.end()) {
        return token_verdict::unknown;
    }
    return clock_() < it->second ? token_verdict::ok : token_verdict::expired;
}

response token_service::handle(const request& req) {
    if (req.method != "POST") {
        auto r = json_response(405, {{"error", "invalid_request"}});
        r.headers.emplace_back("Allow", "POST");
        return r;
    }
    auto form = parse_query(req.body);
    auto get = [&](std::string_view key) { return first_value(form, key).value_or(""); };
    auto grant = get("grant_type");
    const auto& c = params_.client;
    if (grant != "refresh_token" && grant != "authorization_code") {
        return json_response(400, {{"error", "unsupported_grant_type"},
                                   {"error_description", "Invalid grant_type: " + grant}});
    }
    if (get("client_id") != c.client_id || get("client_secret") != c.client_secret) {
        return json_response(401, {{"error", "invalid_client"},
                                   {"error_description", "The OAuth client was not found."}});
    }
    bool good = grant == "refresh_token" ? get("refresh_token") == c.refresh_token
                                         : get("code") == c.authorization_code;
    if (!good) {
        return json_response(400, {{"error", "invalid_grant"},
                                   {"error_description", grant == "refresh_token"
                                                             ? "Token has been expired or revoked."
                                                             : "Malformed auth code."}});
    }
    std::lock_guard lock(mutex_);
    ++refreshes_;
    nlohmann::json body{{"access_token", mint_locked()},
                        {"expires_in", params_.lifetime.count()},
                        {"scope", oauth_scope},
                        {"token_type", "Bearer"},
                        {"id_token", "eyJhbGciOiJub25lIn0.eyJlbXVsYXRvciI6dHJ1ZX0."}};
    if (grant == "authorization_code") {
        body["refresh_token"] = c.refresh_token;
    }
    return json_response(200, body);
}

void token_service::set_lifetime(std::chrono::seconds lifetime) {
    std::lock_guard lock(mutex_);
    params_.lifetime = lifetime;
}

void token_service::expire_all() {
    std::lock_guard lock(mutex_);
    auto now = clock_();
    for (auto& [token, when] : expiry_) {
        when = now;
    }
}

std::uint64_t token_service::refreshes() const {
    std::lock_guard lock(mutex_);
    return refreshes_;
}

} // namespace grin::emulator
