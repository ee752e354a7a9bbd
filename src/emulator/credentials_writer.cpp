#include <grin/core/atomic_file.hpp>
#include <grin/core/error.hpp>
#include <grin/emulator/credentials_writer.hpp>

#include <nlohmann/json.hpp>

#include <array>

namespace grin::emulator {

std::string default_passphrase(std::uint64_t seed) {
    static const std::array<const char*, 16> words{
        "amber",  "basalt",  "cedar", "dune",    "ember",  "fjord",  "granite", "harbor",
        "indigo", "juniper", "kelp",  "lantern", "meadow", "nectar", "orchid",  "pebble"};
    std::string out;
    std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    for (int i = 0; i < 5; ++i) {
        x ^= x >> 29;
        x *= 0xBF58476D1CE4E5B9ULL;
        x ^= x >> 32;
        if (!out.empty()) {
            out += ' ';
        }
        out += words[x % words.size()];
    }
    return out;
}

void write_credentials(const std::filesystem::path& dir, const credentials_params& params) {
    std::error_code ec;
    if (!std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            throw error("cannot create " + dir.string() + ": " + ec.message(), {.step = "write"});
        }
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::replace, ec);
    }
    auto token_uri = params.origin + "/token";
    nlohmann::json secret{{"installed",
                           {{"client_id", params.client.client_id},
                            {"client_secret", params.client.client_secret},
                            {"project_id", "grin-emulator"},
                            {"auth_uri", params.origin + "/o/oauth2/auth"},
                            {"token_uri", token_uri},
                            {"redirect_uris", {"http://localhost:58432"}}}}};
    nlohmann::json credentials{{"token", params.access_token.empty()
                                             ? nlohmann::json(nullptr)
                                             : nlohmann::json(params.access_token)},
                               {"refresh_token", params.client.refresh_token},
                               {"token_uri", token_uri},
                               {"client_id", params.client.client_id},
                               {"client_secret", params.client.client_secret},
                               {"scopes",
                                {"openid", "https://www.googleapis.com/auth/userinfo.email",
                                 "https://www.googleapis.com/auth/userinfo.profile"}}};
    write_file_atomically(dir / "client_secret.json", secret.dump(2) + "\n", 0600);
    write_file_atomically(dir / "credentials.json", credentials.dump(2) + "\n", 0600);
    write_file_atomically(dir / "gpg_passphrase.asc", params.passphrase + "\n", 0600);
}

} // namespace grin::emulator
