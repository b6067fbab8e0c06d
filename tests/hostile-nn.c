/* hostile-nn.c: hostile-input entries for the neural-network functions, convolution, pooling
 * and padding (parameter lists and layers: hostile-layers.c; files, optimizers: hostile-io.c). */
#include "hostile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BIG40 ((int64_t)1 << 40)

/* ---- Losses and normalisation -----------------------------------------------------------------
 */

typedef l2_tensor *(*h_loss_fn)(const l2_tensor *, const l2_tensor *, l2_reduction);

static void sweep_loss(h_loss_fn f)
{
    CASE("NULL input") FAIL_T(L2_ERR_NULL, f(NULL, MK(L2_FLOAT32, 2), L2_REDUCTION_MEAN));
    CASE("NULL target") FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 2), NULL, L2_REDUCTION_MEAN));
    static const int red[] = {-1, 3, INT_MAX};
    for (int i = 0; i < 3; i++)
        CASE("reduction %d", red[i])
    FAIL_T(L2_ERR_ARG, f(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 2), (l2_reduction)red[i]));
    for (int a = 0; a < L2_DTYPE_COUNT; a++)
        for (int b = 0; b < L2_DTYPE_COUNT; b++)
            CASE("%s input, %s target", l2_dtype_name(h_dtypes[a]), l2_dtype_name(h_dtypes[b]))
    ANY_T(f(l2_zeros(L2_SHAPE(2, 3), h_dtypes[a]), l2_zeros(L2_SHAPE(2, 3), h_dtypes[b]),
            L2_REDUCTION_SUM));
    for (int k = 0; k < K_COUNT; k++)
        for (int r = 0; r < (k == K_HUGE ? 1 : 3); r++) /* reducing 2^59 elements is real work */
            CASE("%s float64, reduction %d", h_kind_name[k], r)
    ANY_T(f(mk_kind(k, L2_FLOAT64), mk_kind(k, L2_FLOAT64), (l2_reduction)r));
    CASE("shape mismatch")
    FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 2), MK(L2_FLOAT32, 3), L2_REDUCTION_MEAN));
    CASE("requires grad, then backward")
    {
        l2_tensor *x = l2_clone(l2_mul_scalar(mk_leaf(L2_FLOAT32), 0.1));
        l2_set_requires_grad(x, true);
        l2_tensor *r = ANY_T(f(x, l2_full(L2_SHAPE(2, 3), 0.5, L2_FLOAT32), L2_REDUCTION_MEAN));
        if (r)
            ANY_S(l2_backward(r, NULL, false));
    }
}

#define LOSS(n)                                                                                    \
    void h_##n(void)                                                                               \
    {                                                                                              \
        sweep_loss(n);                                                                             \
    }

LOSS(l2_mse_loss)
LOSS(l2_l1_loss)

void h_l2_binary_cross_entropy(void)
{
    sweep_loss(l2_binary_cross_entropy);
    CASE("input outside [0, 1]")
    FAIL_T(L2_ERR_ARG,
           l2_binary_cross_entropy(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 3), L2_REDUCTION_MEAN));
}

void h_l2_binary_cross_entropy_with_logits(void)
{
    sweep_loss(l2_binary_cross_entropy_with_logits);
    /* torch: "result type Float can't be cast to the desired output type Long" */
    CASE("int64 input")
    FAIL_T(L2_ERR_DTYPE, l2_binary_cross_entropy_with_logits(MK(L2_INT64, 3), MK(L2_FLOAT32, 3),
                                                             L2_REDUCTION_MEAN));
    CASE("int64 input and target")
    FAIL_T(L2_ERR_DTYPE, l2_binary_cross_entropy_with_logits(MK(L2_INT64, 3), MK(L2_INT64, 3),
                                                             L2_REDUCTION_MEAN));
}

