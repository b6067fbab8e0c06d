/* test-cg-lsq.c: second derivatives (create_graph, issue 15) of the norms, cholesky_solve and
 * lstsq (libl2/ops/linalg-lsq-cg.c): gradgradcheck (float64, against central differences of
 * libl2's plain first derivative, for every input and the upstream gradient) of
 * linalg_vector_norm (orders 2, 1, inf, -inf, general p above and below 1 and 2, negative p;
 * dims, keepdim, batched, non-contiguous), norm (the older l2_norm), cholesky_solve (lower and
 * upper, broadcast batches, non-contiguous) and linalg_lstsq (tall, square, wide, vector B,
 * broadcast batches, non-contiguous); the order-0 norm (no gradient) and the ties of the inf norm
 * (the gradient shared evenly: torch's second derivative is zero in x), zeros (torch's NaN
 * second derivatives where its formula divides 0 by 0) checked against torch's values. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

enum { VNORM, NORM, CHOLS, LSTSQ };

typedef struct {
    int op;
    double p;       /* the norm's order */
    int ndims;      /* norm: the dims (0: all) */
    int dims[3];
    bool keepdim;
    bool upper;     /* cholesky_solve */
    bool view;      /* input 0 a non-contiguous leaf */
    const char *ord; /* unused by the checks: the case name's order */
} cs;

/* A constant (n, n) mask: the lower (or upper) triangle of ones. */
static l2_tensor *tri_mask(int64_t n, bool upper)
{
    l2_tensor *o = l2_ones(2, (int64_t[]){n, n}, L2_FLOAT64);
    l2_tensor *t = upper ? l2_triu(o, 0) : l2_tril(o, 0);
    l2_tensor_release(o);
    return t;
}

/* A well-conditioned (*, m, n) matrix from the leaf: a + 2 I (the rectangular identity). */
static l2_tensor *well(const l2_tensor *a)
{
    int nd = l2_ndim(a);
    int64_t m = l2_shape(a)[nd - 2], n = l2_shape(a)[nd - 1];
    l2_tensor *e = l2_eye(m, n, L2_FLOAT64), *e2 = l2_mul_scalar(e, 2.0), *r = l2_add(a, e2);
    l2_tensor_release(e);
    l2_tensor_release(e2);
    return r;
}

static l2_tensor *run(l2_tensor *const *in, void *ctx)
{
    const cs *c = ctx;
    l2_tensor *r = NULL;
    switch (c->op) {
    case VNORM:
        r = l2_linalg_vector_norm(in[0], c->p, c->ndims ? c->dims : NULL, c->ndims, c->keepdim);
        break;
    case NORM:
        r = l2_norm(in[0], c->p, c->ndims, c->ndims ? c->dims : NULL, c->keepdim);
        break;
    case CHOLS: {
        /* a factor: the leaf's triangle (the other one is not read: a constant mask keeps the
         * finite differences consistent with the dense dL) with 2 added on the diagonal */
        int64_t n = l2_shape(in[1])[l2_ndim(in[1]) - 1];
        l2_tensor *mk = tri_mask(n, c->upper), *t = l2_mul(in[1], mk), *L = well(t);
        r = l2_cholesky_solve(in[0], L, c->upper);
        l2_tensor_release(mk);
        l2_tensor_release(t);
        l2_tensor_release(L);
        break;
    }
    case LSTSQ: {
        l2_tensor *A = well(in[0]);
        r = l2_linalg_lstsq(A, in[1], NAN, NULL, NULL);
        l2_tensor_release(A);
        break;
    }
    }
    return r;
}

/* A leaf of the shape, non-contiguous when view (its last two dims swapped in memory; the last
 * one of a 1-d shape taken with step 2). */
static l2_tensor *leaf(int nd, const int64_t *shape, bool view, double lo, double hi)
{
    if (!view)
        return gc_leaf(nd, shape, lo, hi);
    int64_t s[5];
    memcpy(s, shape, sizeof(int64_t) * (size_t)nd);
    l2_tensor *r;
    if (nd >= 2) {
        s[nd - 2] = shape[nd - 1], s[nd - 1] = shape[nd - 2];
        l2_tensor *base = l2_uniform(nd, s, lo, hi, L2_FLOAT64);
        r = l2_transpose(base, -1, -2);
        l2_tensor_release(base);
    } else {
        s[0] = 2 * shape[0];
        l2_tensor *base = l2_uniform(1, s, lo, hi, L2_FLOAT64);
        r = l2_slice(base, 0, 0, s[0], 2);
        l2_tensor_release(base);
    }
    l2_set_requires_grad(r, true);
    return r;
}

