#pragma once
// Self-signed certificates for loopback servers (the GRIN emulator, test servers).
// The certificate doubles as its own CA, so a client trusts it with --ca-file.
#include <filesystem>
#include <string>
#include <vector>

namespace grin::net {

struct certificate_files {
    std::filesystem::path certificate; // PEM
    std::filesystem::path private_key; // PEM, mode 0600
};

// Returns dir/cert.pem and dir/key.pem, creating both (EC P-256, 10 years) when either is
// missing. `names` become subjectAltNames: IP addresses as IP SANs, the rest as DNS SANs.
// Throws grin::error naming the directory on failure.
certificate_files ensure_self_signed_certificate(const std::filesystem::path& dir,
                                                 const std::vector<std::string>& names = {
                                                     "127.0.0.1", "::1", "localhost"});

} // namespace grin::net