static void sweep_class_loss(int nll)
{
#define CL(i, t, r, ig) (nll ? l2_nll_loss(i, t, r, ig) : l2_cross_entropy(i, t, r, ig, 0))
    CASE("NULL input") FAIL_T(L2_ERR_NULL, CL(NULL, MK(L2_INT64, 2), L2_REDUCTION_MEAN, -100));
    CASE("NULL target")
    FAIL_T(L2_ERR_NULL, CL(MK(L2_FLOAT32, 2, 3), NULL, L2_REDUCTION_MEAN, -100));
    static const int64_t cls[] = {-1, 3, INT64_MAX, INT64_MIN, (int64_t)1 << 32};
    for (int i = 0; i < 5; i++)
        CASE("class %lld", (long long)cls[i])
    FAIL_T(L2_ERR_INDEX, CL(MK(L2_FLOAT32, 1, 3), l2_from_data(&cls[i], L2_SHAPE(1), L2_INT64),
                            L2_REDUCTION_MEAN, -100));
    for (int i = 0; i < 5; i++)
        CASE("ignore_index %lld, all ignored", (long long)cls[i])
        {
            l2_tensor *t = l2_from_data(&cls[i], L2_SHAPE(1), L2_INT64);
            ANY_T(CL(MK(L2_FLOAT32, 1, 3), t, L2_REDUCTION_MEAN, cls[i]));
        }
    CASE("0-d input")
    FAIL_T(L2_ERR_DIM,
           CL(mk_kind(K_0D, L2_FLOAT32), l2_scalar(0, L2_INT64), L2_REDUCTION_MEAN, -100));
    CASE("reduction 7")
    FAIL_T(L2_ERR_ARG, CL(MK(L2_FLOAT32, 2, 3), MK(L2_INT64, 2), (l2_reduction)7, -100));
    CASE("target shape")
    FAIL_T(L2_ERR_SHAPE,
           CL(MK(L2_FLOAT32, 2, 3), l2_zeros(L2_SHAPE(3), L2_INT64), L2_REDUCTION_MEAN, -100));
    for (int d = 0; d < L2_DTYPE_COUNT; d++) {
        CASE("%s input", l2_dtype_name(h_dtypes[d]))
        ANY_T(CL(MK(h_dtypes[d], 2, 3), l2_zeros(L2_SHAPE(2), L2_INT64), L2_REDUCTION_SUM, -100));
        CASE("%s target", l2_dtype_name(h_dtypes[d]))
        ANY_T(CL(MK(L2_FLOAT32, 2, 3), l2_zeros(L2_SHAPE(2), h_dtypes[d]), L2_REDUCTION_SUM, -100));
    }
    CASE("(N, C=0)")
    ANY_T(CL(MK(L2_FLOAT32, 2, 0), l2_zeros(L2_SHAPE(2), L2_INT64), L2_REDUCTION_MEAN, -100));
    CASE("(0, C)")
    ANY_T(CL(MK(L2_FLOAT32, 0, 3), l2_zeros(L2_SHAPE(0), L2_INT64), L2_REDUCTION_MEAN, -100));
    CASE("special logits, rank 8")
    ANY_T(CL(l2_reshape(mk_kind(K_SPECIAL, L2_FLOAT64), L2_SHAPE(1, 6, 1, 1, 1, 1, 1, 1)),
             l2_zeros(L2_SHAPE(1, 1, 1, 1, 1, 1, 1), L2_INT64), L2_REDUCTION_NONE, -100));
    CASE("expanded logits and targets")
    ANY_T(CL(l2_expand(MK(L2_FLOAT32, 1, 3), L2_SHAPE(4, 3)),
             l2_expand(l2_zeros(L2_SHAPE(1), L2_INT64), L2_SHAPE(4)), L2_REDUCTION_NONE, -100));
#undef CL
}

void h_l2_cross_entropy(void)
{
    sweep_class_loss(0);
    for (int i = 0; i < h_nscalars; i++)
        CASE("label_smoothing %g", h_scalars[i])
        {
            if (h_scalars[i] >= 0 && h_scalars[i] <= 1)
                ANY_T(l2_cross_entropy(MK(L2_FLOAT32, 2, 3), l2_zeros(L2_SHAPE(2), L2_INT64),
                                       L2_REDUCTION_MEAN, -100, h_scalars[i]));
            else
                FAIL_T(L2_ERR_ARG,
                       l2_cross_entropy(MK(L2_FLOAT32, 2, 3), l2_zeros(L2_SHAPE(2), L2_INT64),
                                        L2_REDUCTION_MEAN, -100, h_scalars[i]));
        }
    CASE("probabilities with ignore_index 0")
    FAIL_T(H_ANY,
           l2_cross_entropy(MK(L2_FLOAT32, 2, 3), MK(L2_FLOAT32, 2, 3), L2_REDUCTION_MEAN, 0, 0));
}

void h_l2_nll_loss(void)
{
    sweep_class_loss(1);
}

