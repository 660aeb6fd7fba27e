// vector_kernels.c — AVX2 vector functions over arrays: SLEEF's exp, log,
// sin and cos, and our own tanh, sigmoid and softplus. Every function here
// carries AVX2 and FMA as a target attribute (the pragma below), so the
// package needs no build flags; CVectorMath calls these only after checking
// that the processor has them.
#include "vector_kernels.h"

// WIGGLE_HAS_SLEEF comes from Package.swift's VectorMath trait (on by
// default, on Linux); the library is linked then, so its header must be there.
#if defined(WIGGLE_HAS_SLEEF) && !__has_include(<sleef.h>)
#error "SLEEF's headers (sleef.h) are missing: install libsleef-dev (Debian/Ubuntu: sudo apt-get install libsleef-dev) or run scripts/setup, or build without the vector math: swift build --disable-default-traits --traits Readline,Kernel"
#endif
#if defined(WIGGLE_HAS_SLEEF) && defined(__x86_64__)
#include <immintrin.h>
#include <math.h>
#include <string.h>
// sleef.h declares its AVX2 functions only when the whole file is compiled
// with -mavx2; we declare the four we call ourselves, under the attribute.
#include <sleef.h>

// Called before the processor is checked: no AVX2 attribute.
int wiggle_vk_built(void) { return 1; }

#pragma clang attribute push (__attribute__((target("avx2,fma"))), apply_to = function)

__m256d Sleef_expd4_u10avx2(__m256d);
__m256d Sleef_logd4_u10avx2(__m256d);
__m256d Sleef_sind4_u10avx2(__m256d);
__m256d Sleef_cosd4_u10avx2(__m256d);

// Eight lanes at a time as two independent vectors (the functions are long
// dependency chains; two in flight keep the pipes busy), then four; the last
// 1–3 go through the same vector function from a padded copy, so every
// element gets the same bits wherever it is.
#define VECTOR_LOOP(name, body)                                                  \
    void name(const double *x, double *y, long n) {                              \
        long i = 0;                                                              \
        for (; i + 8 <= n; i += 8) {                                             \
            __m256d v = _mm256_loadu_pd(x + i);                                  \
            __m256d first = body;                                                \
            v = _mm256_loadu_pd(x + i + 4);                                      \
            __m256d second = body;                                               \
            _mm256_storeu_pd(y + i, first);                                      \
            _mm256_storeu_pd(y + i + 4, second);                                 \
        }                                                                        \
        for (; i + 4 <= n; i += 4) {                                             \
            __m256d v = _mm256_loadu_pd(x + i);                                  \
            _mm256_storeu_pd(y + i, body);                                       \
        }                                                                        \
        if (i < n) {                                                             \
            double in[4] = {0, 0, 0, 0}, out[4];                                 \
            memcpy(in, x + i, (size_t)(n - i) * sizeof(double));                 \
            __m256d v = _mm256_loadu_pd(in);                                     \
            _mm256_storeu_pd(out, body);                                         \
            memcpy(y + i, out, (size_t)(n - i) * sizeof(double));               \
        }                                                                        \
    }

// tanh, sigmoid and softplus are our own: SLEEF's are accurate to 1 ulp by
// double-double arithmetic, which the 2-ulp budget does not need,
// and they were a third of the recurrence benchmark's time. Polynomial
// coefficients are Chebyshev fits computed with mpmath at 60 digits
// (scripts/vector-coefficients.py); accuracy is tested against Float80 in
// VectorMathTests.

