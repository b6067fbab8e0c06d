/* hostile-loss2.c: hostile-input entries for the threshold activation and the losses of issue
 * 14 (area loss; libl2/ops/loss2.c, loss2-act.c). */
#include "hostile.h"

#include <limits.h>
#include <math.h>

/* Every loss through one signature: (input or input1, target or input2, third or NULL). */
typedef l2_tensor *(*h_loss3_fn)(const l2_tensor *, const l2_tensor *, const l2_tensor *,
                                 l2_reduction);

static l2_tensor *w_sl1(const l2_tensor *a, const l2_tensor *b, const l2_tensor *c,
                        l2_reduction r)
{
    (void)c;
    return l2_smooth_l1_loss(a, b, r, 1.0);
}
static l2_tensor *w_huber(const l2_tensor *a, const l2_tensor *b, const l2_tensor *c,
                          l2_reduction r)
{
    (void)c;
    return l2_huber_loss(a, b, r, 1.0);
}
static l2_tensor *w_kl(const l2_tensor *a, const l2_tensor *b, const l2_tensor *c, l2_reduction r)
{
    (void)c;
    return l2_kl_div(a, b, r, false);
}
static l2_tensor *w_mr(const l2_tensor *a, const l2_tensor *b, const l2_tensor *c, l2_reduction r)
{
    return l2_margin_ranking_loss(a, b, c, 0.5, r);
}
static l2_tensor *w_hinge(const l2_tensor *a, const l2_tensor *b, const l2_tensor *c,
                          l2_reduction r)
{
    (void)c;
    return l2_hinge_embedding_loss(a, b, 1.0, r);
}
static l2_tensor *w_cos(const l2_tensor *a, const l2_tensor *b, const l2_tensor *c,
                        l2_reduction r)
{
    return l2_cosine_embedding_loss(a, b, c, 0.0, r);
}
static l2_tensor *w_pnll(const l2_tensor *a, const l2_tensor *b, const l2_tensor *c,
                         l2_reduction r)
{
    (void)c;
    return l2_poisson_nll_loss(a, b, false, true, 1e-8, r);
}
static l2_tensor *w_gnll(const l2_tensor *a, const l2_tensor *b, const l2_tensor *c,
                         l2_reduction r)
{
    return l2_gaussian_nll_loss(a, b, c, true, 1e-6, r);
}

/* NULL operands, bad reductions, every dtype pair, every hostile kind (the third operand of the
 * kind too, cosine's target one rank less: a (2)), then a backward. three: the op takes a third
 * tensor. */
static void sweep_loss3(h_loss3_fn f, bool three, bool cos)
{
    l2_tensor *(*t3)(void) = NULL;
    (void)t3;
#define THIRD(dt) (three ? (cos ? mk((dt), L2_SHAPE(2)) : MK((dt), 2, 3)) : NULL)
    CASE("NULL input") FAIL_T(L2_ERR_NULL, f(NULL, MK(L2_FLOAT32, 2, 3), THIRD(L2_FLOAT32),
                                             L2_REDUCTION_MEAN));
    CASE("NULL target") FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 2, 3), NULL, THIRD(L2_FLOAT32),
                                              L2_REDUCTION_MEAN));
    if (three)
        CASE("NULL third") FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3), NULL,
                                                 L2_REDUCTION_MEAN));
    static const int red[] = {-1, 4, INT_MAX};
    for (int i = 0; i < 3; i++)
        CASE("reduction %d", red[i])
    FAIL_T(L2_ERR_ARG, f(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3), THIRD(L2_FLOAT32),
                         (l2_reduction)red[i]));
    for (int a = 0; a < L2_DTYPE_COUNT; a++)
        for (int b = 0; b < L2_DTYPE_COUNT; b++)
            CASE("%s, %s", l2_dtype_name(h_dtypes[a]), l2_dtype_name(h_dtypes[b]))
    ANY_T(f(l2_zeros(L2_SHAPE(2, 3), h_dtypes[a]), l2_ones(L2_SHAPE(2, 3), h_dtypes[b]),
            THIRD(h_dtypes[b]), L2_REDUCTION_SUM));
    for (int k = 0; k < K_COUNT; k++)
        for (int r = 0; r < (k == K_HUGE ? 1 : 4); r++) /* reducing 2^62 elements is real work */
            CASE("%s float64, reduction %d", h_kind_name[k], r)
    ANY_T(f(mk_kind(k, L2_FLOAT64), mk_kind(k, L2_FLOAT64),
            three ? mk_kind(cos ? K_SMALL : k, L2_FLOAT64) : NULL, (l2_reduction)r));
    CASE("shape mismatch")
    FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 3), THIRD(L2_FLOAT32),
                           L2_REDUCTION_MEAN));
    CASE("requires grad, then backward")
    {
        l2_tensor *x = l2_clone(l2_mul_scalar(mk_leaf(L2_FLOAT32), 0.1));
        l2_set_requires_grad(x, true);
        l2_tensor *r = ANY_T(f(x, l2_full(L2_SHAPE(2, 3), 0.5, L2_FLOAT32),
                               three ? (cos ? l2_ones(L2_SHAPE(2), L2_FLOAT32)
                                            : l2_full(L2_SHAPE(2, 3), 0.5, L2_FLOAT32))
                                     : NULL,
                               L2_REDUCTION_MEAN));
        if (r)
            ANY_S(l2_backward(r, NULL, false));
    }
