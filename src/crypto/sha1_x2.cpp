#include "sha1_x2.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>
#define GRIN_SHA_NI 1
#endif

namespace grin::crypto::detail {

#ifdef GRIN_SHA_NI

bool have_sha_ni() noexcept {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx))
        return false;
    bool ssse3 = (ecx & (1u << 9)) != 0;
    bool sse41 = (ecx & (1u << 19)) != 0;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx))
        return false;
    return ssse3 && sse41 && (ebx & (1u << 29)) != 0;
}

// One group of four rounds on both lanes. W[i] for i >= 4 is
// sha1msg2(sha1msg1(W[i-4], W[i-3]) ^ W[i-2], W[i-1]); E comes from the A of the state
// before the previous group (sha1nexte).
#define GRIN_SHA1_GROUP(i, f)                                                                      \
    if ((i) >= 4) {                                                                                \
        wa[(i) % 4] = _mm_sha1msg2_epu32(                                                          \
            _mm_xor_si128(_mm_sha1msg1_epu32(wa[(i) % 4], wa[((i) + 1) % 4]), wa[((i) + 2) % 4]),  \
            wa[((i) + 3) % 4]);                                                                    \
        wb[(i) % 4] = _mm_sha1msg2_epu32(                                                          \
            _mm_xor_si128(_mm_sha1msg1_epu32(wb[(i) % 4], wb[((i) + 1) % 4]), wb[((i) + 2) % 4]),  \
            wb[((i) + 3) % 4]);                                                                    \
    }                                                                                              \
    ea = _mm_sha1nexte_epu32(prev_a, wa[(i) % 4]);                                                 \
    eb = _mm_sha1nexte_epu32(prev_b, wb[(i) % 4]);                                                 \
    prev_a = abcd_a;                                                                               \
    prev_b = abcd_b;                                                                               \
    abcd_a = _mm_sha1rnds4_epu32(abcd_a, ea, f);                                                   \
    abcd_b = _mm_sha1rnds4_epu32(abcd_b, eb, f);

__attribute__((target("sha,ssse3,sse4.1"))) void sha1_compress_x2(std::uint32_t state_a[5],
                                                                  const std::uint8_t* a,
                                                                  std::uint32_t state_b[5],
                                                                  const std::uint8_t* b,
                                                                  std::size_t blocks) noexcept {
    const __m128i mask = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd_a =
        _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state_a)), 0x1B);
    __m128i abcd_b =
        _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state_b)), 0x1B);
    __m128i e_a = _mm_set_epi32(static_cast<int>(state_a[4]), 0, 0, 0);
    __m128i e_b = _mm_set_epi32(static_cast<int>(state_b[4]), 0, 0, 0);
    for (std::size_t n = 0; n < blocks; ++n, a += 64, b += 64) {
        const __m128i save_abcd_a = abcd_a, save_e_a = e_a;
        const __m128i save_abcd_b = abcd_b, save_e_b = e_b;
        __m128i wa[4], wb[4];
        for (int k = 0; k < 4; ++k) {
            wa[k] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + 16 * k)),
                                     mask);
            wb[k] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + 16 * k)),
                                     mask);
        }
        __m128i ea = _mm_add_epi32(e_a, wa[0]);
        __m128i eb = _mm_add_epi32(e_b, wb[0]);
        __m128i prev_a = abcd_a, prev_b = abcd_b;
        abcd_a = _mm_sha1rnds4_epu32(abcd_a, ea, 0);
        abcd_b = _mm_sha1rnds4_epu32(abcd_b, eb, 0);
        GRIN_SHA1_GROUP(1, 0)
        GRIN_SHA1_GROUP(2, 0)
        GRIN_SHA1_GROUP(3, 0)
        GRIN_SHA1_GROUP(4, 0)
        GRIN_SHA1_GROUP(5, 1)
        GRIN_SHA1_GROUP(6, 1)
        GRIN_SHA1_GROUP(7, 1)
        GRIN_SHA1_GROUP(8, 1)
        GRIN_SHA1_GROUP(9, 1)
        GRIN_SHA1_GROUP(10, 2)
        GRIN_SHA1_GROUP(11, 2)
        GRIN_SHA1_GROUP(12, 2)
        GRIN_SHA1_GROUP(13, 2)
        GRIN_SHA1_GROUP(14, 2)
        GRIN_SHA1_GROUP(15, 3)
        GRIN_SHA1_GROUP(16, 3)
        GRIN_SHA1_GROUP(17, 3)
        GRIN_SHA1_GROUP(18, 3)
        GRIN_SHA1_GROUP(19, 3)
        e_a = _mm_sha1nexte_epu32(prev_a, save_e_a);
        e_b = _mm_sha1nexte_epu32(prev_b, save_e_b);
        abcd_a = _mm_add_epi32(abcd_a, save_abcd_a);
        abcd_b = _mm_add_epi32(abcd_b, save_abcd_b);
    }
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state_a), _mm_shuffle_epi32(abcd_a, 0x1B));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(state_b), _mm_shuffle_epi32(abcd_b, 0x1B));
    state_a[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e_a, 3));
    state_b[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e_b, 3));
}

