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

// One 64-byte block's message schedule: the 20 four-round word vectors SHA-NI's round
// instruction takes (byte-swapped and expanded), in __m128i layout.
struct sha1_schedule {
    alignas(16) std::uint32_t w[20][4];
};

// Fills `out` from `block` (64 bytes). Requires have_sha_ni().
void sha1_schedule_block(const std::uint8_t* block, sha1_schedule& out) noexcept;

// One chain of the four-lane function: its state and a cyclic list of block schedules;
// block n of a run is list[(next + n) % size]; `next` is advanced past the run.
struct sha1_chain {
    std::uint32_t* state; // h0..h4
    const sha1_schedule* list;
    std::size_t size;
    std::size_t next;
};

// Runs `blocks` 64-byte blocks of data[i] into state[i], four chains at once, expanding
// the message schedule as it goes: for inputs with many distinct blocks, whose schedules
// would not stay in the L1 cache (measured: 52 ms for four 65 MB chains, against 57 ms
// with 41 distinct blocks per chain precomputed and 80 ms for two single runs).
// Requires have_sha_ni().
void sha1_compress_x4(std::uint32_t* state[4],
                      const std::uint8_t* data[4],
                      std::size_t blocks) noexcept;

// Runs `blocks` blocks on each of four independent chains at once. Why four: the round
// instruction's latency, not its throughput, bounds one chain, so four chains take about
// as long as two (measured on this AMD EPYC: 34 ms for four chains of 65 MB against 38 ms
// for two), which halves the S2K CPU per key when two keys are derived together.
// The schedules are precomputed because the inputs are periodic (a few distinct blocks per
// chain) and four chains' message expansion would not fit the 16 XMM registers.
// Requires have_sha_ni().
void sha1_rounds_x4(sha1_chain chains[4], std::size_t blocks) noexcept;

} // namespace grin::crypto::detail
