/* vmath.h: vector math over contiguous arrays (vmath.c): y[i] = f(x[i]) for float32 and float64,
 * AVX2+FMA kernels picked at run time (SLEEF's 1-ulp functions where configure found SLEEF, and
 * libl2's own float32 exp). Lookups return NULL where no kernel exists or the vector path is off:
 * the caller then runs its generic loop, which computes the same function with libm. */
#ifndef L2_VMATH_H
#define L2_VMATH_H

#include "l2-impl.h"

/* The functions with kernels. GELU is the erf form, GELU_TANH torch's tanh approximation. */
enum {
    L2__VM_EXP,
    L2__VM_LOG,
    L2__VM_SIN,
    L2__VM_COS,
    L2__VM_TANH,
    L2__VM_ERF,
    L2__VM_SIGMOID,
    L2__VM_SILU,
    L2__VM_GELU,
    L2__VM_GELU_TANH,
    L2__VM_COUNT
};

/* y[i] = f(x[i]) for 0 <= i < n; y may be x (in place), otherwise they do not overlap. */
typedef void (*l2__vm_f32)(int64_t n, float *y, const float *x);
typedef void (*l2__vm_f64)(int64_t n, double *y, const double *x);

/* The kernel of function fn (L2__VM_*), or NULL: use the generic loop. Thread-safe. */
l2__vm_f32 l2__vmath_f32(int fn);
l2__vm_f64 l2__vmath_f64(int fn);

/* softmax (lg false) or log_softmax (lg true) of one contiguous float32 row of n elements into
 * y (y may be x): the kernel, or NULL where the vector path is off. */
typedef void (*l2__vm_softmax_f32)(int64_t n, float *y, const float *x, bool lg);
l2__vm_softmax_f32 l2__vmath_softmax_f32(void);
/* The backward of softmax (lg false: dx = y (g - sum(g y))) or log_softmax (lg true: dx = g -
 * exp(y) sum(g)) over one contiguous float32 row of n elements, y the forward's output and g
 * the upstream gradient (dx may be y or g): the kernel, or NULL where the vector path is off. */
typedef void (*l2__vm_softmax_back_f32)(int64_t n, float *dx, const float *y, const float *g,
                                        bool lg);
l2__vm_softmax_back_f32 l2__vmath_softmax_back_f32(void);
/* log(sum(exp(x))) of one contiguous float32 row in two float64 parts, *mx = max(x) and the
 * returned log(sum(exp(x - max))): the kernel, or NULL where the vector path is off. */
typedef double (*l2__vm_lse_f32)(int64_t n, const float *x, double *mx);
l2__vm_lse_f32 l2__vmath_lse_f32(void);

#endif /* L2_VMATH_H */
