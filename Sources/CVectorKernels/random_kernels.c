// random_kernels.c — WiggleCore's counter-based generator (ParticleRandom:
// wyrand's mix of a Weyl sequence started at key ^ particle·c) over four or
// eight lanes at once, for the draws that need one uniform per lane. x86-64
// has no vector 64×64→128-bit multiply: its high half is put together from
// four 32×32→64-bit products, exactly, so every lane gets the bits the
// Swift loop gives it. A uniform u = (r >> 11)·2⁻⁵³ is below q exactly when
// the integer r >> 11 is below ⌈q·2⁵³⌉ (both sides scaled by a power of
// two), so the comparison needs no conversion to double. Each function
// carries its instruction set as a target attribute (no build flags) and
// runs only after the processor is checked.
#include "random_kernels.h"
#include <math.h>

#define WEYL_STEP 0xA0761D6478BD642FULL
#define PARTICLE_SPREAD 0xD6E8FEB86659FD93ULL
#define MIX 0xE7037ED1A0B428DBULL

static inline uint64_t scalar_word(uint64_t key, uint64_t particle) {
    uint64_t counter = (key ^ (particle * PARTICLE_SPREAD)) + WEYL_STEP;
    __uint128_t product = (__uint128_t)counter * (counter ^ MIX);
    return (uint64_t)(product >> 64) ^ (uint64_t)product;
}

/// A lane's outcome: its uniform below its own p (each), or below the shared threshold.
static inline int scalar_hit(uint64_t key, uint64_t particle, uint64_t threshold, const double *each) {
    uint64_t bits = scalar_word(key, particle) >> 11;
    return each ? (double)bits * 0x1p-53 < *each : bits < threshold;
}

/// A lane's uniform in (0, 1): the 53 bits as a double (exact), plus a half
/// (rounded as the Swift loop's addition is), times 2⁻⁵³ (exact).
static inline double scalar_uniform_open(uint64_t key, uint64_t particle) {
    return ((double)(scalar_word(key, particle) >> 11) + 0.5) * 0x1p-53;
}

/// What a lane's word becomes: its outcome below a shared threshold or
/// its own p (a Bernoulli), or its uniform in (0, 1).
enum lane_result { BELOW_SHARED, BELOW_EACH, UNIFORM_OPEN };

static inline double scalar_lane(enum lane_result kind, uint64_t key, uint64_t particle, uint64_t threshold, const double *each) {
    if (kind == UNIFORM_OPEN) return scalar_uniform_open(key, particle);
    return scalar_hit(key, particle, threshold, kind == BELOW_EACH ? each : 0) ? 1.0 : 0.0;
}

static inline uint64_t particle_of(uint64_t first, const int32_t *positions, long l) {
    return first + (positions ? (uint64_t)(uint32_t)positions[l] : (uint64_t)l);
}

#if defined(__x86_64__)
#include <immintrin.h>

static int cap = -1;

int wiggle_rk_level(void) {
    static int known = -1;
    int level = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (level < 0) {
        __builtin_cpu_init();
        level = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") ? 2
              : __builtin_cpu_supports("avx2") ? 1 : 0;
        __atomic_store_n(&known, level, __ATOMIC_RELAXED);
    }
    int limit = __atomic_load_n(&cap, __ATOMIC_RELAXED);
    return limit >= 0 && limit < level ? limit : level;
}

void wiggle_rk_set_cap(int value) { __atomic_store_n(&cap, value, __ATOMIC_RELAXED); }

// Lanes' words, eight at a time: r = high ^ low of c·(c ^ MIX), c = (key ^ particle·SPREAD) + STEP.
__attribute__((target("avx512f,avx512dq")))
static inline __m512i words512(__m512i particle, __m512i key) {
    const __m512i spread = _mm512_set1_epi64((long long)PARTICLE_SPREAD), step = _mm512_set1_epi64((long long)WEYL_STEP);
    const __m512i mix = _mm512_set1_epi64((long long)MIX), low32 = _mm512_set1_epi64(0xFFFFFFFFLL);
    __m512i c = _mm512_add_epi64(_mm512_xor_si512(key, _mm512_mullo_epi64(particle, spread)), step);
    __m512i b = _mm512_xor_si512(c, mix);
    __m512i ch = _mm512_srli_epi64(c, 32), bh = _mm512_srli_epi64(b, 32);
    __m512i ll = _mm512_mul_epu32(c, b), lh = _mm512_mul_epu32(c, bh);
    __m512i hl = _mm512_mul_epu32(ch, b), hh = _mm512_mul_epu32(ch, bh);
    __m512i middle = _mm512_add_epi64(_mm512_add_epi64(_mm512_srli_epi64(ll, 32), _mm512_and_si512(lh, low32)),
                                      _mm512_and_si512(hl, low32));
    __m512i high = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(lh, 32)),
                                    _mm512_add_epi64(_mm512_srli_epi64(hl, 32), _mm512_srli_epi64(middle, 32)));
    __m512i low = _mm512_or_si512(_mm512_slli_epi64(middle, 32), _mm512_and_si512(ll, low32));
    return _mm512_xor_si512(high, low);
}

