// vector_kernels.c — SLEEF's AVX2 vector functions over arrays, four lanes
// at a time. Compiled with AVX2 and FMA enabled; CVectorMath calls these
// only after checking that the processor has them.
#include "vector_kernels.h"

#if defined(WIGGLE_HAS_SLEEF) && defined(__x86_64__) && defined(__AVX2__)
#include <immintrin.h>
#include <sleef.h>
#include <math.h>
#include <string.h>

int wiggle_vk_built(void) { return 1; }

// Four lanes at a time; the last 1–3 go through the same vector function
// from a padded copy, so every element gets the same bits wherever it is.
#define VECTOR_LOOP(name, body)                                                  \
    void name(const double *x, double *y, long n) {                              \
        long i = 0;                                                              \
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

static inline __m256d sigmoid4(__m256d v) {
    // e = exp(−|x|); x ≥ 0: 1/(1 + e), else e/(1 + e).
    __m256d e = Sleef_expd4_u10avx2(_mm256_or_pd(v, _mm256_set1_pd(-0.0)));
    __m256d one = _mm256_set1_pd(1.0);
    __m256d positive = _mm256_cmp_pd(v, _mm256_setzero_pd(), _CMP_GE_OQ);
    return _mm256_div_pd(_mm256_blendv_pd(e, one, positive), _mm256_add_pd(one, e));
}

static inline __m256d softplus4(__m256d v) {
    // max(x, 0) + log1p(e^−|x|), keeping a nan.
    __m256d tail = Sleef_log1pd4_u10avx2(Sleef_expd4_u10avx2(_mm256_or_pd(v, _mm256_set1_pd(-0.0))));
    __m256d sum = _mm256_add_pd(_mm256_max_pd(v, _mm256_setzero_pd()), tail);
    return _mm256_blendv_pd(sum, v, _mm256_cmp_pd(v, v, _CMP_UNORD_Q));
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
VECTOR_LOOP(wiggle_vk_tanh, Sleef_tanhd4_u10avx2(v))
VECTOR_LOOP(wiggle_vk_sin, Sleef_sind4_u10avx2(v))
VECTOR_LOOP(wiggle_vk_cos, Sleef_cosd4_u10avx2(v))
VECTOR_LOOP(wiggle_vk_sigmoid, sigmoid4(v))
VECTOR_LOOP(wiggle_vk_softplus, softplus4(v))
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
#endif
