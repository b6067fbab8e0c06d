/* test-cg-conv.c: second derivatives (create_graph, issue 15) of the convolutions, pools and
 * constant padding (libl2/ops/conv-cg.c): gradgradcheck (float64, against central differences of
 * libl2's plain first derivative, for every input and the upstream gradient) over their variants:
 * groups, stride, padding, dilation, output_padding, unbatched and non-contiguous inputs, ceil_mode,
 * count_include_pad, divisor_override, cropping pads, and conv3d and conv_transpose3d (issue 15,
 * session 15); and an op without a differentiable backward (hardsigmoid: torch 1.13 has none)
 * failing clearly. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <string.h>

/* The case under test: one op over in[0] (x), in[1] (w), in[2] (b) as the case needs. */
typedef struct {
    int op;
    int64_t a[2], b[2], c[2], d[2], e[2];
    int64_t groups;
    bool flag0, flag1, view;
    int64_t div;
    l2_tensor *ix; /* max_unpool2d's indices */
    int64_t t3[5][3]; /* conv3d / conv_transpose3d: stride, padding, dilation, output_padding */
} cs;

enum { CONV2D, CONVT2D, MAXP, AVGP, ADAPT, PAD, MAXPEX, AVGPEX, MAXP3, AVGP3, AMAXP, UNPOOL,
       CONV3D, CONVT3D };

static l2_tensor *run(l2_tensor *const *in, void *ctx)
{
    const cs *c = ctx;
    l2_tensor *x = in[0], *r = NULL;
    int64_t k3[3] = {c->a[0], c->a[1], c->a[1]}, s3[3] = {c->b[0], c->b[1], c->b[1]},
            p3[3] = {c->c[0], c->c[1], c->c[1]};
    switch (c->op) {
    case CONV2D:
        r = l2_conv2d(x, in[1], c->flag0 ? in[2] : NULL, c->a, c->b, c->c, c->groups);
        break;
    case CONVT2D:
        r = l2_conv_transpose2d(x, in[1], c->flag0 ? in[2] : NULL, c->a, c->b, c->d, c->groups,
                                c->c);
        break;
    case MAXP:
        r = l2_max_pool2d(x, c->a, c->b[0] ? c->b : NULL, c->c);
        break;
    case AVGP:
        r = l2_avg_pool2d(x, c->a, c->b, c->c);
        break;
    case ADAPT:
        r = l2_adaptive_avg_pool2d(x, c->a);
        break;
    case PAD: {
        int64_t pad[4] = {c->a[0], c->a[1], c->b[0], c->b[1]};
        r = l2_pad(x, 4, pad, 0.5);
        break;
    }
    case MAXPEX:
        r = l2_max_pool2d_ex(x, c->a, c->b, c->c, c->d, c->flag0, NULL);
        break;
    case AVGPEX:
        r = l2_avg_pool2d_ex(x, c->a, c->b, c->c, c->flag0, c->flag1, c->div);
        break;
    case MAXP3:
        r = l2_max_pool3d(x, k3, s3, p3, NULL, c->flag0, NULL);
        break;
    case AVGP3:
        r = l2_avg_pool3d(x, k3, s3, p3, c->flag0, c->flag1, c->div);
        break;
    case AMAXP:
        r = l2_adaptive_max_pool2d(x, c->a, NULL);
        break;
    case UNPOOL:
        r = l2_max_unpool2d(x, c->ix, c->a, NULL, NULL, NULL);
        break;
    case CONV3D:
        r = l2_conv3d(x, in[1], c->flag0 ? in[2] : NULL, c->t3[0], c->t3[1], c->t3[2], c->groups);
        break;
    case CONVT3D:
        r = l2_conv_transpose3d(x, in[1], c->flag0 ? in[2] : NULL, c->t3[0], c->t3[1], c->t3[3],
                                c->groups, c->t3[2]);
        break;
    }
    return r;
}