static void gg(const char *name, cs c, int an, const int64_t *as, int bn, const int64_t *bs)
{
    /* the norms away from 0 and from ties: |x| in [0.5, 2] with random signs */
    bool norm = c.op == VNORM || c.op == NORM;
    l2_tensor *in[2] = {leaf(an, as, c.view, norm ? 0.5 : -1, norm ? 2 : 1),
                        bn ? gc_leaf(bn, bs, -1, 1) : NULL};
    if (norm) {
        l2_tensor *u = l2_uniform(an, as, -1, 1, L2_FLOAT64), *sg = l2_sign(u);
        l2_no_grad_begin();
        l2_mul_(in[0], sg);
        l2_no_grad_end();
        l2_tensor_release(u);
        l2_tensor_release(sg);
    }
    if (c.view)
        ok(!l2_is_contiguous(in[0]), "%s: input 0 is a non-contiguous leaf", name);
    ok(gradgradcheck(name, run, bn ? 2 : 1, in, &c), "gradgradcheck %s", name);
    l2_tensor_release(in[0]);
    l2_tensor_release(in[1]);
}

/* The 1-d t holds want within tol (absolute; NaN matching NaN), printing both on a mismatch. */
static void close_to(const char *name, const char *what, const l2_tensor *t, int64_t n,
                     const double *want, double tol)
{
    int good = t && l2_ndim(t) == 1 && l2_shape(t)[0] == n;
    for (int64_t i = 0; good && i < n; i++)
        if (isnan(want[i]) ? !isnan(flat(t, i)) : !(fabs(flat(t, i) - want[i]) <= tol)) {
            printf("# %s: %s[%lld] = %.17g, want %.17g\n", name, what, (long long)i, flat(t, i),
                   want[i]);
            good = 0;
        }
    ok(good, "%s: %s", name, what);
}

/* y = op(x) of a 1-d x, g its create_graph gradient for v = 1, h = d sum(g * w) / d(x, v):
 * compared with torch's g, h_x and h_v (gwant NULL: no gradient). */
