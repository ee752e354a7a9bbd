#pragma once
// OAuth2 credential files, compatible with grin-transfer's (grin-protocol.md section 2):
// client_secret.json (the Google "Desktop app" download) and credentials.json (the user's
// tokens, 0600). A library can switch tools without signing in again.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace grin::auth {

// The scopes GRIN accepts; credentials.json must carry exactly these.
const std::vector<std::string>& required_scopes();

struct client_secret {
    std::string client_id;
    std::string client_secret;
    std::string auth_uri = "https://accounts.google.com/o/oauth2/auth";
    std::string token_uri = "https://oauth2.googleapis.com/token";
};

struct stored_credentials {
    std::string token; // access token; may be stale (no expiry is stored)
    std::string refresh_token;
    std::string token_uri;
    std::string client_id;
    std::string client_secret;
    std::vector<std::string> scopes;
};

// $GRIN_CREDENTIALS_DIR, else ~/.config/grin-transfer.
std::filesystem::path credentials_dir();
// Where credentials.json is written: $GRIN_WRITABLE_CREDENTIALS_DIR (Docker) when set,
// else credentials_dir().
std::filesystem::path writable_credentials_path();

// Throws grin::fatal naming the file and what to do when it is missing or malformed (a
// token_uri that is not https:// included: it receives the refresh token), or
// readable by every user of the machine (chmod 600 hint; group-readable only warns:
// core/secret_file.hpp).
client_secret load_client_secret(const std::filesystem::path& dir);
stored_credentials load_credentials(const std::filesystem::path& file);

// Writes atomically with mode 0600 and registers the secrets for log redaction.
void save_credentials(const std::filesystem::path& file, const stored_credentials& credentials);

// Registers every secret in `credentials` with the log redactor.
void register_secrets(const stored_credentials& credentials);

} // namespace grin::auth
