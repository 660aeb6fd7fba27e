// SLEEF's AVX2 vector functions over arrays (see vector_kernels.c). Only
// CVectorMath calls these, after checking the processor.
#ifndef WIGGLE_VECTOR_KERNELS_H
#define WIGGLE_VECTOR_KERNELS_H

#include <stdint.h>

/// 1 when the kernels were built (SLEEF and x86-64 at build time).
int wiggle_vk_built(void);
void wiggle_vk_exp(const double *x, double *y, long n);
void wiggle_vk_log(const double *x, double *y, long n);
void wiggle_vk_tanh(const double *x, double *y, long n);
void wiggle_vk_sin(const double *x, double *y, long n);
void wiggle_vk_cos(const double *x, double *y, long n);
void wiggle_vk_sigmoid(const double *x, double *y, long n);
void wiggle_vk_softplus(const double *x, double *y, long n);
void wiggle_vk_sqrt(const double *x, double *y, long n);
void wiggle_vk_floor(const double *x, double *y, long n);
void wiggle_vk_round(const double *x, double *y, long n);
long wiggle_vk_zero_lanes(const double *a, long n, int32_t *out);
void wiggle_vk_add_weighted(double *to, const double *w, const double *x, long n);
/// out = a op b for op 0 add, 1 subtract, 2 multiply, 3 divide, 4 min,
/// 5 max, 6 <, 7 <=, 8 >, 9 >=, 10 ==, 11 != (BinaryRules' values, nan
/// from a nan input).
void wiggle_vk_arith(int op, const double *a, const double *b, double *out, long n);
/// The adjoints of the same: ga += (g != 0 ? g·∂/∂a : 0), then gb likewise
/// (either may be NULL; they may be the same row), with the arithmetic of
/// the engine's rules (BinaryRules), so the bits are the same.
void wiggle_vk_arith_backward(int op, const double *g, const double *a, const double *b, const double *out,
                              double *ga, double *gb, long n);
/// out = c == 0 ? b : (c is nan ? nan : a); its adjoint, added to ga where
/// c != 0 and to gb elsewhere (either may be NULL).
void wiggle_vk_select(const double *c, const double *a, const double *b, double *out, long n);
void wiggle_vk_select_backward(const double *c, const double *g, double *ga, double *gb, long n);
/// y = x·x.
void wiggle_vk_square(const double *x, double *y, long n);
/// ga += (g != 0 ? d : 0), d the rule's derivative times g: op 0 exp g·y,
/// 1 log g/x, 2 sqrt (g·0.5)/y, 3 tanh g·(1 − y·y), 4 sigmoid (g·y)·(1 − y),
/// 5 square (2·x)·g — the same operations in the same order as the rules.
void wiggle_vk_unary_backward(int op, const double *g, const double *x, const double *y, double *ga, long n);

#endif
