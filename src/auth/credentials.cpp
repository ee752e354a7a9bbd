#include <grin/auth/credentials.hpp>
#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/core/log.hpp>
#include <grin/core/secret_file.hpp>

#include <nlohmann/json.hpp>

#include <cstdlib>

namespace grin::auth {
namespace {

constexpr const char* setup_hint = "run 'grin auth setup' to create it";

std::string
string_field(const nlohmann::json& object, const char* key, const std::filesystem::path& file) {
    if (!object.contains(key) || !object[key].is_string())
        throw fatal(file.string() + " has no \"" + key + "\" (string); " + setup_hint);
    return object[key].get<std::string>();
}

// `secret`: what the file holds and what to do if others read it (the shared policy of
// core/secret_file.hpp: readable by everyone is refused, by the group warned about).
nlohmann::json
parse_json_file(const std::filesystem::path& file, const char* what, secret_file secret) {
    if (!std::filesystem::exists(file))
        throw fatal(std::string(what) + " not found at " + file.string() + "; " + setup_hint +
                    " (or set GRIN_CREDENTIALS_DIR)");
    secret.path = file;
    check_secret_file(secret);
    std::string text;
    try {
        text = read_file(file);
    } catch (const grin::error& failure) {
        throw fatal(failure.what());
    }
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
        throw fatal(file.string() + " is not valid JSON; " + setup_hint);
    return parsed;
}

// The token endpoint receives the refresh token and the client secret: never over plain
// http, whatever the file says.
std::string
https_field(const nlohmann::json& object, const char* key, const std::filesystem::path& file) {
    auto value = string_field(object, key, file);
    if (!value.starts_with("https://"))
        throw fatal(file.string() + ": \"" + key + "\" must be an https:// URL (it receives " +
                    "the refresh token and the client secret), not '" + value + "'");
    return value;
}

} // namespace

const std::vector<std::string>& required_scopes() {
    static const std::vector<std::string> scopes = {
        "openid", "https://www.googleapis.com/auth/userinfo.email",
        "https://www.googleapis.com/auth/userinfo.profile"};
    return scopes;
}

std::filesystem::path credentials_dir() {
    if (const char* dir = std::getenv("GRIN_CREDENTIALS_DIR"); dir && *dir)
        return dir;
    const char* home = std::getenv("HOME");
    return std::filesystem::path(home && *home ? home : ".") / ".config" / "grin-transfer";
}

std::filesystem::path writable_credentials_path() {
    if (const char* dir = std::getenv("GRIN_WRITABLE_CREDENTIALS_DIR"); dir && *dir)
        return std::filesystem::path(dir) / "credentials.json";
    return credentials_dir() / "credentials.json";
}

client_secret load_client_secret(const std::filesystem::path& dir) {
    auto file = dir / "client_secret.json";
    if (!std::filesystem::exists(file) && std::filesystem::exists(dir / "secrets.json"))
        file = dir / "secrets.json";
    auto parsed =
        parse_json_file(file, "OAuth client secret file",
                        {.holds = "the OAuth client secret",
                         .rotate_hint = "reset the client secret in the Google Cloud console"});
    const auto& installed = parsed.contains("installed") ? parsed["installed"] : parsed;
    client_secret secret;
    secret.client_id = string_field(installed, "client_id", file);
    secret.client_secret = string_field(installed, "client_secret", file);
    if (installed.contains("auth_uri"))
        secret.auth_uri = string_field(installed, "auth_uri", file);
    if (installed.contains("token_uri"))
        secret.token_uri = https_field(installed, "token_uri", file);
    log::add_secret(secret.client_secret);
    return secret;
}

stored_credentials load_credentials(const std::filesystem::path& file) {
    auto parsed = parse_json_file(
        file, "OAuth credentials file",
        {.holds = "OAuth tokens that sign in to GRIN as you",
         .rotate_hint = "remove grin's access at https://myaccount.google.com/permissions "
                        "and run 'grin auth setup' again"});
    stored_credentials credentials;
    // grin-transfer accepts "token": null and lets GRIN reject it; so do we.
    if (parsed.contains("token") && parsed["token"].is_string())
        credentials.token = parsed["token"].get<std::string>();
    else if (!parsed.contains("token"))
        throw fatal(file.string() + " has no \"token\"; " + setup_hint);
    credentials.refresh_token = string_field(parsed, "refresh_token", file);
    credentials.token_uri = https_field(parsed, "token_uri", file);
    credentials.client_id = string_field(parsed, "client_id", file);
    credentials.client_secret = string_field(parsed, "client_secret", file);
    if (!parsed.contains("scopes") || !parsed["scopes"].is_array())
        throw fatal(file.string() + " has no \"scopes\" list; " + setup_hint);
    for (const auto& scope : parsed["scopes"])
        if (scope.is_string())
            credentials.scopes.push_back(scope.get<std::string>());
    register_secrets(credentials);
    return credentials;
}

void register_secrets(const stored_credentials& credentials) {
    log::add_secret(credentials.token);
    log::add_secret(credentials.refresh_token);
    log::add_secret(credentials.client_secret);
}

void save_credentials(const std::filesystem::path& file, const stored_credentials& credentials) {
    register_secrets(credentials);
    nlohmann::json document = {
        {"token", credentials.token},
        {"refresh_token", credentials.refresh_token},
        {"token_uri", credentials.token_uri},
        {"client_id", credentials.client_id},
        {"client_secret", credentials.client_secret},
        {"scopes", credentials.scopes},
    };
    write_file_atomically(file, document.dump(2) + "\n", 0600);
}

} // namespace grin::auth
