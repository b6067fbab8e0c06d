/* gradcheck.h: finite-difference gradient checking for the C tests (torch.autograd.gradcheck's
 * rule): float64 inputs, central differences with eps 1e-6, |analytic - numeric| <= atol + rtol *
 * |numeric| with atol 1e-5, rtol 1e-3, and a random upstream gradient (never all ones, which
 * would hide transposition bugs). Include after tap.h. */
#ifndef L2_GRADCHECK_H
#define L2_GRADCHECK_H

#include <l2.h>
#include <math.h>
#include <stdio.h>

/* The function under test: builds its output from the n leaf inputs (it may take views of them:
 * transposes, slices, expands) and returns a new tensor (owned by the caller), or NULL. */
typedef l2_tensor *(*gc_fn)(l2_tensor *const *in, void *ctx);

/* sum(out * g) as a double. */
static inline double gc_dot(const l2_tensor *out, const l2_tensor *g)
{
    double s = 0;
    int64_t n = l2_numel(out), idx[L2_MAX_DIMS] = {0};
    int nd = l2_ndim(out);
    const int64_t *sh = l2_shape(out);
    for (int64_t k = 0; k < n; k++) {
        double a, b;
        l2_get(out, idx, &a);
        l2_get(g, idx, &b);
        s += a * b;
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < sh[d])
                break;
            idx[d] = 0;
        }
    }
    return s;
}

/* Returns 1 when every input's analytic gradient matches central differences. The inputs must
 * be float64 leaves with requires_grad set; their .grad is reset. Prints the worst mismatch. */
static inline int gradcheck(const char *name, gc_fn f, int n, l2_tensor *const *in, void *ctx)
{
    const double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
    for (int i = 0; i < n; i++)
        l2_set_grad_none(in[i]);
    l2_tensor *out = f(in, ctx);
    if (!out) {
        printf("# %s: forward failed: %s\n", name, l2_last_error());
        return 0;
    }
    l2_tensor *g = l2_randn_like(out);
    int okay = 1;
    if (l2_backward(out, g, false) != L2_OK) {
        printf("# %s: backward failed: %s\n", name, l2_last_error());
        okay = 0;
    }
    l2_tensor_release(out);
    l2_no_grad_begin();
    for (int i = 0; i < n && okay; i++) {
        const l2_tensor *an = l2_grad(in[i]);
        int64_t m = l2_numel(in[i]), idx[L2_MAX_DIMS] = {0};
        int nd = l2_ndim(in[i]);
        const int64_t *sh = l2_shape(in[i]);
        for (int64_t k = 0; k < m; k++) {
            double x0, a = 0;
            l2_get(in[i], idx, &x0);
            /* Evaluate each side before the next write: f may return a view of its input. */
            l2_set(in[i], idx, x0 + eps);
            l2_tensor *op = f(in, ctx);
            double lp = op ? gc_dot(op, g) : 0;
            l2_tensor_release(op);
            l2_set(in[i], idx, x0 - eps);
            l2_tensor *om = f(in, ctx);
            double lm = om ? gc_dot(om, g) : 0;
            l2_tensor_release(om);
            l2_set(in[i], idx, x0);
            if (!op || !om) {
                printf("# %s: forward failed during differences: %s\n", name, l2_last_error());
                okay = 0;
            } else {
                double num = (lp - lm) / (2 * eps);
                if (an)
                    l2_get(an, idx, &a);
                if (!(fabs(a - num) <= atol + rtol * fabs(num))) {
                    printf("# %s: input %d element %lld: analytic %.10g numeric %.10g%s\n", name,
                           i, (long long)k, a, num, an ? "" : " (no grad)");
                    okay = 0;
                }
            }
            if (!okay)
                break;
            for (int d = nd - 1; d >= 0; d--) {
                if (++idx[d] < sh[d])
                    break;
                idx[d] = 0;
            }
        }
    }
    l2_no_grad_end();
    l2_tensor_release(g);
    return okay;
}

/* s = sum_i <g_i, u_i> for the gradients g of f's output against upstream v (create_graph when
 * cg): *s receives a new 0-d tensor (differentiable when cg), NULL on failure. */
static inline int ggc_inner(gc_fn f, int n, l2_tensor *const *in, void *ctx, l2_tensor *v,
                            l2_tensor *const *u, int cg, l2_tensor **s)
{
    l2_tensor *out = f(in, ctx), *g[8] = {0};
    *s = NULL;
    if (!out || l2_autograd_grad_ex(1, &out, &v, n, in, g, cg, cg, true) != L2_OK) {
        l2_tensor_release(out);
        return 0;
    }
    l2_tensor *acc = l2_scalar(0, L2_FLOAT64);
    for (int i = 0; i < n && acc; i++) {
        if (!g[i])
            continue;
        l2_tensor *p = l2_mul(g[i], u[i]), *q = p ? l2_sum(p) : NULL, *r = q ? l2_add(acc, q) : NULL;
        l2_tensor_release(p);
        l2_tensor_release(q);
        l2_tensor_release(acc);
        acc = r;
    }
    for (int i = 0; i < n; i++)
        l2_tensor_release(g[i]);
    l2_tensor_release(out);
    *s = acc;
    return acc != NULL;
}