// Σ c[i] xⁱ (ascending coefficients) by Estrin's scheme: a dependency chain
// of log₂ n steps instead of Horner's n.
static inline __m256d poly(const double *c, int n, __m256d x) {
    __m256d p[8];
    int m = 0;
    for (int i = 0; i < n; i += 2, m++)
        p[m] = i + 1 < n ? _mm256_fmadd_pd(_mm256_set1_pd(c[i + 1]), x, _mm256_set1_pd(c[i])) : _mm256_set1_pd(c[i]);
    __m256d power = _mm256_mul_pd(x, x);
    while (m > 1) {
        int j = 0;
        for (int i = 0; i < m; i += 2, j++) p[j] = i + 1 < m ? _mm256_fmadd_pd(p[i + 1], power, p[i]) : p[i];
        m = j;
        power = _mm256_mul_pd(power, power);
    }
    return p[0];
}

static inline __m256d absolute(__m256d v) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), v); }

// A nan in gives a nan out (quiet, with its payload).
static inline __m256d keep_nan(__m256d result, __m256d v) {
    return _mm256_blendv_pd(result, _mm256_add_pd(v, v), _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
}

// eʸ for y in [−746, 709]: k = round(y/ln 2), r = y − k·ln 2 in two parts
// (|r| ≤ ln 2 / 2), eʳ = 1 + r + r²·q(r), times 2ᵏ in two halves so that a
// subnormal result is rounded once. ≤ 0.6 ulp.
static inline __m256d exp_core(__m256d y) {
    static const double q[11] = {
        0.5, 0.1666666666666667098646, 0.04166666666666666975162, 0.008333333333326140717889,
        0.001388888888888375229801, 0.0001984126987480107276359, 0.00002480158732553377856218,
        0.000002755725542500961285373, 2.755727366082246568147e-7, 2.510520668068106021336e-8,
        2.09146795956177351131e-9};
    __m256d k = _mm256_round_pd(_mm256_mul_pd(y, _mm256_set1_pd(0x1.71547652b82fep0)),
                                _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256d r = _mm256_fnmadd_pd(k, _mm256_set1_pd(0x1.62e42fefa3800p-1), y);
    r = _mm256_fnmadd_pd(k, _mm256_set1_pd(0x1.ef35793c76730p-45), r);
    __m256d e = _mm256_add_pd(_mm256_set1_pd(1.0), _mm256_fmadd_pd(poly(q, 11, r), _mm256_mul_pd(r, r), r));
    __m128i ki = _mm256_cvtpd_epi32(k);
    __m128i k1 = _mm_srai_epi32(ki, 1), k2 = _mm_sub_epi32(ki, k1);
    __m256i bias = _mm256_set1_epi64x(1023);
    __m256d s1 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k1), bias), 52));
    __m256d s2 = _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(_mm256_cvtepi32_epi64(k2), bias), 52));
    return _mm256_mul_pd(_mm256_mul_pd(e, s1), s2);
}

// e^−|x| (0 below −746).
static inline __m256d exp_minus_abs(__m256d v) {
    return exp_core(_mm256_max_pd(_mm256_or_pd(v, _mm256_set1_pd(-0.0)), _mm256_set1_pd(-746.0)));
}

// |x| < 0.625: tanh a = a + a·z·q(z), z = a²; beyond, 1 − 2/(e^2a + 1)
// (2a capped at 80, where tanh is 1). The sign is put back last. ≤ 1.3 ulp.
static inline __m256d tanh4(__m256d v) {
    static const double q[12] = {
        -0.3333333333333333293787, 0.1333333333333304160218, -0.0539682539678969916896,
        0.02186948851900830575582, -0.008863235103240877924965, 0.003592121751154962269488,
        -0.001455775412047805510356, 0.000589660657775704334703, -0.0002375906496055561955087,
        0.00009257116129556768270676, -0.00003120110142579740003256, 0.000006485163482793113149967};
    __m256d a = absolute(v), one = _mm256_set1_pd(1.0);
    __m256d z = _mm256_mul_pd(a, a);
    __m256d small = _mm256_fmadd_pd(_mm256_mul_pd(a, z), poly(q, 12, z), a);
    __m256d e = exp_core(_mm256_min_pd(_mm256_add_pd(a, a), _mm256_set1_pd(80.0)));
    __m256d large = _mm256_sub_pd(one, _mm256_div_pd(_mm256_set1_pd(2.0), _mm256_add_pd(e, one)));
    __m256d t = _mm256_blendv_pd(large, small, _mm256_cmp_pd(a, _mm256_set1_pd(0.625), _CMP_LT_OQ));
    return keep_nan(_mm256_or_pd(t, _mm256_and_pd(v, _mm256_set1_pd(-0.0))), v);
}

