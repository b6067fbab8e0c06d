/* test-cg-binary.c: second derivatives (create_graph, issue 15) of the binary elementwise ops
 * div, pow, maximum, minimum, atan2, fmod, remainder and of where.c's where, masked_fill, fill_,
 * zero_ and l2_set's set_ node: gradgradcheck (tests/gradcheck.h) against central differences of
 * libl2's own first derivative, for every input and the upstream gradient. Inputs broadcast,
 * come transposed (non-contiguous) or as numbers; the in-place forms write into non-leaves. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <string.h>

typedef l2_tensor *(*bin_fn)(const l2_tensor *, const l2_tensor *);

static l2_tensor *bin(l2_tensor *const *in, void *ctx)
{
    return ((bin_fn)ctx)(in[0], in[1]);
}

/* A float64 leaf [c, r] whose layout is the transpose of a contiguous [r, c]: non-contiguous
 * without a view op in the graph. */
static l2_tensor *leaf_t(int64_t r, int64_t c, double lo, double hi)
{
    l2_tensor *t = l2_uniform(2, (int64_t[]){r, c}, lo, hi, L2_FLOAT64);
    l2_tensor *tt = t ? l2_t(t) : NULL, *d = tt ? l2_detach(tt) : NULL;
    l2_tensor_release(t);
    l2_tensor_release(tt);
    if (d)
        l2_set_requires_grad(d, true);
    return d;
}

/* in-place: t = a * 1 (a non-leaf), t op= b */
static l2_tensor *div_inplace(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *t = l2_mul_scalar(in[0], 1.0);
    if (t && l2_div_(t, in[1]) != L2_OK) {
        l2_tensor_release(t);
        return NULL;
    }
    return t;
}

static l2_tensor *div_num(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_div_scalar(in[0], -2.5);
}

static l2_tensor *pow_num(l2_tensor *const *in, void *ctx)
{
    return l2_pow_scalar(in[0], *(double *)ctx);
}

static l2_tensor *where_op(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *c = l2_gt_scalar(in[0], 0.0), *r = c ? l2_where(c, in[0], in[1]) : NULL;
    l2_tensor_release(c);
    return r;
}

/* masked_fill(a * b, a > 0, 2.5) with a [3, 1], b [1, 4] */
static l2_tensor *masked_op(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *p = l2_mul(in[0], in[1]), *m = l2_gt_scalar(in[0], 0.0);
    l2_tensor *r = p && m ? l2_masked_fill(p, m, 2.5) : NULL;
    l2_tensor_release(p);
    l2_tensor_release(m);
    return r;
}

/* t = a * a; fill_(t, 2) (zero_ with ctx NULL) or set t[1, 2] = 5 (ctx "set"); t * b + a * b */
static l2_tensor *fill_op(l2_tensor *const *in, void *ctx)
{
    l2_tensor *t = l2_mul(in[0], in[0]);
    l2_status st = !t ? L2_ERR_NOMEM
                   : !ctx ? l2_zero_(t)
                   : !strcmp(ctx, "set") ? l2_set(t, (int64_t[]){1, 2}, 5.0)
                                         : l2_fill_(t, 2.0);
    l2_tensor *u = st == L2_OK ? l2_mul(t, in[1]) : NULL, *w = u ? l2_mul(in[0], in[1]) : NULL;
    l2_tensor *r = w ? l2_add(u, w) : NULL;
    l2_tensor_release(t);
    l2_tensor_release(u);
    l2_tensor_release(w);
    return r;
}