static void by_value(const char *name, cs c, int n, const double *xv, const double *wv,
                     const double *gwant, const double *hwant, double hv)
{
    l2_tensor *x = vec1d(n, xv, L2_FLOAT64), *w = vec1d(n, wv, L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *in[1] = {x}, *y = run(in, &c), *v = l2_ones_like(y), *g = NULL, *h[2] = {0};
    l2_set_requires_grad(v, true);
    l2_status st = l2_autograd_grad_ex(1, &y, &v, 1, &x, &g, true, true, true);
    l2_tensor *all[2] = {x, v}, *gw = g ? l2_mul(g, w) : NULL, *s = gw ? l2_sum(gw) : NULL;
    if (st == L2_OK && !gwant) {
        ok(g == NULL, "%s: no gradient (torch's undefined one)", name);
    } else if (ok(st == L2_OK && s, "%s: create_graph gradient: %s", name,
                  st == L2_OK ? "ok" : l2_last_error())) {
        close_to(name, "g", g, n, gwant, 1e-12);
        st = l2_autograd_grad(1, &s, NULL, 2, all, h, false, true);
        ok(st == L2_OK, "%s: second derivative: %s", name, st == L2_OK ? "ok" : l2_last_error());
        close_to(name, "h_x", h[0], n, hwant, 1e-12);
        l2_tensor *h1 = h[1] ? l2_reshape(h[1], 1, (int64_t[]){1}) : NULL;
        close_to(name, "h_v", h1, 1, &hv, 1e-12);
        l2_tensor_release(h1);
    }
    l2_tensor *rel[] = {x, w, y, v, g, gw, s, h[0], h[1]};
    for (int i = 0; i < 9; i++)
        l2_tensor_release(rel[i]);
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    const int64_t v5[] = {5}, m34[] = {3, 4}, b234[] = {2, 3, 4};
    /* linalg_vector_norm: every order, over everything, one dim, two dims, keepdim */
    const double ords[] = {2, 1, INFINITY, -INFINITY, 3, 1.5, 0.5, -1.5, -1};
    for (int k = 0; k < 9; k++) {
        char nm[96];
        snprintf(nm, sizeof nm, "vector_norm ord %g, 1-d", ords[k]);
        gg(nm, (cs){.op = VNORM, .p = ords[k]}, 1, v5, 0, NULL);
        snprintf(nm, sizeof nm, "vector_norm ord %g, dim 1 keepdim, batched", ords[k]);
        gg(nm, (cs){.op = VNORM, .p = ords[k], .ndims = 1, .dims = {1}, .keepdim = true}, 3,
           b234, 0, NULL);
        snprintf(nm, sizeof nm, "vector_norm ord %g, dims (0, -1), non-contiguous", ords[k]);
        gg(nm, (cs){.op = VNORM, .p = ords[k], .ndims = 2, .dims = {0, -1}, .view = true}, 3,
           b234, 0, NULL);
    }
    gg("vector_norm ord 2, dim -1, non-contiguous 2-d", (cs){.op = VNORM, .p = 2, .ndims = 1,
       .dims = {-1}, .view = true}, 2, m34, 0, NULL);
    gg("vector_norm ord 4, 1-d non-contiguous", (cs){.op = VNORM, .p = 4, .view = true}, 1, v5,
       0, NULL);
    gg("vector_norm 0-d", (cs){.op = VNORM, .p = 3}, 0, NULL, 0, NULL);
    /* the older norm (p > 0, inf) */
    const double nps[] = {2, 1, INFINITY, 3, 1.5, 0.5};
    for (int k = 0; k < 6; k++) {
        char nm[96];
        snprintf(nm, sizeof nm, "norm p %g, all", nps[k]);
        gg(nm, (cs){.op = NORM, .p = nps[k]}, 2, m34, 0, NULL);
        snprintf(nm, sizeof nm, "norm p %g, dim 0, non-contiguous", nps[k]);
        gg(nm, (cs){.op = NORM, .p = nps[k], .ndims = 1, .dims = {0}, .view = true}, 2, m34, 0,
           NULL);
        snprintf(nm, sizeof nm, "norm p %g, dims (0, 2) keepdim", nps[k]);
        gg(nm, (cs){.op = NORM, .p = nps[k], .ndims = 2, .dims = {0, 2}, .keepdim = true}, 3,
           b234, 0, NULL);
    }
    /* cholesky_solve: B (first), the factor's leaf (second) */
    gg("cholesky_solve lower", (cs){.op = CHOLS}, 2, (int64_t[]){3, 2}, 2, (int64_t[]){3, 3});
    gg("cholesky_solve upper", (cs){.op = CHOLS, .upper = true}, 2, (int64_t[]){3, 2}, 2,
       (int64_t[]){3, 3});
    gg("cholesky_solve lower, batched L, broadcast B", (cs){.op = CHOLS}, 2, (int64_t[]){3, 1},
       3, (int64_t[]){2, 3, 3});
    gg("cholesky_solve upper, batched B, non-contiguous B", (cs){.op = CHOLS, .upper = true,
       .view = true}, 3, (int64_t[]){2, 3, 2}, 2, (int64_t[]){3, 3});
    gg("cholesky_solve 1x1", (cs){.op = CHOLS}, 2, (int64_t[]){1, 1}, 2, (int64_t[]){1, 1});
    /* lstsq: A (first), B (second) */
    gg("lstsq tall", (cs){.op = LSTSQ}, 2, (int64_t[]){4, 3}, 2, (int64_t[]){4, 2});
    gg("lstsq square", (cs){.op = LSTSQ}, 2, (int64_t[]){3, 3}, 2, (int64_t[]){3, 2});
    gg("lstsq wide", (cs){.op = LSTSQ}, 2, (int64_t[]){2, 4}, 2, (int64_t[]){2, 3});
    gg("lstsq tall, vector B", (cs){.op = LSTSQ}, 2, (int64_t[]){4, 2}, 1, (int64_t[]){4});
    gg("lstsq wide, batched vector B", (cs){.op = LSTSQ}, 3, (int64_t[]){2, 2, 3}, 2,
       (int64_t[]){2, 2});
    gg("lstsq tall, batched A, broadcast B, non-contiguous A", (cs){.op = LSTSQ, .view = true},
       3, (int64_t[]){2, 4, 3}, 3, (int64_t[]){1, 4, 2});
    gg("lstsq wide, non-contiguous A", (cs){.op = LSTSQ, .view = true}, 2, (int64_t[]){2, 3}, 2,
       (int64_t[]){2, 1});
    /* by value: torch 1.13's results (torch.autograd.grad twice, v = 1) at zeros and ties */
    {
        const double w3[] = {1, 2, 3}, z3[] = {0, 0, 0}, x3[] = {0, 2, -3};
        /* ord 0: no gradient (torch's norm_backward returns an undefined tensor) */
        by_value("vector_norm ord 0", (cs){.op = VNORM, .p = 0}, 3, (double[]){1, 0, -2}, w3,
                 NULL, NULL, 0);
        /* inf with a tie: g = sgn(x) / 2 at the ties, h_x = 0 */
        by_value("vector_norm ord inf, tie", (cs){.op = VNORM, .p = INFINITY}, 3,
                 (double[]){2, -1, -2}, w3, (double[]){0.5, 0, -0.5}, z3, -1);
        by_value("vector_norm ord -inf, tie", (cs){.op = VNORM, .p = -INFINITY}, 3,
                 (double[]){1, -1, -2}, w3, (double[]){0.5, -0.5, 0}, z3, -0.5);
        by_value("norm p inf, tie", (cs){.op = NORM, .p = INFINITY}, 3, (double[]){2, -1, -2},
                 w3, (double[]){0.5, 0, -0.5}, z3, -1);
        /* ord 1 at a zero: sgn(0) = 0, h_x = 0 */
        by_value("vector_norm ord 1 at 0", (cs){.op = VNORM, .p = 1}, 3, x3, w3,
                 (double[]){0, 1, -1}, z3, -1);
        /* ord 2, x = (3, 4): g = x / 5, h_x = (w - x <x, w> / 25) / 5 */
        by_value("vector_norm ord 2", (cs){.op = VNORM, .p = 2}, 2, (double[]){3, 4},
                 (double[]){1, 2}, (double[]){0.6, 0.8}, (double[]){-0.064, 0.048}, 2.2);
        /* zeros: torch's masked gradient is 0, its second derivative 0 / 0 (NaN) where the
         * formula divides by the norm. Where x = 0 and p < 2 (p != 1), torch's h_x is NaN too
         * (|x|^(p-1)'s derivative is inf there, times abs's backward g sgn(0) = 0 * inf);
         * libl2's abs backward is 0 at 0 whatever g holds (unary.c), so libl2's h_x is 0 there:
         * a deliberate difference, checked here so that it changes only on purpose. */
        by_value("vector_norm ord 2 of zeros", (cs){.op = VNORM, .p = 2}, 2, (double[]){0, 0},
                 (double[]){1, 2}, (double[]){0, 0}, (double[]){NAN, NAN}, 0);
        by_value("vector_norm ord 3 of zeros", (cs){.op = VNORM, .p = 3}, 3, z3, w3, z3, z3,
                 NAN);
        by_value("vector_norm ord 1.5 of zeros", (cs){.op = VNORM, .p = 1.5}, 3, z3, w3, z3, z3,
                 NAN);
        by_value("vector_norm ord 1.5 at 0", (cs){.op = VNORM, .p = 1.5}, 3, x3, w3,
                 (double[]){0, 0.7063840791276677, -0.8651402781442813},
                 (double[]){0, 0.4574045683534552, 0.3049363789023036}, -1.1826526761775087);
        by_value("vector_norm ord 3 at 0", (cs){.op = VNORM, .p = 3}, 3, x3, w3,
                 (double[]){0, 0.37383614973583884, -0.8411313369056374},
                 (double[]){0, 1.1535515477563028, 0.7690343651708685}, -1.7757217112452344);
        by_value("vector_norm ord 0.5 at 0", (cs){.op = VNORM, .p = 0.5}, 3, x3, w3,
                 (double[]){0, 2.224744871391589, -1.8164965809277265},
                 (double[]){0, -1.2247448713915894, -0.816496580927726}, -1.0000000000000009);
        by_value("vector_norm ord -1.5 at 0", (cs){.op = VNORM, .p = -1.5}, 3, x3, w3, z3,
                 z3, 0);
    }
    is_int(l2_live_tensors(), live0, "no tensor leaked");
    return tap_done();
}
