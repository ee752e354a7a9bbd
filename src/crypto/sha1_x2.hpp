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

// Runs `blocks` 64-byte blocks of data[i] into state[i], four independent chains at once.
// Why: the round instruction's latency, not its throughput, bounds a chain, so four
// chains (two S2Ks) take 54 ms where one S2K's two take 39.5 ms (65 MB per chain, this AMD
// EPYC): two keys derived together cost 32% less CPU. Precomputing the message schedules
// (the inputs are periodic) was measured too: no faster (56 ms), so the schedule is
// expanded as it goes. Requires have_sha_ni().
void sha1_compress_x4(std::uint32_t* state[4],
                      const std::uint8_t* data[4],
                      std::size_t blocks) noexcept;

} // namespace grin::crypto::detail