// e = e^−|x|; x ≥ 0: 1/(1 + e), else e/(1 + e), with the roundings of 1 + e
// and of the quotient corrected once. ≤ 1.5 ulp.
static inline __m256d sigmoid4(__m256d v) {
    __m256d e = exp_minus_abs(v), one = _mm256_set1_pd(1.0);
    __m256d num = _mm256_blendv_pd(e, one, _mm256_cmp_pd(v, _mm256_setzero_pd(), _CMP_GE_OQ));
    __m256d d = _mm256_add_pd(one, e);
    __m256d dlo = _mm256_add_pd(_mm256_sub_pd(one, d), e);
    __m256d inverse = _mm256_div_pd(one, d);
    __m256d quotient = _mm256_mul_pd(num, inverse);
    __m256d residual = _mm256_sub_pd(_mm256_fnmadd_pd(quotient, d, num), _mm256_mul_pd(quotient, dlo));
    return keep_nan(_mm256_fmadd_pd(residual, inverse, quotient), v);
}

// log(1 + e) for e in [0, 1] as 2·atanh(s), s = e/(2 + e) carried as s + ds
// (the roundings of 2 + e and of the quotient recovered), 2·atanh(s) =
// 2s + 2s·w·q(w), w = s² ≤ 1/9.
static inline __m256d log1p_unit(__m256d e) {
    static const double q[11] = {
        0.33333333333333333443, 0.1999999999999976125267, 0.142857142858000496461,
        0.111111110991183852785, 0.09090909948981357191284, 0.07692271982430274643445,
        0.06667589315724627918293, 0.0586713953065159873001, 0.05422589197440007411025,
        0.03746071897775383650416, 0.07815288900461425223126};
    __m256d two = _mm256_set1_pd(2.0);
    __m256d d = _mm256_add_pd(two, e);
    __m256d dlo = _mm256_add_pd(_mm256_sub_pd(two, d), e);
    __m256d inverse = _mm256_div_pd(_mm256_set1_pd(1.0), d);
    __m256d s = _mm256_mul_pd(e, inverse);
    __m256d ds = _mm256_mul_pd(_mm256_sub_pd(_mm256_fnmadd_pd(s, d, e), _mm256_mul_pd(s, dlo)), inverse);
    __m256d w = _mm256_mul_pd(s, s), s2 = _mm256_add_pd(s, s);
    return _mm256_add_pd(s2, _mm256_fmadd_pd(_mm256_mul_pd(s2, w), poly(q, 11, w), _mm256_add_pd(ds, ds)));
}

// max(x, 0) + log1p(e^−|x|). ≤ 1.5 ulp.
static inline __m256d softplus4(__m256d v) {
    __m256d tail = log1p_unit(exp_minus_abs(v));
    return keep_nan(_mm256_add_pd(_mm256_max_pd(v, _mm256_setzero_pd()), tail), v);
}

static inline __m256d exp4(__m256d v) {
    // SLEEF overflows a hair early (709.782712893384 gives inf, not the
    // largest double): lanes past 709 take the C library's exp.
    __m256d y = Sleef_expd4_u10avx2(v);
    __m256d high = _mm256_cmp_pd(v, _mm256_set1_pd(709.0), _CMP_GT_OQ);
    if (_mm256_movemask_pd(high)) {
        double in[4], out[4];
        _mm256_storeu_pd(in, v);
        _mm256_storeu_pd(out, y);
        for (int k = 0; k < 4; k++) if (in[k] > 709.0) out[k] = exp(in[k]);
        y = _mm256_loadu_pd(out);
    }
    return y;
}