/* The second-derivative check (torch.autograd.gradgradcheck's rule, issue 15): with v a random
 * upstream gradient that requires grad and u_i random directions, s = sum_i <dL/dx_i, u_i> (the
 * gradient computed with create_graph) is differentiated again with respect to every input and
 * v, and each derivative is compared with central differences of s computed from libl2's plain
 * first derivative. The n (<= 7) inputs must be float64 leaves requiring grad. Returns 1 when
 * all match; prints the worst mismatch. */
static inline int gradgradcheck(const char *name, gc_fn f, int n, l2_tensor *const *in, void *ctx)
{
    const double eps = 1e-6, atol = 1e-5, rtol = 1e-3;
    l2_tensor *u[8] = {0}, *h[8] = {0}, *all[8], *s = NULL;
    l2_tensor *out = f(in, ctx);
    if (!out) {
        printf("# %s: forward failed: %s\n", name, l2_last_error());
        return 0;
    }
    l2_tensor *v = l2_randn_like(out);
    l2_tensor_release(out);
    l2_set_requires_grad(v, true);
    for (int i = 0; i < n; i++) {
        u[i] = l2_randn_like(in[i]);
        all[i] = in[i];
    }
    all[n] = v;
    int okay = ggc_inner(f, n, in, ctx, v, u, 1, &s);
    if (!okay)
        printf("# %s: create_graph gradient failed: %s\n", name, l2_last_error());
    else if (!l2_requires_grad(s))
        printf("# %s: s does not depend on anything (no second derivative)\n", name);
    else if (l2_autograd_grad(1, &s, NULL, n + 1, all, h, false, true) != L2_OK) {
        printf("# %s: second derivative failed: %s\n", name, l2_last_error());
        okay = 0;
    }
    l2_tensor_release(s);
    for (int i = 0; i <= n && okay; i++) {
        int64_t m = l2_numel(all[i]), idx[L2_MAX_DIMS] = {0};
        int nd = l2_ndim(all[i]);
        const int64_t *sh = l2_shape(all[i]);
        for (int64_t k = 0; k < m && okay; k++) {
            double x0, a = 0, sp = 0, sm = 0;
            l2_tensor *tp = NULL, *tm = NULL;
            l2_get(all[i], idx, &x0);
            /* writes to the leaves outside grad mode (an in-place write on a leaf requiring
             * grad is refused with it on) */
            l2_no_grad_begin();
            l2_set(all[i], idx, x0 + eps);
            l2_no_grad_end();
            int good = ggc_inner(f, n, in, ctx, v, u, 0, &tp);
            l2_no_grad_begin();
            l2_set(all[i], idx, x0 - eps);
            l2_no_grad_end();
            good = good && ggc_inner(f, n, in, ctx, v, u, 0, &tm);
            l2_no_grad_begin();
            l2_set(all[i], idx, x0);
            l2_no_grad_end();
            if (good) {
                l2_get(tp, (int64_t[]){0}, &sp);
                l2_get(tm, (int64_t[]){0}, &sm);
            }
            l2_tensor_release(tp);
            l2_tensor_release(tm);
            if (!good) {
                printf("# %s: gradient failed during differences: %s\n", name, l2_last_error());
                okay = 0;
                break;
            }
            double num = (sp - sm) / (2 * eps);
            if (h[i])
                l2_get(h[i], idx, &a);
            if (!(fabs(a - num) <= atol + rtol * fabs(num))) {
                printf("# %s: d/d%s%d element %lld: analytic %.10g numeric %.10g%s\n", name,
                       i < n ? "input " : "upstream ", i < n ? i : 0, (long long)k, a, num,
                       h[i] ? "" : " (none)");
                okay = 0;
            }
            for (int d = nd - 1; d >= 0; d--) {
                if (++idx[d] < sh[d])
                    break;
                idx[d] = 0;
            }
        }
    }
    for (int i = 0; i <= n; i++)
        l2_tensor_release(h[i]);
    for (int i = 0; i < n; i++)
        l2_tensor_release(u[i]);
    l2_tensor_release(v);
    return okay;
}

/* A float64 leaf requiring grad with values uniform in [lo, hi). Caller releases it. */
static inline l2_tensor *gc_leaf(int ndim, const int64_t *shape, double lo, double hi)
{
    l2_tensor *t = l2_uniform(ndim, shape, lo, hi, L2_FLOAT64);
    l2_set_requires_grad(t, true);
    return t;
}

#endif
