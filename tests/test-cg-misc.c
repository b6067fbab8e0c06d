/* test-cg-misc.c: second derivatives (create_graph, issue 15) of cumprod (libl2/ops/scan-cg.c):
 * gradgradcheck (float64, against central differences of libl2's plain first derivative, for
 * the input and the upstream gradient) on rows without zeros (torch's reversed-cumsum formula),
 * with one and two zeros in a row (its omitted products), along an inner dim, non-contiguous,
 * and the pass-through cases (a row of one element, a 0-d input). group_norm's cases are in
 * test-cg-nn.c. */
#include "tap.h"
#include "gradcheck.h"

#include <l2.h>
#include <string.h>

typedef struct {
    int dim;
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
