// Transcendental functions over arrays of doubles, for the particle engine:
// AVX2 vector functions (SLEEF's 1.0-ulp exp, log, sin and cos; our own tanh,
// sigmoid and softplus, see CVectorKernels) where SLEEF was found at build
// time and the processor has AVX2 and FMA, else the C library one element at
// a time. Each element's result
// depends on that element alone, so results do not depend on where a
// particle sits in a chunk.
#ifndef WIGGLE_VECTOR_MATH_H
#define WIGGLE_VECTOR_MATH_H

#include <stdint.h>

/// y[i] = f(x[i]) for i < n. (x and y may be the same array.)
void wiggle_vm_exp(const double *x, double *y, long n);
void wiggle_vm_log(const double *x, double *y, long n);
void wiggle_vm_tanh(const double *x, double *y, long n);
void wiggle_vm_sin(const double *x, double *y, long n);
void wiggle_vm_cos(const double *x, double *y, long n);
/// 1 / (1 + e^-x), without overflow.
void wiggle_vm_sigmoid(const double *x, double *y, long n);
/// log(1 + e^x) = max(x, 0) + log1p(e^-|x|).
void wiggle_vm_softplus(const double *x, double *y, long n);
/// √x, correctly rounded either way.
void wiggle_vm_sqrt(const double *x, double *y, long n);
/// floor and round (halves away from zero): exact, the same bits on every path.
void wiggle_vm_floor(const double *x, double *y, long n);
void wiggle_vm_round(const double *x, double *y, long n);
/// Writes the places i of a[i] == 0 (−0 included, nan not) to out, in
/// order, and returns how many: a loop's leavers. Integers, so every path agrees.
long wiggle_vm_zero_lanes(const double *a, long n, int32_t *out);
/// to[i] += x[i] != 0 ? w[i]·x[i] : −0 (a product then a sum, never fused):
/// a loop's per-particle sums, weighted, added back where they came from.
void wiggle_vm_add_weighted(double *to, const double *w, const double *x, long n);

/// out = a op b (op 0 add, 1 subtract, 2 multiply, 3 divide, 4 min, 5 max,
/// 6 <, 7 <=, 8 >, 9 >=, 10 ==, 11 !=) with AVX2,
/// returning 1; 0 (doing nothing) when the vector path is off.
int wiggle_vm_arith(int op, const double *a, const double *b, double *out, long n);
/// Their adjoints, ga += (g != 0 ? g·∂/∂a : 0) and gb likewise (either may
/// be NULL), bit for bit as the engine's rules; 1, or 0 when off.
int wiggle_vm_arith_backward(int op, const double *g, const double *a, const double *b, const double *out,
                             double *ga, double *gb, long n);

/// select(c, a, b) and its adjoint with AVX2, returning 1; 0 when off.
int wiggle_vm_select(const double *c, const double *a, const double *b, double *out, long n);
int wiggle_vm_select_backward(const double *c, const double *g, double *ga, double *gb, long n);

/// y = x·x with AVX2, returning 1; 0 (doing nothing) when off.
int wiggle_vm_square(const double *x, double *y, long n);
/// ga += (g != 0 ? g·f′ : 0) for op 0 exp, 1 log, 2 sqrt, 3 tanh, 4 sigmoid,
/// 5 square, bit for bit as the rules; 1, or 0 when off.
int wiggle_vm_unary_backward(int op, const double *g, const double *x, const double *y, double *ga, long n);

/// 1 when the vector path is in use: SLEEF was there at build time, the
/// processor has AVX2 and FMA, and it was not switched off.
int wiggle_vm_vectorised(void);
/// 1 when SLEEF was there at build time and the processor can run it.
int wiggle_vm_available(void);
/// 1 when the AVX2 kernels were compiled in (whatever this processor has).
int wiggle_vk_is_built(void);
/// Switches the vector path off (0) or back on (1), for benchmarks that
/// compare it with the C library's scalar functions.
void wiggle_vm_set_enabled(int enabled);

#endif
