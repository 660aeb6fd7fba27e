// SLEEF's AVX2 vector functions over arrays (see vector_kernels.c). Only
// CVectorMath calls these, after checking the processor.
#ifndef WIGGLE_VECTOR_KERNELS_H
#define WIGGLE_VECTOR_KERNELS_H

/// 1 when the kernels were built (SLEEF and x86-64 at build time).
int wiggle_vk_built(void);
void wiggle_vk_exp(const double *x, double *y, long n);
void wiggle_vk_log(const double *x, double *y, long n);
void wiggle_vk_tanh(const double *x, double *y, long n);
void wiggle_vk_sin(const double *x, double *y, long n);
void wiggle_vk_cos(const double *x, double *y, long n);
void wiggle_vk_sigmoid(const double *x, double *y, long n);
void wiggle_vk_softplus(const double *x, double *y, long n);

#endif