VECTOR_LOOP(wiggle_vk_exp, exp4(v))
VECTOR_LOOP(wiggle_vk_log, Sleef_logd4_u10avx2(v))
VECTOR_LOOP(wiggle_vk_tanh, tanh4(v))
VECTOR_LOOP(wiggle_vk_sin, Sleef_sind4_u10avx2(v))
VECTOR_LOOP(wiggle_vk_cos, Sleef_cosd4_u10avx2(v))
VECTOR_LOOP(wiggle_vk_sigmoid, sigmoid4(v))
VECTOR_LOOP(wiggle_vk_softplus, softplus4(v))
// Correctly rounded, as the scalar square root is: the same bits.
VECTOR_LOOP(wiggle_vk_sqrt, _mm256_sqrt_pd(v))

// Whole numbers, exact on every path (libm's floor and round give the same
// bits; without SSE4.1 they are calls, a fifth of an index-heavy loop).
// round: halves away from zero. t = trunc(x); x − t is exact (the fraction);
// where |x − t| ≥ 0.5, t moves one away from zero. A blend, not an add,
// keeps −0 for −0.3; nan and ±inf come out of trunc unchanged (the compare
// of nan is false).
static inline __m256d round_away4(__m256d x) {
    __m256d t = _mm256_round_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    __m256d sign = _mm256_and_pd(x, _mm256_set1_pd(-0.0));
    __m256d fraction = _mm256_andnot_pd(_mm256_set1_pd(-0.0), _mm256_sub_pd(x, t));
    __m256d away = _mm256_add_pd(t, _mm256_or_pd(sign, _mm256_set1_pd(1.0)));
    return _mm256_blendv_pd(t, away, _mm256_cmp_pd(fraction, _mm256_set1_pd(0.5), _CMP_GE_OQ));
}
VECTOR_LOOP(wiggle_vk_floor, _mm256_round_pd(v, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC))
VECTOR_LOOP(wiggle_vk_round, round_away4(v))

// to += w·x where x ≠ 0, else −0 (which leaves every value's bits as they
// are, where 0·w would make a nan of an infinite weight): a product, then a
// sum, never fused (the pragma above), so the bits are the scalar loop's.
void wiggle_vk_add_weighted(double *to, const double *w, const double *x, long n) {
    long i = 0;
    __m256d zero = _mm256_setzero_pd(), minus = _mm256_set1_pd(-0.0);
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_loadu_pd(x + i);
        __m256d product = _mm256_mul_pd(_mm256_loadu_pd(w + i), v);
        __m256d term = _mm256_blendv_pd(product, minus, _mm256_cmp_pd(v, zero, _CMP_EQ_OQ));
        _mm256_storeu_pd(to + i, _mm256_add_pd(_mm256_loadu_pd(to + i), term));
    }
    for (; i < n; i++) to[i] += x[i] != 0 ? w[i] * x[i] : -0.0;
}

// The places of the zeros of a (a loop's mask: the particles that leave),
// eight lanes a compare and a mask; a block without a zero costs no branch per lane.
long wiggle_vk_zero_lanes(const double *a, long n, int32_t *out) {
    long count = 0, i = 0;
    __m256d zero = _mm256_setzero_pd();
    for (; i + 8 <= n; i += 8) {
        unsigned mask = (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(a + i), zero, _CMP_EQ_OQ))
            | (unsigned)_mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(a + i + 4), zero, _CMP_EQ_OQ)) << 4;
        while (mask) {
            out[count++] = (int32_t)(i + __builtin_ctz(mask));
            mask &= mask - 1;
        }
    }
    for (; i < n; i++) {
        out[count] = (int32_t)i;
        count += a[i] == 0;
    }
    return count;
}

