/* test-cg-misc.c: second derivatives (create_graph, issue 15) of cumprod (libl2/ops/scan-cg.c)
 * and scatter_reduce (index-cg.c): gradgradcheck (float64, against central differences of
 * libl2's plain first derivative, for every input and the upstream gradient). cumprod: rows
 * without zeros (torch's reversed-cumsum formula), with one and two zeros in a row (its omitted
 * products), along an inner dim, non-contiguous, and the pass-through cases (a row of one
 * element, a 0-d input). scatter_reduce: every reduction with include_self both ways, colliding
 * indices, an index smaller than src, prod with one zero reaching a position, and the refusal
 * torch 1.13 makes (prod, two zeros of src at one position). interpolate (interp.c): every
 * mode, align_corners both ways, output sizes and scale factors. group_norm's cases are in
 * test-cg-nn.c. */
#include "tap.h"
#include "gradcheck.h"

#include <l2.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    int dim;
    l2_scatter_mode mode;
    bool self;
    l2_tensor *index;
    l2_interp_mode im;  /* interpolate */
    int64_t size[2];    /* interpolate: output size, or {0, 0} for the scale factors */
    double scale[2];
} cs;

static l2_tensor *run_cumprod(l2_tensor *const *in, void *ctx)
{
    const cs *c = ctx;
    return l2_cumprod(in[0], c->dim);
}

/* A float64 leaf of shape sh (values in [0.5, 1.5) with random signs: no accidental zeros),
 * with the elements at the flat offsets zs (nz of them) set to exactly 0; trans: a transposed
 * view of the last two dims of a contiguous tensor (non-contiguous). */
static l2_tensor *leaf(int nd, const int64_t *sh, int nz, const int64_t *zs, bool trans)
{
    int64_t ts[L2_MAX_DIMS];
    if (nd > 0)
        memcpy(ts, sh, sizeof(int64_t) * (size_t)nd);
    if (trans) {
        ts[nd - 1] = sh[nd - 2];
        ts[nd - 2] = sh[nd - 1];
    }
    l2_tensor *a = l2_uniform(nd, ts, 0.5, 1.5, L2_FLOAT64);
    l2_tensor *s = l2_uniform(nd, ts, -1, 1, L2_FLOAT64);
    l2_tensor *sg = l2_sign(s), *b = l2_mul(a, sg);
    l2_tensor *t = trans ? l2_transpose(b, -1, -2) : l2_tensor_ref(b);
    l2_tensor *r = l2_contiguous(t);
    for (int k = 0; k < nz; k++) {
        int64_t idx[L2_MAX_DIMS], f = zs[k];
        for (int d = nd - 1; d >= 0; d--) {
            idx[d] = f % sh[d];
            f /= sh[d];
        }
        l2_set(r, idx, 0.0);
    }
    l2_tensor *out = r;
    if (trans) { /* the same values in a transposed layout */
        l2_tensor *tt = l2_transpose(r, -1, -2), *ct = l2_contiguous(tt);
        out = l2_transpose(ct, -1, -2);
        l2_tensor_release(tt);
        l2_tensor_release(ct);
        l2_tensor_release(r);
    }
    l2_set_requires_grad(out, true);
    l2_tensor_release(a);
    l2_tensor_release(s);
    l2_tensor_release(sg);
    l2_tensor_release(b);
    l2_tensor_release(t);
    return out;
}

static void gg_cumprod(const char *name, int nd, const int64_t *sh, int dim, int nz,
                       const int64_t *zs, bool trans)
{
    cs c = {.dim = dim};
    l2_tensor *x = leaf(nd, sh, nz, zs, trans);
    if (trans)
        ok(!l2_is_contiguous(x), "%s: x is a non-contiguous leaf", name);
    ok(gradgradcheck(name, run_cumprod, 1, &x, &c), "gradgradcheck cumprod %s", name);
    l2_tensor_release(x);
}

static l2_tensor *run_sred(l2_tensor *const *in, void *ctx)
{
    const cs *c = ctx;
    return l2_scatter_reduce(in[0], c->dim, c->index, in[1], c->mode, c->self);
}

