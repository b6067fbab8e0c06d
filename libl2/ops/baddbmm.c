/* baddbmm.c: torch.baddbmm (out = beta * input + alpha * batch1 @ batch2, batched, input
 * broadcast; its own node, with its create_graph backward) and torch.addbmm (the sum of the
 * batch's products added to input; composed of l2_addmm, so autograd differentiates it).
 * Small products (K * M * N < 400, torch 1.13's own limit) run through torch's own loop, in its
 * order of roundings, so that scores such as multi-head attention's mask + q @ k^T round as
 * torch's; larger ones are one BLAS gemm per batch with beta (linalg-product.c).
 *
 * Dimension letters: B batch, M rows of batch1, K the contracted dim, N columns of batch2. */
#include "../autograd-impl.h"
#include "cg-scratch.h"
#include "linalg-impl.h"

#include <float.h>
#include <math.h>

/* torch 1.13 (bmm_out_or_baddbmm_) uses its plain loop below this much work per batch. */
#define SMALL_WORK 400

/* t (B, R, C) as (B, C, R): a view without autograd. */
static l2_tensor *swap12(const l2_tensor *t)
{
    int64_t sh[3] = {t->shape[0], t->shape[2], t->shape[1]};
    int64_t st[3] = {t->stride[0], t->stride[2], t->stride[1]};
    return l2__alias(t, 3, sh, st, t->offset);
}

/* beta and alpha as torch takes them: finite, integral for int64 (torch truncates silently;
 * libl2 refuses, as l2_addmm), and representable in float32 for float32 operands (torch: "value
 * cannot be converted to type float without overflow"). */
static bool check_scalar(const char *op, l2_dtype dt, const char *name, double v)
{
    L2__CHECK(isfinite(v), false, L2_ERR_ARG, "%s: %s must be finite (got %g)", op, name, v);
    L2__CHECK(dt != L2_FLOAT32 || fabs(v) <= FLT_MAX, false, L2_ERR_ARG,
              "%s: %s %g cannot be converted to type float32 without overflow", op, name, v);
    L2__CHECK(dt != L2_INT64 || (v == floor(v) && fabs(v) < 9.2e18), false, L2_ERR_ARG,
              "%s: for integral input tensors, argument %s must not be a floating point number "
              "(got %g)", op, name, v);
    return true;
}

/* torch 1.13's loop for small products, in T's own arithmetic (no wider accumulator):
 *     r = beta * c  (0 when beta is 0: c is not read);  r += (alpha * a[i,k]) * b[k,j], k = 0..
 * c is read through cs (its strides broadcast to (B, M, N), 0 on broadcast dims). alpha 0 still
 * multiplies (inf or NaN in a or b give NaN, as torch). out is contiguous (B, M, N).
 * (baddbmm_small_beta, baddbmm_gemm_alpha: faults of the mutation test, oracle/mutation.sh.) */
#define SMALL_LOOP(T)                                                                        \
    do {                                                                                     \
        const T *ap = (const T *)l2__data(a), *bp = (const T *)l2__data(b);                  \
        const T *cp = c ? (const T *)l2__data(c) : NULL;                                     \
        T *op_ = (T *)l2__data(out);                                                         \
        T al = (T)alpha, be = l2__fault("baddbmm_small_beta") && cp ? (T)1 : (T)beta;        \
        _Pragma("omp parallel for if ((double)Bn * M * N * K > L2__GEMM_PARALLEL)")          \
        for (int64_t bi = 0; bi < Bn * M; bi++) {                                            \
            int64_t bb = bi / M, i = bi % M;                                                 \
            const T *ar = ap + bb * a->stride[0] + i * a->stride[1];                         \
            const T *bm = bp + bb * b->stride[0];                                            \
            for (int64_t j = 0; j < N; j++) {                                                \
                T r = 0;                                                                     \
                if (be != 0)                                                                 \
                    r = cp[bb * cs[0] + i * cs[1] + j * cs[2]] * be;                         \
                for (int64_t k = 0; k < K; k++)                                              \
                    r += al * ar[k * a->stride[2]] * bm[k * b->stride[1] + j * b->stride[2]]; \
                op_[bi * N + j] = r;                                                         \
            }                                                                                \
        }                                                                                    \
    } while (0)

static l2_tensor *small_product(const char *op, const l2_tensor *a, const l2_tensor *b,
                                const l2_tensor *c, double beta, double alpha,
                                const int64_t *shape)
{
    int64_t Bn = shape[0], M = shape[1], N = shape[2], K = a->shape[2], cs[3] = {0, 0, 0};
    l2_tensor *out = l2__new(op, 3, shape, a->dtype, false);
    if (!out)
        return NULL;
    if (beta == 0)
        c = NULL;
    for (int i = 0; c && i < 3; i++) {
        int j = i - (3 - c->ndim);
        cs[i] = (j < 0 || c->shape[j] == 1) ? 0 : c->stride[j];
    }
    if (a->dtype == L2_FLOAT64)
        SMALL_LOOP(double);
    else
        SMALL_LOOP(float);
    return out;
}

