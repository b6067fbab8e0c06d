/* nn-impl.h: small helpers shared by the nn family's sources (nn-softmax.c, nn-loss.c,
 * nn-norm.c): lane addressing for reductions along one dim of any strided tensor, dtype
 * conversion of operands, broadcast aliases without autograd wiring, thread counts. Not installed.
 */
#ifndef L2_NN_IMPL_H
#define L2_NN_IMPL_H

/* GCC keeps float comparisons as branches under -ftrapping-math, which stops the exp and
 * clamp selects of the kernels from vectorising; libl2 never reads the floating-point
 * exception flags, so the nn sources drop that guarantee. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3", "no-trapping-math")
#endif

#include "../autograd-impl.h"

#include <math.h>
#include <string.h>

/* Force inlining, so that a call with constant unit strides gets its own vectorised copy. */
#if defined(__GNUC__)
#define L2__NN_INLINE static inline __attribute__((always_inline))
#else
#define L2__NN_INLINE static inline
#endif

/* Hot kernels get an AVX2 copy besides the baseline one, picked once at load time (GCC's
 * function multiversioning, x86-64 ELF only). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define L2__NN_HOT __attribute__((target_clones("avx2", "default")))
#else
#define L2__NN_HOT
#endif

/* exp for float32 kernels, written as plain arithmetic so that loops over it vectorise:
 * x = n ln2 + r with n = round(x log2 e), exp(r) by Cephes' degree-6 polynomial, 2^n built in
 * the exponent bits. Within 2 ulp of expf on [-87.3, 88]; 0 below -87.3 (no subnormals),
 * +inf not reached (x is clamped at 88: the kernels only pass x - max <= 0), NaN stays NaN. */
static inline float l2__nn_expf(float x)
{
    const float hi = 88.0f, lo = -87.33654f;
    float xc = x > hi ? hi : x;
    xc = xc < lo ? lo : xc;
    xc = xc == xc ? xc : 0.0f; /* NaN: computed as 0, returned as NaN below */
    float n = xc * 1.44269504088896341f + 12582912.0f - 12582912.0f; /* round to nearest */
    float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
    float z = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * z + r + 1.0f;
    int32_t bits = ((int32_t)n + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float e = p * scale;
    e = x < lo ? 0.0f : e;
    return x == x ? e : x;
}

/* Element offset, from t's first element, of lane r of t along dim: lanes are numbered in
 * row-major order over every dim except dim (dim = -1: over every dim, i.e. element r). */
static inline int64_t l2__nn_lane(const l2_tensor *t, int dim, int64_t r)
{
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0 && r > 0; d--) {
        if (d == dim)
            continue;
        int64_t s = t->shape[d];
        off += (r % s) * t->stride[d];
        r /= s;
    }
    return off;
}

/* Threads for a kernel doing about `work` element operations. */
static inline int l2__nn_threads(int64_t work)
{
    return work >= L2__PARALLEL_GRAIN ? l2__num_threads() : 1;
}

/* True when the backward of node n must produce a gradient for input i. */
static inline bool l2__nn_wants(const l2__node *n, int i)
{
    return n->next[i].fn != NULL || n->next[i].leaf != NULL;
}

/* t itself (one more reference) when it has dtype dt, else a contiguous copy converted to dt.
 * NULL (error set) on out-of-memory. No autograd wiring. */
static inline l2_tensor *l2__nn_as(const char *op, const l2_tensor *t, l2_dtype dt)
{
    if (t->dtype == dt)
        return l2_tensor_ref((l2_tensor *)t);
    l2_tensor *r = l2__new(op, t->ndim, t->shape, dt, false);
    if (r)
        l2__copy_kernel(r, t);
    return r;
}

/* t itself (one more reference) when contiguous with dtype dt, else a contiguous copy in dt. */
static inline l2_tensor *l2__nn_contig(const char *op, const l2_tensor *t, l2_dtype dt)
{
    if (t->dtype == dt && l2__is_contiguous(t))
        return l2_tensor_ref((l2_tensor *)t);
    l2_tensor *r = l2__new(op, t->ndim, t->shape, dt, false);
    if (r)
        l2__copy_kernel(r, t);
    return r;
}

/* An alias of t broadcast to (ndim, shape) (stride 0 on new or size-1 dims); the shapes must be
 * broadcast-compatible (checked by the caller). No autograd wiring. */
static inline l2_tensor *l2__nn_bcast(const l2_tensor *t, int ndim, const int64_t *shape)
{
    int64_t st[L2_MAX_DIMS];
    int lead = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        int j = i - lead;
        st[i] = (j < 0 || t->shape[j] != shape[i]) ? 0 : t->stride[j];
    }
    return l2__alias(t, ndim, shape, st, t->offset);
}

/* The end of a backward with three gradients (input, weight, bias): on success hands them to
 * gin; otherwise releases them and returns the error already set. */
static inline l2_status l2__nn_give3(bool ok, l2_tensor *dx, l2_tensor *dw, l2_tensor *db,
                                     l2_tensor **gin)
{
    if (!ok) {
        l2_tensor_release(dx);
        l2_tensor_release(dw);
        l2_tensor_release(db);
        return l2_last_status();
    }
    gin[0] = dx;
    gin[1] = dw;
    gin[2] = db;
    return L2_OK;
}

/* A norm forward's autograd record: when y exists and x, weight or bias needs a gradient,
 * records op saving x and weight (when given) and hands stats (its per-row statistics) to the
 * node, whose integer arguments the caller sets; when the record fails, releases *y and sets
 * it NULL. The node, or NULL when none was made (stats then stays the caller's). */
static inline l2__node *l2__norm_record(l2__op op, l2_tensor **y, const l2_tensor *x,
                                        const l2_tensor *weight, const l2_tensor *bias,
                                        double *stats)
{
    const l2_tensor *in[3] = {x, weight, bias};
    if (!*y || !l2__needs_grad(3, in))
        return NULL;
    const l2_tensor *save[2] = {x, weight};
    l2__node *node = l2__record_save(op, *y, 3, in, weight ? 2 : 1, save);
    if (!node) {
        l2_tensor_release(*y);
        *y = NULL;
        return NULL;
    }
    node->extra = stats;
    return node;
}

#endif /* L2_NN_IMPL_H */