static void gg(const char *name, cs c, int n, int xd, const int64_t *xs, int wd,
               const int64_t *ws, int64_t nb)
{
    l2_tensor *in[3] = {gc_leaf(xd, xs, -1, 1), n > 1 ? gc_leaf(wd, ws, -1, 1) : NULL,
                        n > 2 ? gc_leaf(1, &nb, -1, 1) : NULL};
    if (c.view) {
        /* a non-contiguous leaf: x's last two dims swapped in memory */
        int64_t ts[5];
        memcpy(ts, xs, sizeof(int64_t) * (size_t)xd);
        ts[xd - 1] = xs[xd - 2];
        ts[xd - 2] = xs[xd - 1];
        l2_tensor *base = l2_uniform(xd, ts, -1, 1, L2_FLOAT64);
        l2_tensor_release(in[0]);
        in[0] = l2_transpose(base, -1, -2);
        l2_tensor_release(base);
        l2_set_requires_grad(in[0], true);
        ok(!l2_is_contiguous(in[0]), "%s: x is a non-contiguous leaf", name);
    }
    if (c.op == UNPOOL) {
        /* fixed indices from a pool over an input twice x's size (no ties) */
        int64_t ss[4] = {xs[0], xs[1], xs[2] * 2, xs[3] * 2};
        l2_tensor *src = l2_uniform(4, ss, -1, 1, L2_FLOAT64);
        l2_tensor *m = l2_max_pool2d_ex(src, c.a, NULL, NULL, NULL, false, &c.ix);
        l2_tensor_release(m);
        l2_tensor_release(src);
    }
    ok(gradgradcheck(name, run, n, in, &c), "gradgradcheck %s", name);
    cg_oom_sweep(name, run, n, in, &c);
    for (int i = 0; i < 3; i++)
        l2_tensor_release(in[i]);
    l2_tensor_release(c.ix);
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    /* conv2d: groups, stride (a remainder: output padding in dx), padding, dilation, bias */
    gg("conv2d groups=2 stride (2,1) pad (1,0) dil (1,2) bias",
       (cs){.op = CONV2D, .a = {2, 1}, .b = {1, 0}, .c = {1, 2}, .groups = 2, .flag0 = true}, 3,
       4, (int64_t[]){2, 4, 6, 6}, 4, (int64_t[]){6, 2, 3, 2}, 6);
    gg("conv2d unbatched, no bias",
       (cs){.op = CONV2D, .a = {1, 1}, .b = {0, 1}, .c = {1, 1}, .groups = 1}, 2, 3,
       (int64_t[]){3, 4, 5}, 4, (int64_t[]){2, 3, 3, 3}, 0);
    gg("conv2d non-contiguous x, stride 3",
       (cs){.op = CONV2D, .a = {3, 2}, .b = {1, 1}, .c = {1, 1}, .groups = 1, .flag0 = true,
            .view = true},
       3, 4, (int64_t[]){1, 2, 7, 5}, 4, (int64_t[]){3, 2, 2, 3}, 3);
    /* conv_transpose2d: w (C, O/G, kH, kW); output_padding below the stride, and one at least
     * the stride (allowed by a larger dilation) */
    gg("conv_transpose2d groups=2 stride 2 pad (1,0) outpad (1,0) dil (1,2) bias",
       (cs){.op = CONVT2D, .a = {2, 2}, .b = {1, 0}, .c = {1, 2}, .d = {1, 0}, .groups = 2,
            .flag0 = true},
       3, 4, (int64_t[]){2, 4, 3, 3}, 4, (int64_t[]){4, 3, 3, 2}, 6);
    gg("conv_transpose2d outpad >= stride (dilation 2), unbatched",
       (cs){.op = CONVT2D, .a = {1, 1}, .b = {0, 1}, .c = {2, 2}, .d = {1, 1}, .groups = 1}, 2,
       3, (int64_t[]){2, 3, 4}, 4, (int64_t[]){2, 2, 2, 3}, 0);
    gg("conv_transpose2d non-contiguous x",
       (cs){.op = CONVT2D, .a = {2, 1}, .b = {0, 0}, .c = {1, 1}, .d = {0, 0}, .groups = 1,
            .flag0 = true, .view = true},
       3, 4, (int64_t[]){1, 2, 4, 3}, 4, (int64_t[]){2, 3, 2, 2}, 3);
    /* max_pool2d: the general loop (padding, overlap) and the 2x2 stride-2 one (odd sizes) */
    gg("max_pool2d 3x3 stride 2 pad 1",
       (cs){.op = MAXP, .a = {3, 3}, .b = {2, 2}, .c = {1, 1}}, 1, 4, (int64_t[]){2, 2, 5, 5}, 0,
       NULL, 0);
    gg("max_pool2d 2x2 stride 2 (byte codes), odd width",
       (cs){.op = MAXP, .a = {2, 2}, .b = {0, 0}, .c = {0, 0}}, 1, 4, (int64_t[]){1, 2, 4, 5}, 0,
       NULL, 0);
    gg("max_pool2d unbatched non-contiguous",
       (cs){.op = MAXP, .a = {2, 3}, .b = {1, 2}, .c = {1, 0}, .view = true}, 1, 3,
       (int64_t[]){2, 5, 4}, 0, NULL, 0);
    gg("avg_pool2d 3x2 stride (2,1) pad (1,1)",
       (cs){.op = AVGP, .a = {3, 2}, .b = {2, 1}, .c = {1, 1}}, 1, 4, (int64_t[]){2, 2, 5, 4}, 0,
       NULL, 0);
    gg("avg_pool2d unbatched non-contiguous",
       (cs){.op = AVGP, .a = {2, 2}, .b = {1, 2}, .c = {0, 1}, .view = true}, 1, 3,
       (int64_t[]){2, 4, 5}, 0, NULL, 0);
    gg("adaptive_avg_pool2d 5x7 -> 3x4", (cs){.op = ADAPT, .a = {3, 4}}, 1, 4,
       (int64_t[]){2, 2, 5, 7}, 0, NULL, 0);
    gg("adaptive_avg_pool2d unbatched non-contiguous 4x6 -> 4x2",
       (cs){.op = ADAPT, .a = {4, 2}, .view = true}, 1, 3, (int64_t[]){2, 6, 4}, 0, NULL, 0);
    gg("constant_pad_nd (1, 2, -1, 1)", (cs){.op = PAD, .a = {1, 2}, .b = {-1, 1}}, 1, 3,
       (int64_t[]){2, 3, 4}, 0, NULL, 0);
    gg("constant_pad_nd crops (-2, 0, 2, -1) non-contiguous",
       (cs){.op = PAD, .a = {-2, 0}, .b = {2, -1}, .view = true}, 1, 3, (int64_t[]){2, 4, 3}, 0,
       NULL, 0);
    /* max_pool2d_ex: dilation, ceil_mode */
    gg("max_pool2d_ex dil 2 ceil_mode pad 1",
       (cs){.op = MAXPEX, .a = {3, 2}, .b = {2, 2}, .c = {1, 1}, .d = {2, 1}, .flag0 = true}, 1,
       4, (int64_t[]){2, 2, 6, 5}, 0, NULL, 0);
    gg("max_pool2d_ex unbatched non-contiguous",
       (cs){.op = MAXPEX, .a = {2, 2}, .b = {1, 1}, .c = {0, 0}, .d = {1, 1}, .view = true}, 1, 3,
       (int64_t[]){2, 4, 3}, 0, NULL, 0);
    /* avg_pool2d_ex: ceil_mode with and without count_include_pad, divisor_override */
    gg("avg_pool2d_ex ceil_mode count_include_pad",
       (cs){.op = AVGPEX, .a = {3, 2}, .b = {2, 2}, .c = {1, 1}, .flag0 = true, .flag1 = true},
       1, 4, (int64_t[]){1, 2, 6, 5}, 0, NULL, 0);
    gg("avg_pool2d_ex ceil_mode, padding not counted",
       (cs){.op = AVGPEX, .a = {3, 2}, .b = {2, 2}, .c = {1, 1}, .flag0 = true}, 1, 4,
       (int64_t[]){1, 2, 6, 5}, 0, NULL, 0);
    gg("avg_pool2d_ex divisor_override 5 non-contiguous",
       (cs){.op = AVGPEX, .a = {2, 2}, .b = {1, 2}, .c = {1, 0}, .flag1 = true, .div = 5,
            .view = true},
       1, 4, (int64_t[]){1, 2, 4, 5}, 0, NULL, 0);
    /* 3-d pools, adaptive max pooling, max unpooling */
    gg("max_pool3d 2x3x3 stride (1,2,2) pad (0,1,1) ceil",
       (cs){.op = MAXP3, .a = {2, 3}, .b = {1, 2}, .c = {0, 1}, .flag0 = true}, 1, 5,
       (int64_t[]){1, 2, 3, 5, 4}, 0, NULL, 0);
    gg("avg_pool3d ceil, padding not counted",
       (cs){.op = AVGP3, .a = {2, 3}, .b = {2, 2}, .c = {1, 1}, .flag0 = true}, 1, 5,
       (int64_t[]){1, 2, 3, 5, 4}, 0, NULL, 0);
    gg("avg_pool3d count_include_pad divisor_override 7 unbatched",
       (cs){.op = AVGP3, .a = {2, 2}, .b = {1, 2}, .c = {1, 0}, .flag1 = true, .div = 7}, 1, 4,
       (int64_t[]){2, 3, 4, 4}, 0, NULL, 0);
    gg("adaptive_max_pool2d 5x7 -> 3x4", (cs){.op = AMAXP, .a = {3, 4}}, 1, 4,
       (int64_t[]){2, 2, 5, 7}, 0, NULL, 0);
    gg("adaptive_max_pool2d unbatched non-contiguous -> 2x2",
       (cs){.op = AMAXP, .a = {2, 2}, .view = true}, 1, 3, (int64_t[]){2, 5, 4}, 0, NULL, 0);
    gg("max_unpool2d kernel 2", (cs){.op = UNPOOL, .a = {2, 2}}, 1, 4, (int64_t[]){2, 2, 2, 3}, 0,
       NULL, 0);
    gg("max_unpool2d kernel 2 non-contiguous", (cs){.op = UNPOOL, .a = {2, 2}, .view = true}, 1, 4,
       (int64_t[]){1, 2, 3, 2}, 0, NULL, 0);

    /* conv3d and conv_transpose3d (issue 15, session 15): groups, strides with a remainder
     * (output padding in conv3d's dx), padding, dilation, output_padding at least the stride
     * (allowed by a larger dilation), unbatched, non-contiguous x */
    gg("conv3d groups=2 stride (2,1,2) pad (1,0,1) dil (1,2,1) bias",
       (cs){.op = CONV3D, .t3 = {{2, 1, 2}, {1, 0, 1}, {1, 2, 1}}, .groups = 2, .flag0 = true},
       3, 5, (int64_t[]){2, 4, 4, 4, 5}, 5, (int64_t[]){4, 2, 2, 2, 2}, 4);
    gg("conv3d unbatched, no bias, stride 3",
       (cs){.op = CONV3D, .t3 = {{3, 1, 1}, {0, 1, 0}, {1, 1, 1}}, .groups = 1}, 2, 4,
       (int64_t[]){2, 5, 3, 4}, 5, (int64_t[]){3, 2, 2, 3, 2}, 0);
    gg("conv3d non-contiguous x, groups=3",
       (cs){.op = CONV3D, .t3 = {{1, 2, 1}, {0, 0, 1}, {1, 1, 2}}, .groups = 3, .flag0 = true,
            .view = true},
       3, 5, (int64_t[]){1, 3, 3, 4, 4}, 5, (int64_t[]){3, 1, 2, 2, 2}, 3);
    gg("conv_transpose3d groups=2 stride (2,1,2) pad (1,0,0) outpad (1,0,1) bias",
       (cs){.op = CONVT3D, .t3 = {{2, 1, 2}, {1, 0, 0}, {1, 1, 1}, {1, 0, 1}}, .groups = 2,
            .flag0 = true},
       3, 5, (int64_t[]){2, 4, 2, 3, 2}, 5, (int64_t[]){4, 2, 3, 2, 2}, 4);
    gg("conv_transpose3d outpad >= stride (dilation 2), unbatched",
       (cs){.op = CONVT3D, .t3 = {{1, 1, 1}, {0, 1, 0}, {2, 1, 2}, {1, 0, 1}}, .groups = 1}, 2,
       4, (int64_t[]){2, 2, 3, 2}, 5, (int64_t[]){2, 2, 2, 2, 2}, 0);
    gg("conv_transpose3d non-contiguous x",
       (cs){.op = CONVT3D, .t3 = {{2, 2, 1}, {0, 0, 1}, {1, 1, 1}, {0, 1, 0}}, .groups = 1,
            .flag0 = true, .view = true},
       3, 5, (int64_t[]){1, 2, 2, 3, 2}, 5, (int64_t[]){2, 2, 2, 2, 3}, 2);

    /* hardsigmoid has no differentiable backward (torch 1.13 has no double backward for it):
     * a clear error, nothing returned */
    {
        l2_tensor *x = gc_leaf(2, (int64_t[]){3, 4}, -4, 4);
        l2_tensor *y = l2_hardsigmoid(x), *g = NULL;
        l2_tensor *v = l2_ones_like(y);
        l2_status st = l2_autograd_grad_ex(1, &y, &v, 1, &x, &g, true, true, false);
        l2_tensor_release(v);
        ok(st == L2_ERR_AUTOGRAD && !g && strstr(l2_last_error(), "hardsigmoid"),
           "hardsigmoid create_graph fails clearly: %s", l2_last_error());
        l2_tensor_release(y);
        l2_tensor_release(x);
    }
    ok(l2_live_tensors() == live0, "no tensor leaked (%lld live)",
       (long long)(l2_live_tensors() - live0));
    return tap_done();
}