// The same, four at a time (AVX2 has no 64-bit multiply: particle·SPREAD from three 32-bit products).
__attribute__((target("avx2")))
static inline __m256i words256(__m256i particle, __m256i key) {
    const __m256i spreadLow = _mm256_set1_epi64x((long long)(PARTICLE_SPREAD & 0xFFFFFFFFULL));
    const __m256i spreadHigh = _mm256_set1_epi64x((long long)(PARTICLE_SPREAD >> 32));
    const __m256i step = _mm256_set1_epi64x((long long)WEYL_STEP), mix = _mm256_set1_epi64x((long long)MIX);
    const __m256i low32 = _mm256_set1_epi64x(0xFFFFFFFFLL);
    __m256i cross = _mm256_add_epi64(_mm256_mul_epu32(particle, spreadHigh),
                                     _mm256_mul_epu32(_mm256_srli_epi64(particle, 32), spreadLow));
    __m256i spread = _mm256_add_epi64(_mm256_mul_epu32(particle, spreadLow), _mm256_slli_epi64(cross, 32));
    __m256i c = _mm256_add_epi64(_mm256_xor_si256(key, spread), step);
    __m256i b = _mm256_xor_si256(c, mix);
    __m256i ch = _mm256_srli_epi64(c, 32), bh = _mm256_srli_epi64(b, 32);
    __m256i ll = _mm256_mul_epu32(c, b), lh = _mm256_mul_epu32(c, bh);
    __m256i hl = _mm256_mul_epu32(ch, b), hh = _mm256_mul_epu32(ch, bh);
    __m256i middle = _mm256_add_epi64(_mm256_add_epi64(_mm256_srli_epi64(ll, 32), _mm256_and_si256(lh, low32)),
                                      _mm256_and_si256(hl, low32));
    __m256i high = _mm256_add_epi64(_mm256_add_epi64(hh, _mm256_srli_epi64(lh, 32)),
                                    _mm256_add_epi64(_mm256_srli_epi64(hl, 32), _mm256_srli_epi64(middle, 32)));
    __m256i low = _mm256_or_si256(_mm256_slli_epi64(middle, 32), _mm256_and_si256(ll, low32));
    return _mm256_xor_si256(high, low);
}

// A 53-bit whole number as a double, exactly: two halves below 2^52, each
// through the 2^52 bias, recombined (the sum is exact: the halves' bits do not overlap).
__attribute__((target("avx2")))
static inline __m256d exact53(__m256i x) {
    const __m256i bias = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d biasValue = _mm256_set1_pd(0x1p52);
    __m256d high = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(x, 26), bias)), biasValue);
    __m256d low = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(x, _mm256_set1_epi64x((1LL << 26) - 1)), bias)), biasValue);
    return _mm256_add_pd(_mm256_mul_pd(high, _mm256_set1_pd(0x1p26)), low);
}

__attribute__((target("avx512f,avx512dq")))
static void lanes512(enum lane_result kind, uint64_t key, uint64_t first, const int32_t *positions, long n,
                     uint64_t threshold, const double *each, double *out) {
    const __m512i k = _mm512_set1_epi64((long long)key), start = _mm512_set1_epi64((long long)first);
    const __m512i below = _mm512_set1_epi64((long long)threshold), eight = _mm512_set1_epi64(8);
    const __m512d one = _mm512_set1_pd(1.0), half = _mm512_set1_pd(0.5), scale = _mm512_set1_pd(0x1p-53);
    __m512i lane = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    long l = 0;
    for (; l + 8 <= n; l += 8) {
        __m512i offset = positions ? _mm512_cvtepu32_epi64(_mm256_loadu_si256((const __m256i *)(positions + l))) : lane;
        lane = _mm512_add_epi64(lane, eight);
        __m512i bits = _mm512_srli_epi64(words512(_mm512_add_epi64(start, offset), k), 11);
        if (kind == UNIFORM_OPEN) {
            _mm512_storeu_pd(out + l, _mm512_mul_pd(_mm512_add_pd(_mm512_cvtepu64_pd(bits), half), scale));
            continue;
        }
        __mmask8 hit = kind == BELOW_EACH
            ? _mm512_cmp_pd_mask(_mm512_mul_pd(_mm512_cvtepu64_pd(bits), scale), _mm512_loadu_pd(each + l), _CMP_LT_OQ)
            : _mm512_cmplt_epu64_mask(bits, below);
        _mm512_storeu_pd(out + l, _mm512_maskz_mov_pd(hit, one));
    }
    for (; l < n; l++) out[l] = scalar_lane(kind, key, particle_of(first, positions, l), threshold, each ? each + l : 0);
}