/* The checks both ops share: batch1 (B, M, K) and batch2 (B, K, N) of one non-bool dtype. */
static bool check_batches(const char *op, const l2_tensor *b1, const l2_tensor *b2)
{
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_TN(b1, false, op, "batch1");
    L2__CHECK_TN(b2, false, op, "batch2");
    L2__CHECK(b1->ndim == 3, false, L2_ERR_SHAPE, "%s: batch1 must be a 3D tensor, got shape %s",
              op, l2__shape_str(s1, b1->ndim, b1->shape));
    L2__CHECK(b2->ndim == 3, false, L2_ERR_SHAPE, "%s: batch2 must be a 3D tensor, got shape %s",
              op, l2__shape_str(s1, b2->ndim, b2->shape));
    L2__CHECK(b2->shape[0] == b1->shape[0] && b2->shape[1] == b1->shape[2], false, L2_ERR_SHAPE,
              "%s: expected size for first two dimensions of batch2 tensor to be: [%lld, %lld] "
              "but got: [%lld, %lld] (batch1 %s, batch2 %s)", op, (long long)b1->shape[0],
              (long long)b1->shape[2], (long long)b2->shape[0], (long long)b2->shape[1],
              l2__shape_str(s1, 3, b1->shape), l2__shape_str(s2, 3, b2->shape));
    L2__CHECK(b1->dtype == b2->dtype, false, L2_ERR_DTYPE,
              "%s: batch1 and batch2 must have one dtype: expected scalar type %s but found %s",
              op, l2_dtype_name(b1->dtype), l2_dtype_name(b2->dtype));
    L2__CHECK(b1->dtype != L2_BOOL, false, L2_ERR_DTYPE,
              "%s: dtype bool is not supported (float32, float64 or int64)", op);
    return true;
}

/* ---- baddbmm ----------------------------------------------------------------------------- */

l2_tensor *l2_baddbmm(const l2_tensor *input, const l2_tensor *batch1, const l2_tensor *batch2,
                      double beta, double alpha)
{
    L2__HALF_ROUTE(l2_baddbmm(H_[0], H_[1], H_[2], beta, alpha), input, batch1, batch2);
    const char *op = "baddbmm";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(input, NULL, op);
    if (!check_batches(op, batch1, batch2))
        return NULL;
    l2_dtype dt = batch1->dtype;
    int64_t shape[3] = {batch1->shape[0], batch1->shape[1], batch2->shape[2]};
    L2__CHECK(l2__linalg_broadcasts_to(input, 3, shape), NULL, L2_ERR_SHAPE,
              "%s: input of shape %s cannot broadcast to the product's shape %s", op,
              l2__shape_str(s1, input->ndim, input->shape), l2__shape_str(s2, 3, shape));
    if (!check_scalar(op, dt, "beta", beta) || !check_scalar(op, dt, "alpha", alpha))
        return NULL;
    /* torch copies input into the result: another dtype is converted to the batches' */
    l2_tensor *c = beta == 0 ? NULL : l2__convert(op, input, dt, false);
    if (beta != 0 && !c)
        return NULL;
    int64_t K = batch1->shape[2];
    bool small = l2__mul_sat(l2__mul_sat(K, shape[1]), shape[2]) < SMALL_WORK;
    l2_tensor *r;
    if (l2__is_float(dt) && (small || alpha == 0))
        r = small_product(op, batch1, batch2, c, beta, alpha, shape);
    else
        r = l2__linalg_product(op, batch1, batch2, c, beta,
                               l2__fault("baddbmm_gemm_alpha") ? 1.0 : alpha, 3, shape);
    l2_tensor_release(c);
    /* d batch1 reads batch2, d batch2 reads batch1 */
    return l2__ret(l2__record_scaled_product(L2__OP_BADDBMM, r, input, batch1, batch2, beta,
                                             alpha));
}

/* torch's formulas (derivatives.yaml), each product scaled after it as torch's maybe_multiply:
 *     d input  = beta * g  (summed to input's shape and cast to its dtype by the engine),
 *     d batch1 = (g @ batch2^T) * alpha,   d batch2 = (batch1^T @ g) * alpha.
 * Factors of 1 are not applied; 0 is (inf or NaN in g or the batches give NaN, as torch). */
