#pragma once
// Deterministic hashing for the emulator's generated data: the same seed always yields
// the same catalogue, archive bytes and tokens. Not for security.
#include <cstdint>
#include <string_view>

namespace grin::emulator::detail {

// SplitMix64's finaliser: spreads consecutive inputs over the whole 64-bit range.
inline std::uint64_t splitmix64(std::uint64_t x) noexcept {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// FNV-1a over bytes: a stable hash of names (library, barcode) to seed generators.
inline std::uint64_t fnv1a64(std::string_view text) noexcept {
    std::uint64_t h = 0xCBF29CE484222325ULL;
    for (unsigned char c : text)
        h = (h ^ c) * 0x100000001B3ULL;
    return h;
}

} // namespace grin::emulator::detail
