#include <grin/auth/setup.hpp>
#include <grin/core/error.hpp>
#include <grin/net/retry.hpp>
#include <grin/net/url.hpp>

#include <nlohmann/json.hpp>

namespace grin::auth {

std::string consent_url(const client_secret& secret) {
    std::string scopes;
    for (const auto& scope : required_scopes())
        scopes += (scopes.empty() ? "" : " ") + scope;
    return secret.auth_uri + "?client_id=" + net::encode_query_value(secret.client_id) +
           "&redirect_uri=" + net::encode_query_value(out_of_band_redirect) +
           "&response_type=code&scope=" + net::encode_query_value(scopes) +
           "&access_type=offline&prompt=consent";
}

boost::asio::awaitable<stored_credentials>
exchange_code(net::https_pool& pool, client_secret secret, std::string code) {
    net::http_request request;
    request.method = "POST";
    request.url = secret.token_uri;
    request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    request.body = "grant_type=authorization_code&code=" + net::encode_query_value(code) +
                   "&client_id=" + net::encode_query_value(secret.client_id) +
                   "&client_secret=" + net::encode_query_value(secret.client_secret) +
                   "&redirect_uri=" + net::encode_query_value(out_of_band_redirect);
    net::retry_policy policy{.max_attempts = 3};
    net::http_response response = co_await net::send_with_retry(pool, request, policy);
    auto answer = nlohmann::json::parse(response.body, nullptr, false);
    if (response.status != 200 || !answer.is_object() || !answer.contains("access_token")) {
        std::string reason = answer.is_object() && answer.contains("error")
                                 ? answer["error"].dump()
                                 : "HTTP " + std::to_string(response.status);
        throw fatal("the token endpoint refused the authorization code (" + reason +
                    "); codes are valid once and for a few minutes: run 'grin auth setup' again");
    }
    if (!answer.contains("refresh_token"))
        throw fatal("the token endpoint sent no refresh token; revoke the app's access in your "
                    "Google account and run 'grin auth setup' again");
    stored_credentials credentials;
    credentials.token = answer["access_token"].get<std::string>();
    credentials.refresh_token = answer["refresh_token"].get<std::string>();
    credentials.token_uri = secret.token_uri;
    credentials.client_id = secret.client_id;
    credentials.client_secret = secret.client_secret;
    credentials.scopes = required_scopes();
    register_secrets(credentials);
    co_return credentials;
}

} // namespace grin::auth
