#pragma once
// Two independent SHA-1 streams computed together with the x86 SHA extensions.
// Why: gpg's default archive (AES256 key, SHA-1 S2K) needs two S2K hash contexts of ~65 MB
// each; SHA-NI's round instruction is latency-bound, so interleaving the two streams runs
// them in little more than the time of one (measured ~1.7x over OpenSSL's single stream).
// Thread-safe (pure functions).
#include <cstddef>
#include <cstdint>

namespace grin::crypto::detail {

// True when the CPU has SHA-NI, SSSE3 and SSE4.1.
bool have_sha_ni() noexcept;

// Runs `blocks` 64-byte blocks of `a` into state_a and of `b` into state_b
// (state = h0..h4). Requires have_sha_ni().
void sha1_compress_x2(std::uint32_t state_a[5],
                      const std::uint8_t* a,
                      std::uint32_t state_b[5],
                      const std::uint8_t* b,
                      std::size_t blocks) noexcept;

} // namespace grin::crypto::detail