void h_l2_dropout(void)
{
    CASE("NULL") FAIL_T(L2_ERR_NULL, l2_dropout(NULL, 0.5, true));
    static const double ps[] = {-0.1, 1.1, NAN, INFINITY, -INFINITY};
    for (int i = 0; i < 5; i++)
        CASE("p %g", ps[i]) FAIL_T(L2_ERR_ARG, l2_dropout(MK(L2_FLOAT32, 3), ps[i], true));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s, p 0.5", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_dropout(mk_kind(k, h_dtypes[d]), 0.5, true));
    CASE("p 1") ANY_T(l2_dropout(mk_kind(K_SPECIAL, L2_FLOAT32), 1, true));
}

void h_l2_layer_norm(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_layer_norm(NULL, L2_SHAPE(3), NULL, NULL, 1e-5));
    CASE("NULL shape")
    FAIL_T(L2_ERR_NULL, l2_layer_norm(MK(L2_FLOAT32, 2, 3), 1, NULL, NULL, NULL, 1e-5));
    static const int ns[] = {0, -1, 9, INT_MAX, INT_MIN};
    for (int i = 0; i < 5; i++)
        CASE("n_normalized %d", ns[i])
    FAIL_T(L2_ERR_ARG,
           l2_layer_norm(MK(L2_FLOAT32, 2, 3), ns[i], (const int64_t[]){3, 3, 3, 3, 3, 3, 3, 3, 3},
                         NULL, NULL, 1e-5));
    static const int64_t sz[] = {-1, 0, INT64_MAX, INT64_MIN, 2};
    for (int i = 0; i < 5; i++)
        CASE("normalized_shape {%lld}", (long long)sz[i])
    FAIL_T(L2_ERR_SHAPE, l2_layer_norm(MK(L2_FLOAT32, 2, 3), 1, &sz[i], NULL, NULL, 1e-5));
    CASE("more dims than x")
    FAIL_T(L2_ERR_SHAPE, l2_layer_norm(MK(L2_FLOAT32, 3), L2_SHAPE(1, 3), NULL, NULL, 1e-5));
    for (int i = 0; i < h_nscalars; i++)
        CASE("eps %g", h_scalars[i])
        ANY_T(l2_layer_norm(mk_kind(K_SPECIAL, L2_FLOAT64), L2_SHAPE(3), NULL, NULL, h_scalars[i]));
    CASE("weight of the wrong shape")
    FAIL_T(L2_ERR_SHAPE,
           l2_layer_norm(MK(L2_FLOAT32, 2, 3), L2_SHAPE(3), MK(L2_FLOAT32, 2), NULL, 1e-5));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_layer_norm(mk_kind(k, h_dtypes[d]), L2_SHAPE(3), NULL, NULL, 1e-5));
    CASE("weight dtype differs")
    ANY_T(
        l2_layer_norm(MK(L2_FLOAT32, 2, 3), L2_SHAPE(3), MK(L2_INT64, 3), MK(L2_FLOAT64, 3), 1e-5));
}