__attribute__((target("avx2")))
static void lanes256(enum lane_result kind, uint64_t key, uint64_t first, const int32_t *positions, long n,
                     uint64_t threshold, const double *each, double *out) {
    const __m256i k = _mm256_set1_epi64x((long long)key), start = _mm256_set1_epi64x((long long)first);
    // Below 2^53 (and the threshold at most 2^53): a signed comparison is an unsigned one.
    const __m256i below = _mm256_set1_epi64x((long long)threshold), four = _mm256_set1_epi64x(4);
    const __m256d one = _mm256_set1_pd(1.0), half = _mm256_set1_pd(0.5), scale = _mm256_set1_pd(0x1p-53);
    __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    long l = 0;
    for (; l + 4 <= n; l += 4) {
        __m256i offset = positions ? _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)(positions + l))) : lane;
        lane = _mm256_add_epi64(lane, four);
        __m256i bits = _mm256_srli_epi64(words256(_mm256_add_epi64(start, offset), k), 11);
        if (kind == UNIFORM_OPEN) {
            _mm256_storeu_pd(out + l, _mm256_mul_pd(_mm256_add_pd(exact53(bits), half), scale));
            continue;
        }
        __m256d hit = kind == BELOW_EACH ? _mm256_cmp_pd(_mm256_mul_pd(exact53(bits), scale), _mm256_loadu_pd(each + l), _CMP_LT_OQ)
                                         : _mm256_castsi256_pd(_mm256_cmpgt_epi64(below, bits));
        _mm256_storeu_pd(out + l, _mm256_and_pd(hit, one));
    }
    for (; l < n; l++) out[l] = scalar_lane(kind, key, particle_of(first, positions, l), threshold, each ? each + l : 0);
}

/// Runs `kind` over the lanes on the widest path here; 0 when there is none.
static int lanes(enum lane_result kind, uint64_t key, uint64_t first, const int32_t *positions, long n,
                 uint64_t threshold, const double *each, double *out) {
    int level = wiggle_rk_level();
    if (level == 2) lanes512(kind, key, first, positions, n, threshold, each, out);
    else if (level == 1) lanes256(kind, key, first, positions, n, threshold, each, out);
    return level > 0;
}

int wiggle_rk_uniform_open(uint64_t key, uint64_t first, const int32_t *positions, long n, double *out) {
    return lanes(UNIFORM_OPEN, key, first, positions, n, 0, 0, out);
}

int wiggle_rk_bernoulli(uint64_t key, uint64_t first, const int32_t *positions, long n, double q, double *out) {
    if (!(q >= 0 && q <= 1)) return 0;
    // u < q exactly when r >> 11 < ⌈q·2⁵³⌉ (at most 2⁵³).
    return lanes(BELOW_SHARED, key, first, positions, n, (uint64_t)ceil(q * 0x1p53), 0, out);
}

int wiggle_rk_bernoulli_each(uint64_t key, uint64_t first, const int32_t *positions, long n, const double *p, double *out) {
    return lanes(BELOW_EACH, key, first, positions, n, 0, p, out);
}

#else
int wiggle_rk_level(void) { return 0; }
void wiggle_rk_set_cap(int value) { (void)value; }
int wiggle_rk_bernoulli(uint64_t key, uint64_t first, const int32_t *positions, long n, double q, double *out) {
    (void)key; (void)first; (void)positions; (void)n; (void)q; (void)out;
    return 0;
}
int wiggle_rk_bernoulli_each(uint64_t key, uint64_t first, const int32_t *positions, long n, const double *p, double *out) {
    (void)key; (void)first; (void)positions; (void)n; (void)p; (void)out;
    return 0;
}
int wiggle_rk_uniform_open(uint64_t key, uint64_t first, const int32_t *positions, long n, double *out) {
    (void)key; (void)first; (void)positions; (void)n; (void)out;
    return 0;
}
#endif
