#pragma once
// `grin auth setup`: the installed-app OAuth flow with a pasted code (works over SSH and
// in containers: no browser or loopback listener on this machine is needed).
#include <grin/auth/credentials.hpp>
#include <grin/net/https_pool.hpp>

namespace grin::auth {

inline constexpr std::string_view out_of_band_redirect = "urn:ietf:wg:oauth:2.0:oob";

// The consent page the user opens (access_type=offline + prompt=consent, so that Google
// returns a refresh token).
std::string consent_url(const client_secret& secret);

// Exchanges an authorization code at the token endpoint. Throws grin::fatal with the
// endpoint's error (e.g. invalid_grant: the code expired or was already used).
boost::asio::awaitable<stored_credentials>
exchange_code(net::https_pool& pool, client_secret secret, std::string code);

} // namespace grin::auth