void h_l2_batch_norm(void)
{
    CASE("NULL x")
    FAIL_T(L2_ERR_NULL, l2_batch_norm(NULL, NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    CASE("eval without running stats")
    FAIL_T(L2_ERR_NULL,
           l2_batch_norm(MK(L2_FLOAT32, 2, 3), NULL, NULL, NULL, NULL, false, 0.1, 1e-5));
    CASE("1-d x")
    FAIL_T(L2_ERR_DIM, l2_batch_norm(MK(L2_FLOAT32, 3), NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    CASE("one value per channel")
    FAIL_T(L2_ERR_ARG,
           l2_batch_norm(MK(L2_FLOAT32, 1, 3), NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
    CASE("running_mean of the wrong shape")
    {
        l2_tensor *rm = MK(L2_FLOAT32, 4), *rv = l2_ones(L2_SHAPE(3), L2_FLOAT32);
        l2_tensor *s = h_snap(rv);
        FAIL_T(L2_ERR_SHAPE,
               l2_batch_norm(MK(L2_FLOAT32, 2, 3), rm, rv, NULL, NULL, true, 0.1, 1e-5));
        h_same(s, rv, __LINE__);
    }
    CASE("expanded running stats")
    {
        l2_tensor *rm = mk_kind(K_EXPANDED, L2_FLOAT32), *rv = mk_kind(K_EXPANDED, L2_FLOAT32);
        ANY_T(l2_batch_norm(MK(L2_FLOAT32, 2, 2, 3), l2_select(rm, 0, 0), l2_select(rv, 0, 0), NULL,
                            NULL, true, 0.1, 1e-5));
        ANY_T(l2_batch_norm(MK(L2_FLOAT32, 2, 2, 3), l2_select(rm, 1, 0), rv, NULL, NULL, true, 0.1,
                            1e-5));
    }
    CASE("running stats of another dtype")
    {
        l2_tensor *rm = MK(L2_INT64, 3), *rv = l2_ones(L2_SHAPE(3), L2_BOOL);
        ANY_T(l2_batch_norm(MK(L2_FLOAT32, 2, 3), rm, rv, NULL, NULL, true, 0.1, 1e-5));
    }
    for (int i = 0; i < h_nscalars; i++)
        CASE("momentum and eps %g", h_scalars[i])
        {
            l2_tensor *rm = l2_zeros(L2_SHAPE(3), L2_FLOAT64);
            l2_tensor *rv = l2_ones(L2_SHAPE(3), L2_FLOAT64);
            ANY_T(l2_batch_norm(mk_kind(K_SPECIAL, L2_FLOAT64), rm, rv, NULL, NULL, true,
                                h_scalars[i], h_scalars[i]));
        }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 1; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_batch_norm(mk_kind(k, h_dtypes[d]), NULL, NULL, NULL, NULL, true, 0.1, 1e-5));
}

/* ---- Convolution and pooling ------------------------------------------------------------------
 */

static const int64_t big_pairs[][2] = {
    {INT64_MAX, INT64_MAX},
    {INT64_MIN, 1},
    {-1, 1},
    {0, 1},
    {(int64_t)1 << 40, (int64_t)1 << 40},
    {(int64_t)1 << 62, 1},
    {1, INT64_MAX},
    {INT64_MAX / 2 + 1, 1},
};
#define N_BIG_PAIRS ((int)(sizeof big_pairs / sizeof big_pairs[0]))

void h_l2_conv2d(void)
{
    l2_tensor *(*f)(const l2_tensor *, const l2_tensor *, const l2_tensor *, const int64_t *,
                    const int64_t *, const int64_t *, int64_t) = l2_conv2d;
    CASE("NULL x")
    FAIL_T(L2_ERR_NULL, f(NULL, MK(L2_FLOAT32, 1, 1, 1, 1), NULL, NULL, NULL, NULL, 1));
    CASE("NULL w")
    FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 1, 1, 3, 3), NULL, NULL, NULL, NULL, NULL, 1));
    for (int i = 0; i < N_BIG_PAIRS; i++) {
        const int64_t *p = big_pairs[i];
        CASE("stride {%lld, %lld}", (long long)p[0], (long long)p[1])
        ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2), NULL, p, NULL, NULL, 1));
        CASE("padding {%lld, %lld}", (long long)p[0], (long long)p[1])
        ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2), NULL, NULL, p, NULL, 1));
        CASE("dilation {%lld, %lld}", (long long)p[0], (long long)p[1])
        ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2), NULL, NULL, NULL, p, 1));
        CASE("groups %lld", (long long)p[0])
        FAIL_T(H_ANY, f(MK(L2_FLOAT32, 1, 2, 3, 3), MK(L2_FLOAT32, 2, 1, 2, 2), NULL, NULL, NULL,
                        NULL, p[0] == 2 ? 3 : p[0]));
    }
    CASE("padding 2^40 with stride INT64_MAX")
    ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2), NULL,
            (const int64_t[]){INT64_MAX, INT64_MAX}, (const int64_t[]){BIG40, BIG40}, NULL, 1));
    CASE("kernel larger than input")
    FAIL_T(L2_ERR_SHAPE,
           f(MK(L2_FLOAT32, 1, 1, 2, 2), MK(L2_FLOAT32, 1, 1, 3, 3), NULL, NULL, NULL, NULL, 1));
    CASE("channel mismatch")
    FAIL_T(L2_ERR_SHAPE,
           f(MK(L2_FLOAT32, 1, 2, 3, 3), MK(L2_FLOAT32, 1, 3, 2, 2), NULL, NULL, NULL, NULL, 1));
    CASE("bias of the wrong shape")
    FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 2, 1, 2, 2),
                           MK(L2_FLOAT32, 3), NULL, NULL, NULL, 1));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        CASE("%s x, float32 w", l2_dtype_name(h_dtypes[d]))
    ANY_T(f(MK(h_dtypes[d], 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2), NULL, NULL, NULL, NULL, 1));
    CASE("rank 2 and rank 5 x")
    {
        FAIL_T(H_ANY,
               f(MK(L2_FLOAT32, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2), NULL, NULL, NULL, NULL, 1));
        FAIL_T(H_ANY, f(MK(L2_FLOAT32, 1, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2), NULL, NULL, NULL,
                        NULL, 1));
    }
    CASE("empty batch, zero-size kernel")
    {
        ANY_T(f(MK(L2_FLOAT32, 0, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 2, 2), NULL, NULL, NULL, NULL, 1));
        ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), MK(L2_FLOAT32, 1, 1, 0, 2), NULL, NULL, NULL, NULL, 1));
    }
    CASE("expanded huge input")
    ANY_T(f(l2_expand(MK(L2_FLOAT32, 1, 1, 1, 1), L2_SHAPE(1, 1, 1 << 20, 1 << 20)),
            MK(L2_FLOAT32, 1, 1, 1, 1), NULL, NULL, NULL, NULL, 1));
    CASE("special values, backward")
    {
        l2_tensor *x = l2_reshape(mk_kind(K_SPECIAL, L2_FLOAT64), L2_SHAPE(1, 1, 2, 3));
        l2_tensor *w = l2_clone(MK(L2_FLOAT64, 1, 1, 2, 2));
        l2_set_requires_grad(w, true);
        l2_tensor *r = ANY_T(f(x, w, NULL, NULL, (const int64_t[]){1, 1}, NULL, 1));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

typedef l2_tensor *(*h_pool_fn)(const l2_tensor *, const int64_t *, const int64_t *,
                                const int64_t *);

static void sweep_pool(h_pool_fn f)
{
    static const int64_t k2[2] = {2, 2};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, f(NULL, k2, NULL, NULL));
    CASE("NULL kernel") FAIL_T(L2_ERR_NULL, f(MK(L2_FLOAT32, 1, 1, 3, 3), NULL, NULL, NULL));
    for (int i = 0; i < N_BIG_PAIRS; i++) {
        const int64_t *p = big_pairs[i];
        CASE("kernel {%lld, %lld}", (long long)p[0], (long long)p[1])
        FAIL_T(H_ANY, f(MK(L2_FLOAT32, 1, 1, 3, 3), p, NULL, NULL));
        CASE("stride {%lld, %lld}", (long long)p[0], (long long)p[1])
        ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), k2, p, NULL));
        CASE("padding {%lld, %lld}", (long long)p[0], (long long)p[1])
        ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), k2, NULL, p));
        CASE("kernel {%lld, %lld}, padding {2^40, 2^40}", (long long)p[0], (long long)p[1])
        ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), p, NULL, (const int64_t[]){BIG40, BIG40}));
    }
    CASE("kernel INT64_MAX, padding INT64_MAX/2")
    {
        int64_t h = INT64_MAX / 2;
        ANY_T(f(MK(L2_FLOAT32, 1, 1, 3, 3), (const int64_t[]){INT64_MAX, INT64_MAX}, NULL,
                (const int64_t[]){h, h}));
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(f(mk_kind(k, h_dtypes[d]), (const int64_t[]){1, 1}, NULL, NULL));
    CASE("(1,1,2,3) specials, 3-d, 5-d")
    {
        ANY_T(f(l2_reshape(mk_kind(K_SPECIAL, L2_FLOAT32), L2_SHAPE(1, 1, 2, 3)), k2, NULL,
                (const int64_t[]){1, 1}));
        ANY_T(f(MK(L2_FLOAT64, 1, 3, 3), k2, NULL, NULL));
        FAIL_T(H_ANY, f(MK(L2_FLOAT64, 1, 1, 1, 3, 3), k2, NULL, NULL));
    }
    CASE("empty batch and zero channels")
    {
        ANY_T(f(MK(L2_FLOAT32, 0, 1, 3, 3), k2, NULL, NULL));
        ANY_T(f(MK(L2_FLOAT32, 1, 0, 3, 3), k2, NULL, NULL));
    }
    CASE("backward through specials")
    {
        l2_tensor *x = l2_reshape(mk_kind(K_SPECIAL, L2_FLOAT64), L2_SHAPE(1, 1, 2, 3));
        x = l2_clone(x);
        l2_set_requires_grad(x, true);
        l2_tensor *r = ANY_T(f(x, k2, (const int64_t[]){1, 1}, (const int64_t[]){1, 1}));
        if (r)
            ANY_S(l2_backward(l2_sum(r), NULL, false));
    }
}

