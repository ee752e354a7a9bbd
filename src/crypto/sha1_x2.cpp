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

__attribute__((target("sha,ssse3,sse4.1"))) void sha1_schedule_block(const std::uint8_t* block,
                                                                     sha1_schedule& out) noexcept {
    const __m128i mask = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    auto* vectors = reinterpret_cast<__m128i*>(out.w);
    __m128i w[4];
    for (int k = 0; k < 4; ++k) {
        w[k] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * k)),
                                mask);
        _mm_store_si128(vectors + k, w[k]);
    }
    for (int i = 4; i < 20; ++i) {
        w[i % 4] = _mm_sha1msg2_epu32(
            _mm_xor_si128(_mm_sha1msg1_epu32(w[i % 4], w[(i + 1) % 4]), w[(i + 2) % 4]),
            w[(i + 3) % 4]);
        _mm_store_si128(vectors + i, w[i % 4]);
    }
}

// Four rounds on each chain; W comes from the chains' schedules (s0..s3).
#define GRIN_SHA1_GROUP4(i, f)                                                                     \
    e0 = _mm_sha1nexte_epu32(p0, s0[i]);                                                           \
    e1 = _mm_sha1nexte_epu32(p1, s1[i]);                                                           \
    e2 = _mm_sha1nexte_epu32(p2, s2[i]);                                                           \
    e3 = _mm_sha1nexte_epu32(p3, s3[i]);                                                           \
    p0 = a0;                                                                                       \
    p1 = a1;                                                                                       \
    p2 = a2;                                                                                       \
    p3 = a3;                                                                                       \
    a0 = _mm_sha1rnds4_epu32(a0, e0, f);                                                           \
    a1 = _mm_sha1rnds4_epu32(a1, e1, f);                                                           \
    a2 = _mm_sha1rnds4_epu32(a2, e2, f);                                                           \
    a3 = _mm_sha1rnds4_epu32(a3, e3, f);

namespace {

__m128i load(const sha1_chain& chain) noexcept {
    return _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(chain.state)), 0x1B);
}

__m128i load_e(const sha1_chain& chain) noexcept {
    return _mm_set_epi32(static_cast<int>(chain.state[4]), 0, 0, 0);
}

__attribute__((target("sse4.1"))) void
store_chain(sha1_chain& chain, __m128i abcd, __m128i e, std::size_t blocks_run) noexcept {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(chain.state), _mm_shuffle_epi32(abcd, 0x1B));
    chain.state[4] = static_cast<std::uint32_t>(_mm_extract_epi32(e, 3));
    chain.next = (chain.next + blocks_run) % chain.size;
}

} // namespace

__attribute__((target("sha,ssse3,sse4.1"))) void sha1_rounds_x4(sha1_chain chains[4],
                                                                std::size_t blocks) noexcept {
    __m128i a0 = load(chains[0]), a1 = load(chains[1]), a2 = load(chains[2]), a3 = load(chains[3]);
    __m128i x0 = load_e(chains[0]), x1 = load_e(chains[1]), x2 = load_e(chains[2]),
            x3 = load_e(chains[3]);
    std::size_t n0 = chains[0].next % chains[0].size, n1 = chains[1].next % chains[1].size,
                n2 = chains[2].next % chains[2].size, n3 = chains[3].next % chains[3].size;
    for (std::size_t n = 0; n < blocks; ++n) {
        const auto* s0 = reinterpret_cast<const __m128i*>(chains[0].list[n0].w);
        const auto* s1 = reinterpret_cast<const __m128i*>(chains[1].list[n1].w);
        const auto* s2 = reinterpret_cast<const __m128i*>(chains[2].list[n2].w);
        const auto* s3 = reinterpret_cast<const __m128i*>(chains[3].list[n3].w);
        n0 = n0 + 1 == chains[0].size ? 0 : n0 + 1;
        n1 = n1 + 1 == chains[1].size ? 0 : n1 + 1;
        n2 = n2 + 1 == chains[2].size ? 0 : n2 + 1;
        n3 = n3 + 1 == chains[3].size ? 0 : n3 + 1;
        const __m128i save0 = a0, save1 = a1, save2 = a2, save3 = a3;
        const __m128i save_x0 = x0, save_x1 = x1, save_x2 = x2, save_x3 = x3;
        __m128i e0 = _mm_add_epi32(x0, s0[0]), e1 = _mm_add_epi32(x1, s1[0]),
                e2 = _mm_add_epi32(x2, s2[0]), e3 = _mm_add_epi32(x3, s3[0]);
        __m128i p0 = a0, p1 = a1, p2 = a2, p3 = a3;
        a0 = _mm_sha1rnds4_epu32(a0, e0, 0);
        a1 = _mm_sha1rnds4_epu32(a1, e1, 0);
        a2 = _mm_sha1rnds4_epu32(a2, e2, 0);
        a3 = _mm_sha1rnds4_epu32(a3, e3, 0);
        GRIN_SHA1_GROUP4(1, 0)
        GRIN_SHA1_GROUP4(2, 0)
        GRIN_SHA1_GROUP4(3, 0)
        GRIN_SHA1_GROUP4(4, 0)
        GRIN_SHA1_GROUP4(5, 1)
        GRIN_SHA1_GROUP4(6, 1)
        GRIN_SHA1_GROUP4(7, 1)
        GRIN_SHA1_GROUP4(8, 1)
        GRIN_SHA1_GROUP4(9, 1)
        GRIN_SHA1_GROUP4(10, 2)
        GRIN_SHA1_GROUP4(11, 2)
        GRIN_SHA1_GROUP4(12, 2)
        GRIN_SHA1_GROUP4(13, 2)
        GRIN_SHA1_GROUP4(14, 2)
        GRIN_SHA1_GROUP4(15, 3)
        GRIN_SHA1_GROUP4(16, 3)
        GRIN_SHA1_GROUP4(17, 3)
        GRIN_SHA1_GROUP4(18, 3)
        GRIN_SHA1_GROUP4(19, 3)
        x0 = _mm_sha1nexte_epu32(p0, save_x0);
        x1 = _mm_sha1nexte_epu32(p1, save_x1);
        x2 = _mm_sha1nexte_epu32(p2, save_x2);
        x3 = _mm_sha1nexte_epu32(p3, save_x3);
        a0 = _mm_add_epi32(a0, save0);
        a1 = _mm_add_epi32(a1, save1);
        a2 = _mm_add_epi32(a2, save2);
        a3 = _mm_add_epi32(a3, save3);
    }
    store_chain(chains[0], a0, x0, blocks);
    store_chain(chains[1], a1, x1, blocks);
    store_chain(chains[2], a2, x2, blocks);
    store_chain(chains[3], a3, x3, blocks);
}

#undef GRIN_SHA1_GROUP4

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
void sha1_schedule_block(const std::uint8_t*, sha1_schedule&) noexcept {}
void sha1_rounds_x4(sha1_chain*, std::size_t) noexcept {}
void sha1_compress_x4(std::uint32_t**, const std::uint8_t**, std::size_t) noexcept {}

#endif

} // namespace grin::crypto::detail
