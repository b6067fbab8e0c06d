/* cases-conv3.c: the conv3 ops of issue 14 (conv3d, max_pool3d, avg_pool3d,
 * adaptive_max_pool2d, max_unpool2d) and conv_transpose3d (issue 15), forward and forward +
 * backward, float32, in the full profile only. One table row per case; the torch twins are in bench/torch_conv3.py (same
 * names). */
#include "cases.h"

enum { C_CONV3D, C_MAXPOOL3D, C_AVGPOOL3D, C_ADAPTIVE_MAX, C_UNPOOL, C_TCONV3D, C_COUNT };

static const struct {
    const char *op, *variant, *shape;
    int64_t out[5]; /* the result's shape (the backward's ones) */
    int out_ndim;
    double items; /* output elements */
} rows[C_COUNT] = {
    [C_CONV3D] = {"conv3d", "k3p1", "2x8x16x16x16-16x8x3x3x3", {2, 16, 16, 16, 16}, 5,
                  2.0 * 16 * 16 * 16 * 16},
    [C_MAXPOOL3D] = {"max_pool3d", "k2", "4x16x16x16x16", {4, 16, 8, 8, 8}, 5,
                     4.0 * 16 * 8 * 8 * 8},
    [C_AVGPOOL3D] = {"avg_pool3d", "k2", "4x16x16x16x16", {4, 16, 8, 8, 8}, 5,
                     4.0 * 16 * 8 * 8 * 8},
    [C_ADAPTIVE_MAX] = {"adaptive_max_pool2d", "o7", "16x32x32x32", {16, 32, 7, 7}, 4,
                        16.0 * 32 * 7 * 7},
    [C_UNPOOL] = {"max_unpool2d", "k2", "16x32x16x16", {16, 32, 32, 32}, 4, 16.0 * 32 * 32 * 32},
    /* issue 15, session 15: stride 2, padding 1, output_padding 1 (an exact 2x upsampling) */
    [C_TCONV3D] = {"conv_transpose3d", "k3s2", "8x16x8x16x16-16x8x3x3x3", {8, 8, 16, 32, 32}, 5,
                   8.0 * 8 * 16 * 32 * 32},
};

/* t[0] the input (requires grad in a backward case); t[1], t[2] conv3d's weight and bias or
 * max_unpool2d's indices (from max_pool2d_ex over a 32x32 input). */
static void *setup_conv3(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int k = (int)c->p[5], n = 1;
    l2_manual_seed(1);
    switch (k) {
    case C_CONV3D:
        d->t[0] = l2_randn(L2_SHAPE(2, 8, 16, 16, 16), L2_FLOAT32);
        d->t[1] = l2_randn(L2_SHAPE(16, 8, 3, 3, 3), L2_FLOAT32);
        d->t[2] = l2_randn(L2_SHAPE(16), L2_FLOAT32);
        n = 3;
        break;
    case C_TCONV3D:
        d->t[0] = l2_randn(L2_SHAPE(8, 16, 8, 16, 16), L2_FLOAT32);
        d->t[1] = l2_randn(L2_SHAPE(16, 8, 3, 3, 3), L2_FLOAT32);
        d->t[2] = l2_randn(L2_SHAPE(8), L2_FLOAT32);
        n = 3;
        break;
    case C_ADAPTIVE_MAX: d->t[0] = l2_randn(L2_SHAPE(16, 32, 32, 32), L2_FLOAT32); break;
    case C_UNPOOL: {
        l2_tensor *x = l2_randn(L2_SHAPE(16, 32, 32, 32), L2_FLOAT32);
        d->t[0] = x ? l2_max_pool2d_ex(x, (const int64_t[]){2, 2}, NULL, NULL, NULL, false,
                                       &d->t[1])
                    : NULL;
        l2_tensor_release(x);
        n = 2;
        break;
    }
    default: d->t[0] = l2_randn(L2_SHAPE(4, 16, 16, 16, 16), L2_FLOAT32); break;
    }
    return grad_epilogue(d, n, 0, k == C_CONV3D || k == C_TCONV3D ? 2 : 0, rows[k].out_ndim,
                         rows[k].out);
}

static l2_tensor *conv3_of(bdata *d)
{
    l2_tensor **t = d->t;
    static const int64_t k2[3] = {2, 2, 2}, p1[3] = {1, 1, 1};
    switch (d->c->p[5]) {
    case C_CONV3D: return l2_conv3d(t[0], t[1], t[2], NULL, p1, NULL, 1);
    case C_TCONV3D: return l2_conv_transpose3d(t[0], t[1], t[2], k2, p1, p1, 1, NULL);
    case C_MAXPOOL3D: {
        l2_tensor *idx = NULL, *y = l2_max_pool3d(t[0], k2, NULL, NULL, NULL, false, &idx);
        l2_tensor_release(idx);
        return y;
    }
    case C_AVGPOOL3D: return l2_avg_pool3d(t[0], k2, NULL, NULL, false, true, 0);
    case C_ADAPTIVE_MAX: {
        l2_tensor *idx = NULL, *y = l2_adaptive_max_pool2d(t[0], (const int64_t[]){7, 7}, &idx);
        l2_tensor_release(idx);
        return y;
    }
    default: return l2_max_unpool2d(t[0], t[1], k2, NULL, NULL, NULL);
    }
}

static int run_conv3(void *p) { return bench_consume(conv3_of(p)); }

static int run_conv3_bwd(void *p)
{
    bdata *d = p;
    int64_t k = d->c->p[5];
    return nn_finish_bwd(d, conv3_of(d), 0, k == C_CONV3D || k == C_TCONV3D ? 2 : 0);
}

void bench_cases_conv3(void)
{
    if (!bench_full_profile())
        return;
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < C_COUNT; k++) {
            bench_case c = nn_case(rows[k].op, grad, rows[k].variant, rows[k].shape,
                                   setup_conv3, grad ? run_conv3_bwd : run_conv3);
            c.p[5] = k;
            c.items = rows[k].items;
            c.bytes = 8.0 * c.items;
            bench_add(c, NULL);
        }
}