void h_l2_max_pool2d(void)
{
    sweep_pool(l2_max_pool2d);
}

void h_l2_avg_pool2d(void)
{
    sweep_pool(l2_avg_pool2d);
}

void h_l2_adaptive_avg_pool2d(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_adaptive_avg_pool2d(NULL, (const int64_t[]){1, 1}));
    CASE("NULL size") FAIL_T(L2_ERR_NULL, l2_adaptive_avg_pool2d(MK(L2_FLOAT32, 1, 1, 3, 3), NULL));
    for (int i = 0; i < N_BIG_PAIRS; i++)
        CASE("output {%lld, %lld}", (long long)big_pairs[i][0], (long long)big_pairs[i][1])
        {
            if (big_pairs[i][0] < 0)
                FAIL_T(L2_ERR_ARG,
                       l2_adaptive_avg_pool2d(MK(L2_FLOAT32, 1, 1, 3, 3), big_pairs[i]));
            else if (big_pairs[i][0] > 1000)
                FAIL_T(H_BIG, l2_adaptive_avg_pool2d(MK(L2_FLOAT32, 1, 1, 3, 3), big_pairs[i]));
            else
                ANY_T(l2_adaptive_avg_pool2d(MK(L2_FLOAT32, 1, 1, 3, 3), big_pairs[i]));
        }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_adaptive_avg_pool2d(mk_kind(k, h_dtypes[d]), (const int64_t[]){1, 2}));
    CASE("zero H")
    FAIL_T(L2_ERR_SHAPE,
           l2_adaptive_avg_pool2d(MK(L2_FLOAT32, 1, 1, 0, 3), (const int64_t[]){1, 1}));
}