// Arithmetic: the engine's most common instructions, four lanes at a time
// (Swift's own loops are built for SSE2, two lanes). Every lane is the same
// IEEE operation as the Swift rule — no contraction into FMA — so the bits
// do not depend on which path ran.
#pragma clang fp contract(off)

// Ops 4–11 are min, max and the six comparisons, nan wherever an input is
// nan, as BinaryRules has them: min(a, b) is `b < a ? b : a` and max(a, b)
// `b >= a ? b : a` (Swift's, so the zeros' signs agree too); a comparison
// is 1 or 0.
static inline __m256d unordered_nan(__m256d r, __m256d a, __m256d b) {
    return _mm256_blendv_pd(r, _mm256_set1_pd(NAN), _mm256_cmp_pd(a, b, _CMP_UNORD_Q));
}

static inline __m256d truth4(__m256d mask) { return _mm256_and_pd(mask, _mm256_set1_pd(1.0)); }

static inline __m256d arith4(int op, __m256d a, __m256d b) {
    switch (op) {
    case 0: return _mm256_add_pd(a, b);
    case 1: return _mm256_sub_pd(a, b);
    case 2: return _mm256_mul_pd(a, b);
    case 3: return _mm256_div_pd(a, b);
    case 4: return unordered_nan(_mm256_min_pd(b, a), a, b);
    case 5: return unordered_nan(_mm256_max_pd(a, b), a, b);
    case 6: return unordered_nan(truth4(_mm256_cmp_pd(a, b, _CMP_LT_OQ)), a, b);
    case 7: return unordered_nan(truth4(_mm256_cmp_pd(a, b, _CMP_LE_OQ)), a, b);
    case 8: return unordered_nan(truth4(_mm256_cmp_pd(a, b, _CMP_GT_OQ)), a, b);
    case 9: return unordered_nan(truth4(_mm256_cmp_pd(a, b, _CMP_GE_OQ)), a, b);
    case 10: return unordered_nan(truth4(_mm256_cmp_pd(a, b, _CMP_EQ_OQ)), a, b);
    default: return unordered_nan(truth4(_mm256_cmp_pd(a, b, _CMP_NEQ_OQ)), a, b);
    }
}

static inline double arith1(int op, double a, double b) {
    if (op >= 4 && (a != a || b != b)) return NAN;
    switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return b < a ? b : a;
    case 5: return b >= a ? b : a;
    case 6: return a < b;
    case 7: return a <= b;
    case 8: return a > b;
    case 9: return a >= b;
    case 10: return a == b;
    default: return a != b;
    }
}

void wiggle_vk_arith(int op, const double *a, const double *b, double *out, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4)
        _mm256_storeu_pd(out + i, arith4(op, _mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i)));
    for (; i < n; i++) out[i] = arith1(op, a[i], b[i]);
}

// ∂/∂a and ∂/∂b times g, as BinaryRules has them: add (g, g), subtract
// (g, −g), multiply (g·b, g·a), divide (g/b, −(g·y/b)), min (a <= b: g to
// a, else to b), max (a >= b: g to a, else to b); a comparison passes none.
static inline __m256d partial4(int op, int second, __m256d g, __m256d a, __m256d b, __m256d y) {
    switch (op) {
    case 0: return g;
    case 1: return second ? _mm256_xor_pd(g, _mm256_set1_pd(-0.0)) : g;
    case 2: return _mm256_mul_pd(g, second ? a : b);
    case 3: return second ? _mm256_xor_pd(_mm256_div_pd(_mm256_mul_pd(g, y), b), _mm256_set1_pd(-0.0))
                          : _mm256_div_pd(g, b);
    case 4: return _mm256_and_pd(g, second ? _mm256_cmp_pd(a, b, _CMP_NLE_UQ) : _mm256_cmp_pd(a, b, _CMP_LE_OQ));
    case 5: return _mm256_and_pd(g, second ? _mm256_cmp_pd(a, b, _CMP_NGE_UQ) : _mm256_cmp_pd(a, b, _CMP_GE_OQ));
    default: return _mm256_setzero_pd();
    }
}