static void check(const char *name, gc_fn f, void *ctx, int n, const int64_t *sh0, int nd0,
                  double lo0, double hi0, const int64_t *sh1, int nd1, double lo1, double hi1)
{
    l2_tensor *in[2] = {gc_leaf(nd0, sh0, lo0, hi0), n > 1 ? gc_leaf(nd1, sh1, lo1, hi1) : NULL};
    ok(gradgradcheck(name, f, n, in, ctx), "gradgradcheck %s", name);
    cg_oom_sweep(name, f, n, in, ctx);
    l2_tensor_release(in[0]);
    l2_tensor_release(in[1]);
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    l2_manual_seed(15);
    const int64_t c31[] = {3, 1}, c14[] = {1, 4}, c34[] = {3, 4}, c4[] = {4};
    struct {
        const char *name;
        bin_fn f;
        double lo0, hi0, lo1, hi1;
    } bins[] = {
        {"div", l2_div, -2, 2, 0.5, 2},
        {"pow", l2_pow, 0.5, 2, -1.5, 2.5},
        {"maximum", l2_maximum, -2, 2, -2, 2},
        {"minimum", l2_minimum, -2, 2, -2, 2},
        {"atan2", l2_atan2, -2, 2, -2, 2},
        {"fmod", l2_fmod, -3, 3, 0.7, 1.3},
        {"remainder", l2_remainder, -3, 3, 0.7, 1.3},
    };
    for (size_t i = 0; i < sizeof bins / sizeof *bins; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s [3, 1] with [1, 4]", bins[i].name);
        check(name, bin, (void *)bins[i].f, 2, c31, 2, bins[i].lo0, bins[i].hi0, c14, 2,
              bins[i].lo1, bins[i].hi1);
        snprintf(name, sizeof name, "%s non-contiguous [3, 4] with [4]", bins[i].name);
        l2_tensor *in[2] = {leaf_t(4, 3, bins[i].lo0, bins[i].hi0),
                            gc_leaf(1, c4, bins[i].lo1, bins[i].hi1)};
        ok(!l2_is_contiguous(in[0]) && gradgradcheck(name, bin, 2, in, (void *)bins[i].f),
           "gradgradcheck %s", name);
        l2_tensor_release(in[0]);
        l2_tensor_release(in[1]);
    }
    check("div_ in place on a non-leaf", div_inplace, NULL, 2, c34, 2, -2, 2, c4, 1, 0.5, 2);
    check("div by a number", div_num, NULL, 1, c34, 2, -2, 2, NULL, 0, 0, 0);
    double e[] = {2.5, 3, -0.5, 0.5, -2, 1.7};
    for (size_t i = 0; i < sizeof e / sizeof *e; i++) {
        char name[64];
        snprintf(name, sizeof name, "pow with the number exponent %g", e[i]);
        check(name, pow_num, &e[i], 1, c34, 2, 0.5, 2, NULL, 0, 0, 0);
    }
    check("where(a > 0, a, b)", where_op, NULL, 2, c31, 2, -2, 2, c14, 2, -2, 2);
    check("masked_fill(a b, a > 0, 2.5)", masked_op, NULL, 2, c31, 2, -2, 2, c14, 2, -2, 2);
    check("fill_ on a non-leaf", fill_op, "fill", 2, c34, 2, -2, 2, c14, 2, -2, 2);
    check("zero_ on a non-leaf", fill_op, NULL, 2, c34, 2, -2, 2, c14, 2, -2, 2);
    check("l2_set on a non-leaf (set_)", fill_op, "set", 2, c34, 2, -2, 2, c14, 2, -2, 2);

    /* pow with exponent 0: torch's gradient is zeros_like(self) with no history */
    {
        l2_tensor *x = gc_leaf(1, c4, 0.5, 2), *y = l2_pow_scalar(x, 0), *g = NULL;
        l2_tensor *v = l2_ones(1, c4, L2_FLOAT64);
        l2_set_requires_grad(v, true);
        l2_status st = l2_autograd_grad_ex(1, &y, &v, 1, &x, &g, true, true, false);
        l2_tensor_release(v);
        if (!ok(st == L2_OK && g && !l2_requires_grad(g) && flat(g, 0) == 0,
                "pow(x, 0): a zero gradient without history, as torch"))
            printf("# %s %s %d\n", l2_status_name(st), l2_last_error(), g && l2_requires_grad(g));
        l2_tensor_release(g);
        l2_tensor_release(y);
        l2_tensor_release(x);
    }
    {
        const char *ops[] = {"div", "pow", "maximum", "minimum", "atan2", "fmod", "remainder",
                             "where", "masked_fill", "fill_", "zero_", "set_"};
        int all = 1;
        for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
            all &= l2_has_double_backward(ops[i]);
        ok(all, "l2_has_double_backward for the 12 ops");
    }
    is_int(l2_live_tensors(), live0, "no tensor leaked");
    return tap_done();
}