void h_l2_pad(void)
{
    static const int64_t pads[][2] = {
        {INT64_MAX, INT64_MAX},
        {INT64_MIN, 0},
        {0, INT64_MIN},
        {INT64_MAX, INT64_MIN},
        {-3, 0},
        {-4, 0},
        {-2, -1},
        {(int64_t)1 << 62, 0},
        {BIG40, BIG40},
        {INT64_MAX, -3},
    };
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_pad(NULL, 2, pads[0], 0));
    CASE("NULL pad") FAIL_T(L2_ERR_NULL, l2_pad(MK(L2_FLOAT32, 3), 2, NULL, 0));
    CASE("odd") FAIL_T(L2_ERR_ARG, l2_pad(MK(L2_FLOAT32, 3), 1, pads[0], 0));
    CASE("npad -2") FAIL_T(L2_ERR_ARG, l2_pad(MK(L2_FLOAT32, 3), -2, pads[0], 0));
    CASE("too long")
    FAIL_T(L2_ERR_ARG, l2_pad(MK(L2_FLOAT32, 3), 4, (const int64_t[]){1, 1, 1, 1}, 0));
    CASE("npad INT_MIN") FAIL_T(L2_ERR_ARG, l2_pad(MK(L2_FLOAT32, 3), INT_MIN, pads[0], 0));
    for (int i = 0; i < (int)(sizeof pads / sizeof pads[0]); i++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s, pad {%lld, %lld}", h_kind_name[k], (long long)pads[i][0],
                 (long long)pads[i][1])
            {
                int64_t a = pads[i][0], b = pads[i][1];
                if ((a > 1000 || b > 1000) && k != K_EMPTY)
                    FAIL_T(H_BIG, l2_pad(mk_kind(k, L2_FLOAT32), 2, pads[i], 0));
                else
                    ANY_T(l2_pad(mk_kind(k, L2_FLOAT32), 2, pads[i], 0));
            }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int i = 0; i < h_nscalars; i++)
            CASE("%s value %g", l2_dtype_name(h_dtypes[d]), h_scalars[i])
    ANY_T(l2_pad(MK(h_dtypes[d], 2), 2, (const int64_t[]){1, 1}, h_scalars[i]));
    CASE("0-d with a pad")
    FAIL_T(L2_ERR_ARG, l2_pad(mk_kind(K_0D, L2_FLOAT32), 2, (const int64_t[]){1, 1}, 0));
}

/* ---- the composed conv members (conv1d, 1-d pools, pixel shuffles; issue 14) -------------- */

static const int64_t h_scalar_args[] = {INT64_MIN, -1, 0, 1, 2, BIG40, INT64_MAX / 2 + 1,
                                        INT64_MAX};
#define N_SCALAR_ARGS ((int)(sizeof h_scalar_args / sizeof h_scalar_args[0]))