static inline double partial1(int op, int second, double g, double a, double b, double y) {
    switch (op) {
    case 0: return g;
    case 1: return second ? -g : g;
    case 2: return g * (second ? a : b);
    case 3: return second ? -(g * y / b) : g / b;
    case 4: return (a <= b) != second ? g : 0;
    case 5: return (a >= b) != second ? g : 0;
    default: return 0;
    }
}

static void accumulate(int op, int second, const double *g, const double *a, const double *b, const double *y,
                       double *into, long n) {
    long i = 0;
    const double zero = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d gv = _mm256_loadu_pd(g + i);
        // Same operands as the rule reads; rows it does not read are not loaded.
        __m256d av = (op == 2 && second) || op == 4 || op == 5 ? _mm256_loadu_pd(a + i) : gv;
        __m256d bv = (op >= 2 && op <= 5) && !(op == 2 && second) ? _mm256_loadu_pd(b + i) : gv;
        __m256d yv = op == 3 && second ? _mm256_loadu_pd(y + i) : gv;
        __m256d d = partial4(op, second, gv, av, bv, yv);
        __m256d taken = _mm256_cmp_pd(gv, _mm256_setzero_pd(), _CMP_NEQ_UQ);
        _mm256_storeu_pd(into + i, _mm256_add_pd(_mm256_loadu_pd(into + i), _mm256_and_pd(d, taken)));
    }
    for (; i < n; i++) {
        double d = partial1(op, second, g[i], a[i], b[i], y[i]);
        into[i] += g[i] != 0 ? d : zero;
    }
}

void wiggle_vk_arith_backward(int op, const double *g, const double *a, const double *b, const double *out,
                              double *ga, double *gb, long n) {
    // One row at a time, a's then b's, as the Swift loops do (x * x adds
    // to one row twice, in that order).
    if (ga) accumulate(op, 0, g, a, b, out, ga, n);
    if (gb) accumulate(op, 1, g, a, b, out, gb, n);
}

// select(c, a, b): b where c is 0, nan where c is nan, a elsewhere; its
// adjoint goes to a where c is not 0 (nan included), else to b, added
// only where it goes, as the Swift loop did.
void wiggle_vk_select(const double *c, const double *a, const double *b, double *out, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d cv = _mm256_loadu_pd(c + i);
        __m256d r = _mm256_blendv_pd(_mm256_loadu_pd(a + i), _mm256_loadu_pd(b + i),
                                     _mm256_cmp_pd(cv, _mm256_setzero_pd(), _CMP_EQ_OQ));
        _mm256_storeu_pd(out + i, _mm256_blendv_pd(r, _mm256_set1_pd(NAN), _mm256_cmp_pd(cv, cv, _CMP_UNORD_Q)));
    }
    for (; i < n; i++) out[i] = c[i] == 0 ? b[i] : (c[i] == c[i] ? a[i] : NAN);
}

void wiggle_vk_select_backward(const double *c, const double *g, double *ga, double *gb, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d cv = _mm256_loadu_pd(c + i);
        __m256d gv = _mm256_loadu_pd(g + i);
        __m256d toA = _mm256_cmp_pd(cv, _mm256_setzero_pd(), _CMP_NEQ_UQ);
        if (ga) {
            __m256d old = _mm256_loadu_pd(ga + i);
            _mm256_storeu_pd(ga + i, _mm256_blendv_pd(old, _mm256_add_pd(old, gv), toA));
        }
        if (gb) {
            __m256d old = _mm256_loadu_pd(gb + i);
            _mm256_storeu_pd(gb + i, _mm256_blendv_pd(_mm256_add_pd(old, gv), old, toA));
        }
    }
    for (; i < n; i++) {
        if (c[i] != 0) { if (ga) ga[i] += g[i]; } else if (gb) gb[i] += g[i];
    }
}

