/* cases-half.c: bfloat16 compute (issue 16, the half route of l2.h): linear, gelu, softmax and
 * conv2d on bfloat16 tensors, forward and forward + backward, in every profile. libl2 converts
 * to float32, runs the float32 op and rounds the result; torch 1.13 runs its bfloat16 CPU
 * kernels. The torch twins are in bench/torch_half.py (same names, dtype tag "bf16"). */
#include <stdio.h>

#include "cases.h"

enum { H_LINEAR, H_GELU, H_SOFTMAX, H_CONV2D, H_COUNT };

static const struct {
    const char *op, *variant, *shape;
    int64_t out[4]; /* the result's shape */
    int out_ndim, nin;
    double items; /* output elements */
} rows[H_COUNT] = {
    [H_LINEAR] = {"linear", "bias", "256x1024-512x1024", {256, 512}, 2, 3, 256.0 * 512},
    [H_GELU] = {"gelu", "contig", "512x1024", {512, 1024}, 2, 1, 512.0 * 1024},
    [H_SOFTMAX] = {"softmax", "dim1", "256x1024", {256, 1024}, 2, 1, 256.0 * 1024},
    [H_CONV2D] = {"conv2d", "k3p1", "8x16x32x32-32x16x3x3", {8, 32, 32, 32}, 4, 3,
                  8.0 * 32 * 32 * 32},
};

static l2_tensor *randn_bf16(int ndim, const int64_t *shape)
{
    l2_tensor *f = l2_randn(ndim, shape, L2_FLOAT32), *h = f ? l2_to_dtype(f, L2_BFLOAT16) : NULL;
    l2_tensor_release(f);
    return h;
}

static void *setup_half(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int k = (int)c->p[5];
    l2_manual_seed(1);
    switch (k) {
    case H_LINEAR:
        d->t[0] = randn_bf16(L2_SHAPE(256, 1024));
        d->t[1] = randn_bf16(L2_SHAPE(512, 1024));
        d->t[2] = randn_bf16(L2_SHAPE(512));
        break;
    case H_CONV2D:
        d->t[0] = randn_bf16(L2_SHAPE(8, 16, 32, 32));
        d->t[1] = randn_bf16(L2_SHAPE(32, 16, 3, 3));
        d->t[2] = randn_bf16(L2_SHAPE(32));
        break;
    case H_GELU: d->t[0] = randn_bf16(L2_SHAPE(512, 1024)); break;
    default: d->t[0] = randn_bf16(L2_SHAPE(256, 1024)); break;
    }
    d = grad_epilogue(d, rows[k].nin, 0, rows[k].nin - 1, rows[k].out_ndim, rows[k].out);
    if (d && d->t[7]) { /* the upstream gradient in bfloat16 too, as the torch twin's */
        l2_tensor *g = l2_to_dtype(d->t[7], L2_BFLOAT16);
        l2_tensor_release(d->t[7]);
        d->t[7] = g;
        if (!g) {
            bdata_free(d);
            return NULL;
        }
    }
    return d;
}

static l2_tensor *half_of(bdata *d)
{
    l2_tensor **t = d->t;
    switch (d->c->p[5]) {
    case H_LINEAR: return l2_linear(t[0], t[1], t[2]);
    case H_GELU: return l2_gelu(t[0], false);
    case H_SOFTMAX: return l2_softmax(t[0], 1);
    default:
        return l2_conv2d(t[0], t[1], t[2], (const int64_t[]){1, 1}, (const int64_t[]){1, 1},
                         (const int64_t[]){1, 1}, 1);
    }
}

static int run_half(void *p) { return bench_consume(half_of(p)); }

static int run_half_bwd(void *p)
{
    bdata *d = p;
    return nn_finish_bwd(d, half_of(d), 0, rows[d->c->p[5]].nin - 1);
}

void bench_cases_half(void)
{
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < H_COUNT; k++) {
            bench_case c = nn_case(rows[k].op, grad, rows[k].variant, rows[k].shape, setup_half,
                                   grad ? run_half_bwd : run_half);
            snprintf(c.name, sizeof c.name, "%s%s/bf16/%s/%s", rows[k].op, grad ? "+bwd" : "",
                     rows[k].variant, rows[k].shape);
            c.p[5] = k;
            c.items = rows[k].items;
            c.bytes = 4.0 * c.items;
            bench_add(c, NULL);
        }
}