#undef THIRD
}

void h_l2_nn_threshold(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_nn_threshold(NULL, 0, 1));
    CASE("bool") FAIL_T(L2_ERR_DTYPE, l2_nn_threshold(MK(L2_BOOL, 3), 0, 1));
    CASE("int64, value 1e300") FAIL_T(L2_ERR_ARG, l2_nn_threshold(MK(L2_INT64, 3), 0, 1e300));
    CASE("int64, threshold NaN") FAIL_T(L2_ERR_ARG, l2_nn_threshold(MK(L2_INT64, 3), NAN, 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            for (int i = 0; i < h_nscalars; i++)
                CASE("%s %s [%g, 1]", l2_dtype_name(h_dtypes[d]), h_kind_name[k], h_scalars[i])
    ANY_T(l2_nn_threshold(mk_kind(k, h_dtypes[d]), h_scalars[i], h_scalars[i]));
    CASE("requires grad, then backward")
    {
        l2_tensor *r = ANY_T(l2_nn_threshold(mk_leaf(L2_FLOAT64), 1, -1));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

void h_l2_smooth_l1_loss(void)
{
    sweep_loss3(w_sl1, false, false);
    CASE("beta -1") FAIL_T(L2_ERR_ARG, l2_smooth_l1_loss(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 3),
                                                         L2_REDUCTION_SUM, -1));
    CASE("beta 0 (l1), bad reduction")
    FAIL_T(L2_ERR_ARG, l2_smooth_l1_loss(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 3),
                                         L2_REDUCTION_BATCHMEAN, 0));
    for (int i = 0; i < h_nscalars; i++)
        CASE("beta %g", h_scalars[i])
    ANY_T(l2_smooth_l1_loss(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 3), L2_REDUCTION_SUM,
                            h_scalars[i]));
}

void h_l2_huber_loss(void)
{
    sweep_loss3(w_huber, false, false);
    for (int i = 0; i < h_nscalars; i++)
        CASE("delta %g", h_scalars[i])
    ANY_T(l2_huber_loss(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 3), L2_REDUCTION_SUM, h_scalars[i]));
}

void h_l2_kl_div(void)
{
    sweep_loss3(w_kl, false, false);
    CASE("log_target, batchmean of a huge input")
    ANY_T(l2_kl_div(mk_kind(K_HUGE, L2_FLOAT32), MK(L2_FLOAT32, 1), L2_REDUCTION_NONE, true));
}

void h_l2_margin_ranking_loss(void)
{
    sweep_loss3(w_mr, true, false);
    CASE("ranks differ")
    FAIL_T(L2_ERR_SHAPE, l2_margin_ranking_loss(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3),
                                                MK(L2_FLOAT32, 3), 0, L2_REDUCTION_SUM));
}

void h_l2_hinge_embedding_loss(void)
{
    sweep_loss3(w_hinge, false, false);
    for (int i = 0; i < h_nscalars; i++)
        CASE("margin %g", h_scalars[i])
    ANY_T(l2_hinge_embedding_loss(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 3), h_scalars[i],
                                  L2_REDUCTION_SUM));
}

void h_l2_cosine_embedding_loss(void)
{
    sweep_loss3(w_cos, true, true);
    CASE("2-d target")
    FAIL_T(L2_ERR_ARG, l2_cosine_embedding_loss(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3),
                                                MK(L2_FLOAT32, 2, 3), 0, L2_REDUCTION_SUM));
    CASE("0-d target, 2-d inputs")
    FAIL_T(L2_ERR_SHAPE, l2_cosine_embedding_loss(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3),
                                                  mk_kind(K_0D, L2_FLOAT32), 0,
                                                  L2_REDUCTION_SUM));
    CASE("target of 3 for 2 rows")
    FAIL_T(L2_ERR_SHAPE, l2_cosine_embedding_loss(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3),
                                                  MK(L2_FLOAT32, 3), 0, L2_REDUCTION_SUM));
}

void h_l2_poisson_nll_loss(void)
{
    sweep_loss3(w_pnll, false, false);
    for (int i = 0; i < h_nscalars; i++)
        CASE("eps %g", h_scalars[i])
    ANY_T(l2_poisson_nll_loss(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 3), true, true, h_scalars[i],
                              L2_REDUCTION_SUM));
}

void h_l2_gaussian_nll_loss(void)
{
    sweep_loss3(w_gnll, true, false);
    CASE("var of incorrect size")
    FAIL_T(L2_ERR_SHAPE, l2_gaussian_nll_loss(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3),
                                              MK(L2_FLOAT32, 3, 2), false, 1e-6,
                                              L2_REDUCTION_SUM));
    CASE("negative var")
    FAIL_T(L2_ERR_ARG, l2_gaussian_nll_loss(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3),
                                            l2_full(L2_SHAPE(2, 1), -1, L2_FLOAT32), false, 1e-6,
                                            L2_REDUCTION_SUM));
    CASE("var one dim short")
    ANY_T(l2_gaussian_nll_loss(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2),
                               false, 1e-6, L2_REDUCTION_SUM));
}
