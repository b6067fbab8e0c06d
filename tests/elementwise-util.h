/* elementwise-util.h: helpers of the elementwise tests (test-elementwise.c and
 * test-elementwise-grad.c): a tensor from float64 values, a checker of dtype, shape and values,
 * and an error checker. Include after tap.h. */
#ifndef L2_ELEMENTWISE_UTIL_H
#define L2_ELEMENTWISE_UTIL_H
#include <l2.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* A tensor of dtype dt holding v (row-major), made through float64. */
static inline l2_tensor *mk(l2_dtype dt, int nd, const int64_t *sh, const double *v)
{
    l2_tensor *d = l2_from_data(v, nd, sh, L2_FLOAT64);
    l2_tensor *r = l2_to_dtype(d, dt);
    l2_tensor_release(d);
    return r;
}

/* Check t's dtype, shape and values (NaN matches NaN) within tol; releases t. */
static inline void check(l2_tensor *t, l2_dtype dt, int nd, const int64_t *sh, const double *want,
                         double tol, const char *name)
{
    if (!t) {
        ok(0, "%s: returned NULL: %s", name, l2_last_error());
        return;
    }
    int good = l2_dtype_of(t) == dt && l2_ndim(t) == nd;
    for (int i = 0; good && i < nd; i++)
        good = l2_shape(t)[i] == sh[i];
    if (!good) {
        ok(0, "%s: dtype %s rank %d (want %s rank %d)", name, l2_dtype_name(l2_dtype_of(t)),
           l2_ndim(t), l2_dtype_name(dt), nd);
        l2_tensor_release(t);
        return;
    }
    int64_t n = l2_numel(t), idx[L2_MAX_DIMS] = {0};
    int64_t bad = -1;
    double got = 0;
    for (int64_t k = 0; k < n; k++) {
        double v = NAN;
        l2_get(t, idx, &v);
        bool same = (isnan(v) && isnan(want[k])) || v == want[k] ||
                    fabs(v - want[k]) <= tol * fmax(1, fabs(want[k]));
        if (!same && bad < 0) {
            bad = k;
            got = v;
        }
        for (int d = nd - 1; d >= 0; d--) {
            if (++idx[d] < sh[d])
                break;
            idx[d] = 0;
        }
    }
    if (!ok(bad < 0, "%s", name))
        printf("#   element %lld: got %.17g, want %.17g\n", (long long)bad, got, want[bad]);
    l2_tensor_release(t);
}

static const l2_dtype FLOATS[2] = {L2_FLOAT32, L2_FLOAT64};
static inline double tol_of(l2_dtype dt) { return dt == L2_FLOAT32 ? 2e-6 : 1e-14; }

/* An error check: call returned NULL (or a status) with status st and a message containing
 * every given fragment. */
static inline void check_err(bool failed, l2_status st, const char *name, const char *frag1,
                             const char *frag2)
{
    const char *m = l2_last_error();
    int good = failed && l2_last_status() == st && m[0] != '\0' &&
               (!frag1 || strstr(m, frag1)) && (!frag2 || strstr(m, frag2));
    ok(good, "error %s: %s (%s)", name, m, l2_status_name(l2_last_status()));
}

/* The unary ops with a reference function and the domain their values and gradients are
 * checked on. */

typedef l2_tensor *(*un_fn)(const l2_tensor *);

static l2_tensor *leaky(const l2_tensor *t) { return l2_leaky_relu(t, 0.1); }
static l2_tensor *elu13(const l2_tensor *t) { return l2_elu(t, 1.3); }
static l2_tensor *gelu_erf(const l2_tensor *t) { return l2_gelu(t, false); }
static l2_tensor *gelu_tanh(const l2_tensor *t) { return l2_gelu(t, true); }
static l2_tensor *softplus21(const l2_tensor *t) { return l2_softplus(t, 2, 1); }
static l2_tensor *clamp55(const l2_tensor *t) { return l2_clamp(t, -0.5, 0.5); }

/* Independent reference formulas in double. */
static double r_neg(double x) { return -x; }
static double r_sign(double x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }
static double r_rsqrt(double x) { return 1 / sqrt(x); }
static double r_square(double x) { return x * x; }
static double r_recip(double x) { return 1 / x; }
static double r_sigmoid(double x) { return 1 / (1 + exp(-x)); }
static double r_relu(double x) { return x > 0 ? x : 0; }
static double r_silu(double x) { return x / (1 + exp(-x)); }
static double r_leaky(double x) { return x > 0 ? x : 0.1 * x; }
static double r_elu(double x) { return x > 0 ? x : 1.3 * (exp(x) - 1); }
static double r_gelu(double x) { return x * 0.5 * (1 + erf(x / sqrt(2))); }
static double r_gelu_tanh(double x)
{
    return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}
static double r_softplus(double x) { return 2 * x > 1 ? x : log(1 + exp(2 * x)) / 2; }
static double r_clamp(double x) { return x < -0.5 ? -0.5 : x > 0.5 ? 0.5 : x; }

static const struct {
    const char *name;
    un_fn f;
    double (*ref)(double);
    double lo, hi; /* domain for values and gradients */
} UNARY[] = {
    {"neg", l2_neg, r_neg, -2, 2},
    {"abs", l2_abs, fabs, -2, 2},
    {"sign", l2_sign, r_sign, -2, 2},
    {"exp", l2_exp, exp, -2, 2},
    {"exp2", l2_exp2, exp2, -2, 2},
    {"expm1", l2_expm1, expm1, -2, 2},
    {"log", l2_log, log, 0.2, 3},
    {"log2", l2_log2, log2, 0.2, 3},
    {"log10", l2_log10, log10, 0.2, 3},
    {"log1p", l2_log1p, log1p, -0.5, 3},
    {"sqrt", l2_sqrt, sqrt, 0.2, 3},
    {"rsqrt", l2_rsqrt, r_rsqrt, 0.2, 3},
    {"square", l2_square, r_square, -2, 2},
    {"reciprocal", l2_reciprocal, r_recip, 0.3, 3},
    {"sin", l2_sin, sin, -2, 2},
    {"cos", l2_cos, cos, -2, 2},
    {"tan", l2_tan, tan, -1.2, 1.2},
    {"asin", l2_asin, asin, -0.9, 0.9},
    {"acos", l2_acos, acos, -0.9, 0.9},
    {"atan", l2_atan, atan, -2, 2},
    {"sinh", l2_sinh, sinh, -2, 2},
    {"cosh", l2_cosh, cosh, -2, 2},
    {"tanh", l2_tanh, tanh, -2, 2},
    {"sigmoid", l2_sigmoid, r_sigmoid, -3, 3},
    {"relu", l2_relu, r_relu, -2, 2},
    {"silu", l2_silu, r_silu, -3, 3},
    {"erf", l2_erf, erf, -2, 2},
    {"floor", l2_floor, floor, 0.1, 0.9},
    {"ceil", l2_ceil, ceil, 0.1, 0.9},
    {"round", l2_round, round, 0.1, 0.4},
    {"trunc", l2_trunc, trunc, -0.9, 0.9},
    {"leaky_relu", leaky, r_leaky, -2, 2},
    {"elu", elu13, r_elu, -2, 2},
    {"gelu", gelu_erf, r_gelu, -3, 3},
    {"gelu tanh", gelu_tanh, r_gelu_tanh, -3, 3},
    {"softplus", softplus21, r_softplus, -1, 1},
    {"clamp", clamp55, r_clamp, -1, 1},
};
#define N_UNARY (sizeof UNARY / sizeof UNARY[0])

#endif