void wiggle_vk_square(const double *x, double *y, long n) {
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_loadu_pd(x + i);
        _mm256_storeu_pd(y + i, _mm256_mul_pd(v, v));
    }
    for (; i < n; i++) y[i] = x[i] * x[i];
}

static inline __m256d derivative4(int op, __m256d g, __m256d x, __m256d y) {
    const __m256d one = _mm256_set1_pd(1.0);
    switch (op) {
    case 0: return _mm256_mul_pd(g, y);
    case 1: return _mm256_div_pd(g, x);
    case 2: return _mm256_div_pd(_mm256_mul_pd(g, _mm256_set1_pd(0.5)), y);
    case 3: return _mm256_mul_pd(g, _mm256_sub_pd(one, _mm256_mul_pd(y, y)));
    case 4: return _mm256_mul_pd(_mm256_mul_pd(g, y), _mm256_sub_pd(one, y));
    default: return _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(2.0), x), g);
    }
}

static inline double derivative1(int op, double g, double x, double y) {
    switch (op) {
    case 0: return g * y;
    case 1: return g / x;
    case 2: return g * 0.5 / y;
    case 3: return g * (1 - y * y);
    case 4: return g * y * (1 - y);
    default: return 2 * x * g;
    }
}

void wiggle_vk_unary_backward(int op, const double *g, const double *x, const double *y, double *ga, long n) {
    long i = 0;
    const double zero = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d gv = _mm256_loadu_pd(g + i);
        __m256d xv = op == 1 || op == 5 ? _mm256_loadu_pd(x + i) : gv;
        __m256d yv = op == 1 || op == 5 ? gv : _mm256_loadu_pd(y + i);
        __m256d d = derivative4(op, gv, xv, yv);
        __m256d taken = _mm256_cmp_pd(gv, _mm256_setzero_pd(), _CMP_NEQ_UQ);
        _mm256_storeu_pd(ga + i, _mm256_add_pd(_mm256_loadu_pd(ga + i), _mm256_and_pd(d, taken)));
    }
    for (; i < n; i++) {
        double d = derivative1(op, g[i], x[i], y[i]);
        ga[i] += g[i] != 0 ? d : zero;
    }
}

#pragma clang attribute pop
#else
int wiggle_vk_built(void) { return 0; }
static void none(const double *x, double *y, long n) { (void)x; (void)y; (void)n; }
void wiggle_vk_exp(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_log(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_tanh(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_sin(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_cos(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_sigmoid(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_softplus(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_sqrt(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_floor(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_round(const double *x, double *y, long n) { none(x, y, n); }
long wiggle_vk_zero_lanes(const double *a, long n, int32_t *out) { (void)a; (void)n; (void)out; return 0; }
void wiggle_vk_add_weighted(double *to, const double *w, const double *x, long n) { (void)to; (void)w; (void)x; (void)n; }
void wiggle_vk_arith(int op, const double *a, const double *b, double *out, long n) {
    (void)op; (void)a; (void)b; (void)out; (void)n;
}
void wiggle_vk_arith_backward(int op, const double *g, const double *a, const double *b, const double *out,
                              double *ga, double *gb, long n) {
    (void)op; (void)g; (void)a; (void)b; (void)out; (void)ga; (void)gb; (void)n;
}
void wiggle_vk_square(const double *x, double *y, long n) { none(x, y, n); }
void wiggle_vk_select(const double *c, const double *a, const double *b, double *out, long n) {
    (void)c; (void)a; (void)b; (void)out; (void)n;
}
void wiggle_vk_select_backward(const double *c, const double *g, double *ga, double *gb, long n) {
    (void)c; (void)g; (void)ga; (void)gb; (void)n;
}
void wiggle_vk_unary_backward(int op, const double *g, const double *x, const double *y, double *ga, long n) {
    (void)op; (void)g; (void)x; (void)y; (void)ga; (void)n;
}
#endif