l2_status l2__baddbmm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "baddbmm_backward";
    double beta = n->f[0], alpha = n->f[1];
    const l2_tensor *b1 = n->saved[0], *b2 = n->saved[1];
    if (l2__edge_of(n, 0)) {
        if (beta == 1) {
            gin[0] = l2_tensor_ref((l2_tensor *)gout);
        } else {
            if (!(gin[0] = l2__new(op, gout->ndim, gout->shape, gout->dtype, false)))
                return l2_last_status();
            l2__copy_kernel(gin[0], gout);
            l2__linalg_scale(gin[0], beta);
        }
    }
    for (int w = 1; w <= 2; w++) {
        if (!l2__edge_of(n, w))
            continue;
        /* w 1: (B, M, N) @ (B, N, K);  w 2: (B, K, M) @ (B, M, N) */
        l2_tensor *t = swap12(w == 1 ? b2 : b1);
        if (!t)
            return l2_last_status();
        const l2_tensor *x = w == 1 ? gout : t, *y = w == 1 ? t : gout;
        int64_t shape[3] = {x->shape[0], x->shape[1], y->shape[2]};
        gin[w] = l2__linalg_product(op, x, y, NULL, 0, 1, 3, shape);
        l2_tensor_release(t);
        if (!gin[w])
            return l2_last_status();
        l2__linalg_scale(gin[w], alpha);
    }
    return L2_OK;
}

/* s * t recorded, or t itself (a new reference) when s is 1. */
static l2_tensor *scaled(l2_tensor *t, double s)
{
    if (!t || s == 1)
        return t;
    l2_tensor *r = l2_mul_scalar(t, s);
    l2_tensor_release(t);
    return r;
}

/* The same formulas with recorded ops (create_graph). */
l2_status l2__baddbmm_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    double beta = n->f[0], alpha = n->f[1];
    if (l2__edge_of(n, 0) && !(gin[0] = scaled(l2_tensor_ref((l2_tensor *)gout), beta)))
        return l2_last_status();
    if (l2__edge_of(n, 1)) {
        l2_tensor *b2 = l2__saved_graph(n, 1), *t = b2 ? l2_transpose(b2, 1, 2) : NULL;
        gin[1] = scaled(t ? l2_bmm(gout, t) : NULL, alpha);
        release_all((l2_tensor *[]){b2, t}, 2);
        if (!gin[1])
            return l2_last_status();
    }
    if (l2__edge_of(n, 2)) {
        l2_tensor *b1 = l2__saved_graph(n, 0), *t = b1 ? l2_transpose(b1, 1, 2) : NULL;
        gin[2] = scaled(t ? l2_bmm(t, gout) : NULL, alpha);
        release_all((l2_tensor *[]){b1, t}, 2);
        if (!gin[2])
            return l2_last_status();
    }
    return L2_OK;
}

/* ---- addbmm ------------------------------------------------------------------------------ */

/* beta * input + alpha * sum_b batch1[b] @ batch2[b], as one l2_addmm over the batch folded
 * into the contracted dim: (M, B*K) @ (B*K, N). */
l2_tensor *l2_addbmm(const l2_tensor *input, const l2_tensor *batch1, const l2_tensor *batch2,
                     double beta, double alpha)
{
    L2__HALF_ROUTE(l2_addbmm(H_[0], H_[1], H_[2], beta, alpha), input, batch1, batch2);
    const char *op = "addbmm";
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK_T(input, NULL, op);
    if (!check_batches(op, batch1, batch2))
        return NULL;
    L2__CHECK(input->dtype == batch1->dtype, NULL, L2_ERR_DTYPE,
              "%s: input and the batches must have one dtype: expected scalar type %s but found "
              "%s", op, l2_dtype_name(batch1->dtype), l2_dtype_name(input->dtype));
    int64_t B = batch1->shape[0], M = batch1->shape[1], K = batch1->shape[2];
    int64_t N = batch2->shape[2], shape[2] = {M, N}, BK;
    L2__CHECK(l2__linalg_broadcasts_to(input, 2, shape), NULL, L2_ERR_SHAPE,
              "%s: input of shape %s cannot broadcast to the product's shape %s", op,
              l2__shape_str(s1, input->ndim, input->shape), l2__shape_str(s2, 2, shape));
    L2__CHECK(!l2__mul_ovf(B, K, &BK), NULL, L2_ERR_OVERFLOW,
              "%s: batch %lld times K %lld overflows", op, (long long)B, (long long)K);
    if (!check_scalar(op, batch1->dtype, "beta", beta) ||
        !check_scalar(op, batch1->dtype, "alpha", alpha))
        return NULL;
    l2__enter();
    l2_tensor *a = l2_permute(batch1, (const int[]){1, 0, 2}); /* (M, B, K) */
    l2_tensor *a2 = a ? l2_reshape(a, L2_SHAPE(M, BK)) : NULL;
    l2_tensor *b2 = l2_reshape(batch2, L2_SHAPE(BK, N));
    l2_tensor *r = a2 && b2 ? l2_addmm(input, a2, b2, beta, alpha) : NULL;
    release_all((l2_tensor *[]){a, a2, b2}, 3);
    l2__leave();
    return l2__ret(r);
}