#undef GRIN_SHA1_GROUP

__attribute__((target("sha,ssse3,sse4.1"))) void sha1_compress_x4(std::uint32_t* state[4],
                                                                  const std::uint8_t* data[4],
                                                                  std::size_t blocks) noexcept {
    constexpr int lanes = 4;
    const __m128i mask = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd[lanes], e_in[lanes];
    for (int l = 0; l < lanes; ++l) {
        abcd[l] =
            _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state[l])), 0x1B);
        e_in[l] = _mm_set_epi32(static_cast<int>(state[l][4]), 0, 0, 0);
    }
    for (std::size_t n = 0; n < blocks; ++n) {
        __m128i save[lanes], save_e[lanes], w[lanes][4], e[lanes], prev[lanes];
        for (int l = 0; l < lanes; ++l) {
            save[l] = abcd[l];
            save_e[l] = e_in[l];
            for (int k = 0; k < 4; ++k)
                w[l][k] = _mm_shuffle_epi8(
                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(data[l] + 64 * n + 16 * k)),
                    mask);
            e[l] = _mm_add_epi32(e_in[l], w[l][0]);
            prev[l] = abcd[l];
            abcd[l] = _mm_sha1rnds4_epu32(abcd[l], e[l], 0);
        }
#define GRIN_SHA1_GROUP_INLINE(i, f)                                                               \
    for (int l = 0; l < lanes; ++l) {                                                              \
        if ((i) >= 4)                                                                              \
            w[l][(i) % 4] = _mm_sha1msg2_epu32(                                                    \
                _mm_xor_si128(_mm_sha1msg1_epu32(w[l][(i) % 4], w[l][((i) + 1) % 4]),              \
                              w[l][((i) + 2) % 4]),                                                \
                w[l][((i) + 3) % 4]);                                                              \
        e[l] = _mm_sha1nexte_epu32(prev[l], w[l][(i) % 4]);                                        \
        prev[l] = abcd[l];                                                                         \
        abcd[l] = _mm_sha1rnds4_epu32(abcd[l], e[l], f);                                           \
    }
        GRIN_SHA1_GROUP_INLINE(1, 0)
        GRIN_SHA1_GROUP_INLINE(2, 0)
        GRIN_SHA1_GROUP_INLINE(3, 0)
        GRIN_SHA1_GROUP_INLINE(4, 0)
        GRIN_SHA1_GROUP_INLINE(5, 1)
        GRIN_SHA1_GROUP_INLINE(6, 1)
        GRIN_SHA1_GROUP_INLINE(7, 1)
        GRIN_SHA1_GROUP_INLINE(8, 1)
        GRIN_SHA1_GROUP_INLINE(9, 1)
        GRIN_SHA1_GROUP_INLINE(10, 2)
        GRIN_SHA1_GROUP_INLINE(11, 2)
        GRIN_SHA1_GROUP_INLINE(12, 2)
        GRIN_SHA1_GROUP_INLINE(13, 2)
        GRIN_SHA1_GROUP_INLINE(14, 2)
        GRIN_SHA1_GROUP_INLINE(15, 3)
        GRIN_SHA1_GROUP_INLINE(16, 3)
        GRIN_SHA1_GROUP_INLINE(17, 3)
        GRIN_SHA1_GROUP_INLINE(18, 3)
        GRIN_SHA1_GROUP_INLINE(19, 3)
#undef GRIN_SHA1_GROUP_INLINE
        for (int l = 0; l < lanes; ++l) {
            e_in[l] = _mm_sha1nexte_epu32(prev[l], save_e[l]);
            abcd[l] = _mm_add_epi32(abcd[l], save[l]);
        }
    }
    for (int l = 0; l < lanes; ++l) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(state[l]), _mm_shuffle_epi32(abcd[l], 0x1B));
        state[l][4] = static_cast<std::uint32_t>(_mm_extract_epi32(e_in[l], 3));
    }
}

#else

bool have_sha_ni() noexcept {
    return false;
}
void sha1_compress_x2(std::uint32_t*,
                      const std::uint8_t*,
                      std::uint32_t*,
                      const std::uint8_t*,
                      std::size_t) noexcept {}
void sha1_compress_x4(std::uint32_t**, const std::uint8_t**, std::size_t) noexcept {}

#endif

} // namespace grin::crypto::detail
