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

/* A float64 leaf requiring grad with values uniform in [lo, hi). Caller releases it. */
static inline l2_tensor *gc_leaf(int ndim, const int64_t *shape, double lo, double hi)
{
    l2_tensor *t = l2_uniform(ndim, shape, lo, hi, L2_FLOAT64);
    l2_set_requires_grad(t, true);
    return t;
}

#endif