void h_l2_conv1d(void)
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_conv1d(NULL, MK(L2_FLOAT32, 1, 1, 1), NULL, 1, 0, 1, 1));
    CASE("NULL w") FAIL_T(L2_ERR_NULL, l2_conv1d(MK(L2_FLOAT32, 1, 1, 3), NULL, NULL, 1, 0, 1, 1));
    for (int i = 0; i < N_SCALAR_ARGS; i++) {
        int64_t v = h_scalar_args[i];
        CASE("stride, padding, dilation, groups %lld", (long long)v)
        {
            ANY_T(l2_conv1d(MK(L2_FLOAT32, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 2), NULL, v, 0, 1, 1));
            ANY_T(l2_conv1d(MK(L2_FLOAT32, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 2), NULL, 1, v, 1, 1));
            ANY_T(l2_conv1d(MK(L2_FLOAT32, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 2), NULL, 1, 0, v, 1));
            ANY_T(l2_conv1d(MK(L2_FLOAT32, 1, 2, 3), MK(L2_FLOAT32, 2, 1, 2), NULL, 1, 0, 1, v));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s x", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_conv1d(mk_kind(k, h_dtypes[d]), MK(L2_FLOAT32, 1, 3, 1), NULL, 1, 0, 1, 1));
    CASE("rank 1 and rank 4 x, rank 4 w")
    {
        FAIL_T(L2_ERR_SHAPE, l2_conv1d(MK(L2_FLOAT32, 3), MK(L2_FLOAT32, 1, 1, 1), NULL, 1, 0, 1,
                                       1));
        FAIL_T(L2_ERR_SHAPE, l2_conv1d(MK(L2_FLOAT32, 1, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 1), NULL,
                                       1, 0, 1, 1));
        FAIL_T(L2_ERR_SHAPE, l2_conv1d(MK(L2_FLOAT32, 1, 1, 3), MK(L2_FLOAT32, 1, 1, 1, 1), NULL,
                                       1, 0, 1, 1));
    }
}

static void sweep_pool1d(l2_tensor *(*f)(const l2_tensor *, int64_t, int64_t, int64_t))
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, f(NULL, 2, 0, 0));
    for (int i = 0; i < N_SCALAR_ARGS; i++) {
        int64_t v = h_scalar_args[i];
        CASE("kernel, stride, padding %lld", (long long)v)
        {
            ANY_T(f(MK(L2_FLOAT32, 1, 1, 3), v, 0, 0));
            ANY_T(f(MK(L2_FLOAT32, 1, 1, 3), 2, v, 0));
            ANY_T(f(MK(L2_FLOAT32, 1, 1, 3), 2, 1, v));
            ANY_T(f(MK(L2_FLOAT32, 1, 1, 3), v, 1, v / 2));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(f(mk_kind(k, h_dtypes[d]), 1, 0, 0));
    CASE("rank 1 and rank 4") {
        FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 3), 1, 0, 0));
        FAIL_T(L2_ERR_SHAPE, f(MK(L2_FLOAT32, 1, 1, 1, 3), 1, 0, 0));
    }
}

void h_l2_max_pool1d(void)
{
    sweep_pool1d(l2_max_pool1d);
}

void h_l2_avg_pool1d(void)
{
    sweep_pool1d(l2_avg_pool1d);
}

static void sweep_shuffle(l2_tensor *(*f)(const l2_tensor *, int64_t))
{
    CASE("NULL x") FAIL_T(L2_ERR_NULL, f(NULL, 2));
    for (int i = 0; i < N_SCALAR_ARGS; i++)
        CASE("factor %lld", (long long)h_scalar_args[i])
    ANY_T(f(MK(L2_FLOAT32, 1, 4, 2, 2), h_scalar_args[i]));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(f(mk_kind(k, h_dtypes[d]), 1));
    CASE("huge expanded input, factor 2^20")
    ANY_T(f(l2_expand(MK(L2_FLOAT32, 1, 1, 1), L2_SHAPE(1, 1, 1 << 20, 1 << 20)), 1 << 20));
}

void h_l2_pixel_shuffle(void)
{
    sweep_shuffle(l2_pixel_shuffle);
}

void h_l2_pixel_unshuffle(void)
{
    sweep_shuffle(l2_pixel_unshuffle);
}