/* scatter_reduce along dim 0 of t (3, 4) with src (3, 4) and the index (2, 3) below (positions
 * 0 and 2 of a column reached twice, 1 once or never; src's last row and column unreached);
 * zt, zs: flat offsets of t and src set to 0 (-1: none). */
static void gg_sred(const char *name, l2_scatter_mode mode, bool self, int64_t zt, int nzs,
                    const int64_t *zs)
{
    static const int64_t ix[6] = {0, 2, 2, 0, 1, 2};
    cs c = {.dim = 0, .mode = mode, .self = self,
            .index = l2_from_data(ix, 2, (int64_t[]){2, 3}, L2_INT64)};
    l2_tensor *in[2] = {leaf(2, (int64_t[]){3, 4}, zt >= 0, &zt, false),
                        leaf(2, (int64_t[]){3, 4}, nzs, zs, false)};
    ok(gradgradcheck(name, run_sred, 2, in, &c), "gradgradcheck scatter_reduce %s", name);
    l2_tensor_release(in[0]);
    l2_tensor_release(in[1]);
    l2_tensor_release(c.index);
}

static l2_tensor *run_interp(l2_tensor *const *in, void *ctx)
{
    const cs *c = ctx;
    return l2_interpolate(in[0], c->size[0] ? c->size : NULL, c->size[0] ? NULL : c->scale,
                          c->im, c->self);
}

