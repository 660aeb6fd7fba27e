// vector_math.c — see include/vector_math.h.
#include "vector_math.h"
#include "vector_kernels.h"
#include <math.h>

static int enabled = 1;

int wiggle_vm_available(void) {
    static int known = -1;
    if (known < 0) {
#if defined(__x86_64__)
        known = wiggle_vk_built() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
        known = 0;
#endif
    }
    return known;
}

int wiggle_vk_is_built(void) { return wiggle_vk_built(); }

int wiggle_vm_vectorised(void) { return enabled && wiggle_vm_available(); }

void wiggle_vm_set_enabled(int on) { enabled = on != 0; }

static inline double scalar_sigmoid(double x) {
    if (x >= 0) return 1 / (1 + exp(-x));
    double e = exp(x);
    return e / (1 + e);
}

static inline double scalar_softplus(double x) { return fmax(x, 0) + log1p(exp(-fabs(x))); }

#define DISPATCH(vector, scalar)                                \
    if (wiggle_vm_vectorised()) { vector(x, y, n); return; }   \
    for (long i = 0; i < n; i++) y[i] = scalar(x[i]);

void wiggle_vm_exp(const double *x, double *y, long n) { DISPATCH(wiggle_vk_exp, exp) }
void wiggle_vm_log(const double *x, double *y, long n) { DISPATCH(wiggle_vk_log, log) }
void wiggle_vm_tanh(const double *x, double *y, long n) { DISPATCH(wiggle_vk_tanh, tanh) }
void wiggle_vm_sin(const double *x, double *y, long n) { DISPATCH(wiggle_vk_sin, sin) }
void wiggle_vm_cos(const double *x, double *y, long n) { DISPATCH(wiggle_vk_cos, cos) }
void wiggle_vm_sigmoid(const double *x, double *y, long n) { DISPATCH(wiggle_vk_sigmoid, scalar_sigmoid) }
void wiggle_vm_softplus(const double *x, double *y, long n) { DISPATCH(wiggle_vk_softplus, scalar_softplus) }
void wiggle_vm_sqrt(const double *x, double *y, long n) { DISPATCH(wiggle_vk_sqrt, sqrt) }
void wiggle_vm_floor(const double *x, double *y, long n) { DISPATCH(wiggle_vk_floor, floor) }
void wiggle_vm_round(const double *x, double *y, long n) { DISPATCH(wiggle_vk_round, round) }

// Products then sums, never fused: the bits of the vector kernel's.
#pragma clang fp contract(off)
void wiggle_vm_add_weighted(double *to, const double *w, const double *x, long n) {
    if (wiggle_vm_vectorised()) { wiggle_vk_add_weighted(to, w, x, n); return; }
    for (long i = 0; i < n; i++) to[i] += x[i] != 0 ? w[i] * x[i] : -0.0;
}

long wiggle_vm_zero_lanes(const double *a, long n, int32_t *out) {
    if (wiggle_vm_vectorised()) return wiggle_vk_zero_lanes(a, n, out);
    long count = 0;
    for (long i = 0; i < n; i++) {
        out[count] = (int32_t)i;
        count += a[i] == 0;
    }
    return count;
}

int wiggle_vm_arith(int op, const double *a, const double *b, double *out, long n) {
    if (!wiggle_vm_vectorised()) return 0;
    wiggle_vk_arith(op, a, b, out, n);
    return 1;
}

int wiggle_vm_arith_backward(int op, const double *g, const double *a, const double *b, const double *out,
                             double *ga, double *gb, long n) {
    if (!wiggle_vm_vectorised()) return 0;
    wiggle_vk_arith_backward(op, g, a, b, out, ga, gb, n);
    return 1;
}

int wiggle_vm_select(const double *c, const double *a, const double *b, double *out, long n) {
    if (!wiggle_vm_vectorised()) return 0;
    wiggle_vk_select(c, a, b, out, n);
    return 1;
}

int wiggle_vm_select_backward(const double *c, const double *g, double *ga, double *gb, long n) {
    if (!wiggle_vm_vectorised()) return 0;
    wiggle_vk_select_backward(c, g, ga, gb, n);
    return 1;
}

int wiggle_vm_square(const double *x, double *y, long n) {
    if (!wiggle_vm_vectorised()) return 0;
    wiggle_vk_square(x, y, n);
    return 1;
}

int wiggle_vm_unary_backward(int op, const double *g, const double *x, const double *y, double *ga, long n) {
    if (!wiggle_vm_vectorised()) return 0;
    wiggle_vk_unary_backward(op, g, x, y, ga, n);
    return 1;
}