void h_l2_interpolate(void)
{
    static const int64_t s4[2] = {4, 4};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_interpolate(NULL, s4, NULL, L2_INTERP_NEAREST, false));
    for (int i = 0; i < N_BIG_PAIRS; i++)
        CASE("size {%lld, %lld}", (long long)big_pairs[i][0], (long long)big_pairs[i][1])
    ANY_T(l2_interpolate(MK(L2_FLOAT32, 1, 1, 3, 3), big_pairs[i], NULL, L2_INTERP_BILINEAR,
                         false));
    static const double scales[][2] = {{0, 1}, {-1, 1}, {1e-300, 1}, {1e300, 1}, {INFINITY, 1},
                                       {NAN, 1}, {1e9, 1e9}, {0.5, 0.5}};
    for (int i = 0; i < (int)(sizeof scales / sizeof scales[0]); i++)
        for (int m = 0; m < 4; m++)
            CASE("scale {%g, %g} mode %d", scales[i][0], scales[i][1], m)
    ANY_T(l2_interpolate(MK(L2_FLOAT32, 1, 1, 3, 3), NULL, scales[i], (l2_interp_mode)m,
                         false));
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_interpolate(mk_kind(k, h_dtypes[d]), s4, NULL, L2_INTERP_BICUBIC, true));
    CASE("modes out of range") {
        FAIL_T(L2_ERR_ARG, l2_interpolate(MK(L2_FLOAT32, 1, 1, 3, 3), s4, NULL,
                                          (l2_interp_mode)-1, false));
        FAIL_T(L2_ERR_ARG, l2_interpolate(MK(L2_FLOAT32, 1, 1, 3, 3), s4, NULL,
                                          (l2_interp_mode)4, false));
    }
    CASE("expanded huge input")
    ANY_T(l2_interpolate(l2_expand(MK(L2_FLOAT32, 1, 1, 1, 1), L2_SHAPE(1, 1, 1 << 20, 1 << 20)),
                         s4, NULL, L2_INTERP_BILINEAR, false));
}

void h_l2_unfold(void)
{
    static const int64_t k2[2] = {2, 2};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_unfold(NULL, k2, NULL, NULL, NULL));
    CASE("NULL kernel") FAIL_T(L2_ERR_NULL, l2_unfold(MK(L2_FLOAT32, 1, 1, 3, 3), NULL, NULL, NULL,
                                                      NULL));
    for (int i = 0; i < N_BIG_PAIRS; i++) {
        const int64_t *p = big_pairs[i];
        CASE("pairs {%lld, %lld}", (long long)p[0], (long long)p[1])
        {
            ANY_T(l2_unfold(MK(L2_FLOAT32, 1, 1, 3, 3), p, NULL, NULL, NULL));
            ANY_T(l2_unfold(MK(L2_FLOAT32, 1, 1, 3, 3), k2, p, NULL, NULL));
            ANY_T(l2_unfold(MK(L2_FLOAT32, 1, 1, 3, 3), k2, NULL, p, NULL));
            ANY_T(l2_unfold(MK(L2_FLOAT32, 1, 1, 3, 3), k2, NULL, NULL, p));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_unfold(mk_kind(k, h_dtypes[d]), (const int64_t[]){1, 1}, NULL, NULL, NULL));
}

void h_l2_fold(void)
{
    static const int64_t k2[2] = {2, 2}, o3[2] = {3, 3};
    CASE("NULL x") FAIL_T(L2_ERR_NULL, l2_fold(NULL, o3, k2, NULL, NULL, NULL));
    CASE("NULL output_size") FAIL_T(L2_ERR_NULL, l2_fold(MK(L2_FLOAT32, 1, 4, 4), NULL, k2, NULL,
                                                         NULL, NULL));
    for (int i = 0; i < N_BIG_PAIRS; i++) {
        const int64_t *p = big_pairs[i];
        CASE("pairs {%lld, %lld}", (long long)p[0], (long long)p[1])
        {
            ANY_T(l2_fold(MK(L2_FLOAT32, 1, 4, 4), p, k2, NULL, NULL, NULL));
            ANY_T(l2_fold(MK(L2_FLOAT32, 1, 4, 4), o3, p, NULL, NULL, NULL));
            ANY_T(l2_fold(MK(L2_FLOAT32, 1, 4, 4), o3, k2, p, NULL, NULL));
            ANY_T(l2_fold(MK(L2_FLOAT32, 1, 4, 4), o3, k2, NULL, p, NULL));
            ANY_T(l2_fold(MK(L2_FLOAT32, 1, 4, 4), o3, k2, NULL, NULL, p));
        }
    }
    for (int d = 0; d < L2_DTYPE_COUNT; d++)
        for (int k = 0; k < K_COUNT; k++)
            CASE("%s %s", l2_dtype_name(h_dtypes[d]), h_kind_name[k])
    ANY_T(l2_fold(mk_kind(k, h_dtypes[d]), (const int64_t[]){1, 3}, (const int64_t[]){1, 1},
                  NULL, NULL, NULL));
}