static void gg_interp(const char *name, l2_interp_mode im, bool align, int64_t oh, int64_t ow,
                      double sh, double sw, bool trans)
{
    cs c = {.im = im, .self = align, .size = {oh, ow}, .scale = {sh, sw}};
    l2_tensor *x = leaf(4, (int64_t[]){2, 1, 3, 4}, 0, NULL, trans);
    ok(gradgradcheck(name, run_interp, 1, &x, &c), "gradgradcheck interpolate %s", name);
    l2_tensor_release(x);
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    l2_manual_seed(14);

    gg_cumprod("(5) no zeros", 1, (int64_t[]){5}, 0, 0, NULL, false);
    gg_cumprod("(2,4) dim 1 no zeros", 2, (int64_t[]){2, 4}, 1, 0, NULL, false);
    gg_cumprod("(3,2,3) dim 0 no zeros", 3, (int64_t[]){3, 2, 3}, 0, 0, NULL, false);
    gg_cumprod("(5) one zero", 1, (int64_t[]){5}, 0, 1, (int64_t[]){2}, false);
    gg_cumprod("(5) zero first", 1, (int64_t[]){5}, 0, 1, (int64_t[]){0}, false);
    gg_cumprod("(5) zero last", 1, (int64_t[]){5}, 0, 1, (int64_t[]){4}, false);
    gg_cumprod("(5) two zeros", 1, (int64_t[]){5}, 0, 2, (int64_t[]){1, 3}, false);
    gg_cumprod("(2,4) dim 1, zeros in one row", 2, (int64_t[]){2, 4}, 1, 2, (int64_t[]){5, 6},
               false);
    gg_cumprod("(3,4) dim 0, zero, non-contiguous", 2, (int64_t[]){3, 4}, 0, 1,
               (int64_t[]){5}, true);
    gg_cumprod("(3,4) dim -1 non-contiguous", 2, (int64_t[]){3, 4}, -1, 0, NULL, true);
    gg_cumprod("(3,1) dim 1 (rows of one)", 2, (int64_t[]){3, 1}, 1, 1, (int64_t[]){1}, false);
    gg_cumprod("0-d", 0, NULL, 0, 0, NULL, false);

    static const char *modes[] = {"sum", "prod", "mean", "amax", "amin"};
    for (int m = 0; m <= L2_SCATTER_AMIN; m++)
        for (int self = 1; self >= 0; self--) {
            char nm[64];
            snprintf(nm, sizeof nm, "%s include_self=%d", modes[m], self);
            gg_sred(nm, (l2_scatter_mode)m, self, -1, 0, NULL);
        }
    gg_sred("prod, a zero in t and one src zero at a position", L2_SCATTER_PROD, true, 0, 1,
            (int64_t[]){4});
    gg_sred("prod include_self=0, one src zero", L2_SCATTER_PROD, false, -1, 1, (int64_t[]){1});
    /* prod, two zeros of src reaching position (0, 0): torch 1.13 refuses its double backward
     * through dsrc (a delayed error); libl2 refuses the create_graph backward itself when src
     * requires grad (fine when it does not) */
    {
        static const int64_t ix[6] = {0, 2, 2, 0, 1, 2};
        l2_tensor *I = l2_from_data(ix, 2, (int64_t[]){2, 3}, L2_INT64);
        l2_tensor *t = leaf(2, (int64_t[]){3, 4}, 0, NULL, false);
        l2_tensor *s = leaf(2, (int64_t[]){3, 4}, 2, (int64_t[]){0, 4}, false);
        l2_tensor *y = l2_scatter_reduce(t, 0, I, s, L2_SCATTER_PROD, true);
        l2_tensor *sum = y ? l2_sum(y) : NULL, *g[2] = {NULL, NULL};
        l2_status st = l2_autograd_grad_ex(1, &sum, NULL, 2, (l2_tensor *[]){t, s}, g, true,
                                           true, false);
        ok(st == L2_ERR_AUTOGRAD && strstr(l2_last_error(), "more than one zero") && !g[0] &&
               !g[1],
           "prod, two src zeros at one position: create_graph for src refused (%s)",
           l2_last_error());
        /* src not requiring grad: t's create_graph gradient works */
        l2_tensor *sd = l2_detach(s), *y2 = l2_scatter_reduce(t, 0, I, sd, L2_SCATTER_PROD, true);
        l2_tensor *sum2 = y2 ? l2_sum(y2) : NULL;
        st = l2_autograd_grad_ex(1, &sum2, NULL, 1, &t, g, false, true, false);
        ok(st == L2_OK && g[0] && l2_requires_grad(g[0]),
           "the same with a src not requiring grad works (%s)", st == L2_OK ? "" : l2_last_error());
        l2_tensor_release(sum2);
        l2_tensor_release(y2);
        l2_tensor_release(sd);
        l2_tensor_release(g[0]);
        l2_tensor_release(sum);
        l2_tensor_release(y);
        l2_tensor_release(s);
        l2_tensor_release(t);
        l2_tensor_release(I);
    }

    /* interpolate (upsample2d's node): every mode, align_corners both ways, sizes and scales */
    gg_interp("nearest (5,7)", L2_INTERP_NEAREST, false, 5, 7, 0, 0, false);
    gg_interp("nearest-exact scale (1.5,0.5)", L2_INTERP_NEAREST_EXACT, false, 0, 0, 1.5, 0.5,
              false);
    gg_interp("bilinear (5,6)", L2_INTERP_BILINEAR, false, 5, 6, 0, 0, false);
    gg_interp("bilinear align_corners (4,7), non-contiguous", L2_INTERP_BILINEAR, true, 4, 7, 0,
              0, true);
    gg_interp("bilinear scale (2,1.5)", L2_INTERP_BILINEAR, false, 0, 0, 2, 1.5, false);
    gg_interp("bicubic (5,3)", L2_INTERP_BICUBIC, false, 5, 3, 0, 0, false);
    gg_interp("bicubic align_corners (6,6)", L2_INTERP_BICUBIC, true, 6, 6, 0, 0, false);

    /* create_graph through cumprod is recorded: the gradient requires grad */
    {
        l2_tensor *x = leaf(1, (int64_t[]){4}, 1, (int64_t[]){1}, false);
        l2_tensor *y = l2_cumprod(x, 0), *s = l2_sum(y), *g = NULL;
        l2_status st = l2_autograd_grad_ex(1, &s, NULL, 1, &x, &g, false, true, false);
        ok(st == L2_OK && g && l2_requires_grad(g), "cumprod's create_graph gradient has history");
        l2_tensor_release(g);
        l2_tensor_release(s);
        l2_tensor_release(y);
        l2_tensor_release(x);
    }
    ok(l2_live_tensors() == live0, "no tensor leaked (%lld live)",
       (long long)(l2_live_tensors() - live0));
    return tap_done();
}
