#pragma once
// `grin-emulator --write-credentials DIR`: the three files a client needs to talk to the
// emulator as if it were Google + GRIN (grin-protocol.md 2, 7.2): client_secret.json
// ("installed" app), credentials.json (the six keys grin-transfer requires, token_uri
// pointing at the emulator) and gpg_passphrase.asc. Files are written atomically with
// mode 0600; DIR is created (0700) if missing.
// Throws grin::error (step "write") on I/O failure.
#include <grin/emulator/token_service.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

namespace grin::emulator {

struct credentials_params {
    std::string origin;       // "https://127.0.0.1:8443": token_uri = origin + "/token"
    oauth_client client;      // must match the running emulator's token_service
    std::string access_token; // optional: a token already valid ("" = none, client refreshes)
    std::string passphrase;   // gpg passphrase, as archive_cache uses it
};

// "random words" style passphrase, a pure function of the seed.
std::string default_passphrase(std::uint64_t seed);

void write_credentials(const std::filesystem::path& dir, const credentials_params& params);

} // namespace grin::emulator
