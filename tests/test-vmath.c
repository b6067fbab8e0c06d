/* test-vmath.c: the vector math kernels (libl2/vmath.c) against the generic loops (libm): exp,
 * log, sin, cos, tanh, erf, sigmoid, silu and gelu (both forms) in float32 and float64, on runs
 * shorter than a vector, with and without a tail, and long ones; special values (inf, NaN, -0.0,
 * subnormals, overflow and underflow edges) must agree exactly in kind and sign, finite results
 * within 2 ulp (the pure functions) or the oracle's elementwise tolerance (the compound ones;
 * float64: 1e-12 relative, 1e-15 absolute: 1 + erf / 1 + tanh cancel near -1).
 * Also: the vector results do not depend on the thread count. Skips where the CPU lacks AVX2. */
#include "tap.h"

#include <l2-impl.h> /* L2__VMATH_WIDTH */
#include <l2.h>
#undef l2_tensor_release
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef l2_tensor *(*unary_fn)(const l2_tensor *);
static l2_tensor *gelu_erf(const l2_tensor *t) { return l2_gelu(t, false); }
static l2_tensor *gelu_tanh(const l2_tensor *t) { return l2_gelu(t, true); }

static const struct {
    const char *name;
    unary_fn f;
    bool pure; /* one libm function: ulp bound; else an expression: tolerance */
    double lo, hi; /* the swept range */
} fns[] = {
    {"exp", l2_exp, true, -110, 90},     {"log", l2_log, true, -1, 1e4},
    {"sin", l2_sin, true, -100, 100},    {"cos", l2_cos, true, -100, 100},
    {"tanh", l2_tanh, true, -12, 12},    {"erf", l2_erf, true, -6, 6},
    {"sigmoid", l2_sigmoid, false, -110, 110}, {"silu", l2_silu, false, -110, 110},
    {"gelu", gelu_erf, false, -12, 12},  {"gelu_tanh", gelu_tanh, false, -12, 12},
};
enum { NFNS = (int)(sizeof fns / sizeof fns[0]) };

static const double specials[] = {
    0.0, -0.0, INFINITY, -INFINITY, NAN, 1e-40, -1e-40, 1e-310, -1e-310, FLT_MIN, DBL_MIN, 1.0,
    -1.0, 0.5, 88.72, 88.7228394, 88.73, 89.0, -87.3, -87.34, -100.0, -103.9, -104.0, -110.0,
    709.78, 709.79, -745.1, -746.0, 1e4, -1e4, 1e-8, -1e-8, 3.0e38, -3.0e38, 20.0, -20.0};
enum { NSPEC = (int)(sizeof specials / sizeof specials[0]) };

/* Distance in representable values (0 and -0 are one value). */
static int64_t ulps(double a, double b, bool f32)
{
    int64_t ia, ib;
    if (f32) {
        float fa = (float)a, fb = (float)b;
        int32_t x, y;
        memcpy(&x, &fa, 4);
        memcpy(&y, &fb, 4);
        ia = x < 0 ? (int64_t)INT32_MIN - x : x;
        ib = y < 0 ? (int64_t)INT32_MIN - y : y;
    } else {
        int64_t x, y;
        memcpy(&x, &a, 8);
        memcpy(&y, &b, 8);
        ia = x < 0 ? INT64_MIN - x : x;
        ib = y < 0 ? INT64_MIN - y : y;
        if ((ia < 0) != (ib < 0)) /* opposite signs: no overflow-free difference needed */
            return INT64_MAX;
    }
    return ia > ib ? ia - ib : ib - ia;
}

/* Input i of a run of n in [lo, hi]: specials first, then a deterministic scatter. */
static double input(int64_t i, double lo, double hi)
{
    if (i < NSPEC)
        return specials[i];
    uint64_t z = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
    z ^= z >> 29;
    z *= 0xbf58476d1ce4e5b9ULL;
    z ^= z >> 32;
    return lo + (hi - lo) * (double)(z >> 11) * 0x1.0p-53;
}

static l2_tensor *make(int64_t n, l2_dtype dt, double lo, double hi, int64_t first)
{
    l2_tensor *t = l2_empty(1, &n, dt);
    for (int64_t i = 0; i < n; i++) {
        double v = input(first + i, lo, hi);
        if (dt == L2_FLOAT32)
            ((float *)l2_data_ptr(t))[i] = (float)v;
        else
            ((double *)l2_data_ptr(t))[i] = v;
    }
    return t;
}

static double get(const l2_tensor *t, int64_t i)
{
    return l2_dtype_of(t) == L2_FLOAT32 ? ((const float *)l2_data_ptr(t))[i]
                                            : ((const double *)l2_data_ptr(t))[i];
}

/* fns[k] on n elements (starting at input number first) with the vector path and without. */
static void compare(int k, l2_dtype dt, int64_t n, int64_t first)
{
    bool f32 = dt == L2_FLOAT32;
    l2_tensor *x = make(n, dt, fns[k].lo, fns[k].hi, first);
    l2_debug_vector_math(true);
    l2_tensor *yv = fns[k].f(x);
    l2_debug_vector_math(false);
    l2_tensor *yg = fns[k].f(x);
    l2_debug_vector_math(true);
    int64_t bad = 0, worst_i = -1, worst_u = 0;
    for (int64_t i = 0; i < n && yv && yg; i++) {
        double a = get(yv, i), b = get(yg, i);
        bool same;
        if (isnan(b) || isnan(a) || isinf(b) || isinf(a) || b == 0 || a == 0)
            same = (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b)) ||
                   (!fns[k].pure && fabs(a - b) <= (f32 ? 1e-5 : 1e-15));
        else if (fns[k].pure)
            same = ulps(a, b, f32) <= 2;
        else
            same = fabs(a - b) <= (f32 ? 1e-5 + 1.3e-6 * fabs(b) : 1e-15 + 1e-12 * fabs(b));
        if (!same) {
            bad++;
            int64_t u = ulps(a, b, f32);
            if (worst_i < 0 || u > worst_u)
                worst_i = i, worst_u = u;
        }
    }
    if (!ok(yv && yg && bad == 0, "%s %s n=%lld (from input %lld): vector == generic",
            fns[k].name, f32 ? "float32" : "float64", (long long)n, (long long)first))
        if (worst_i >= 0)
            tap_diag("%lld differ; worst at %lld: x=%.9g vector %.17g generic %.17g (%lld ulp)",
                     (long long)bad, (long long)worst_i, get(x, worst_i), get(yv, worst_i),
                     get(yg, worst_i), (long long)worst_u);
    l2_tensor_release(x);
    l2_tensor_release(yv);
    l2_tensor_release(yg);
}

/* A long exp and tanh give the same bits at 1, 2 and 3 threads (a thread's range may start in
 * the middle of a vector, and its tail goes through the padded vector). */
static void threads(void)
{
    int64_t n = l2_threshold("parallel_grain") * 3 + 5;
    l2_tensor *x = make(n, L2_FLOAT32, -20, 20, 1000);
    l2_tensor *y1 = NULL;
    for (int th = 1; th <= 3; th++) {
        l2_set_num_threads(th);
        l2_tensor *y = l2_exp(x);
        if (th == 1)
            y1 = y;
        else {
            ok(y && y1 && memcmp(l2_data_ptr(y), l2_data_ptr(y1), (size_t)n * 4) == 0,
               "exp float32 n=%lld: the same bits at 1 and %d threads", (long long)n, th);
            l2_tensor_release(y);
        }
    }
    l2_set_num_threads(1);
    l2_tensor_release(x);
    l2_tensor_release(y1);
}

/* A lane's result depends on its own value only: a small value among large neighbours (which
 * send SLEEF's sin and cos to a slower argument reduction for the whole vector) gives the bits
 * it gives alone; otherwise the result would depend on where a thread's range starts. */
static void neighbours(void)
{
    const int64_t n = 4099;
    for (int k = 0; k < NFNS; k++)
        for (int d = 0; d < 2; d++) {
            l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
            /* small values, every third lane replaced by a large one in x, by 0 in x0 */
            l2_tensor *x = make(n, dt, -90, 90, NSPEC), *x0 = make(n, dt, -90, 90, NSPEC);
            for (int64_t i = 0; i < n; i += 3) {
                if (dt == L2_FLOAT32) {
                    ((float *)l2_data_ptr(x))[i] = 3.0e4f;
                    ((float *)l2_data_ptr(x0))[i] = 0;
                } else {
                    ((double *)l2_data_ptr(x))[i] = 3.0e4;
                    ((double *)l2_data_ptr(x0))[i] = 0;
                }
            }
            l2_tensor *y = fns[k].f(x), *y0 = fns[k].f(x0);
            int64_t bad = y && y0 ? 0 : n;
            for (int64_t i = 0; y && y0 && i < n; i++)
                bad += i % 3 != 0 && memcmp(&(double){get(y, i)}, &(double){get(y0, i)}, 8);
            ok(bad == 0, "%s %s: small values among large neighbours as among small ones (%lld "
               "differ)", fns[k].name, d ? "float64" : "float32", (long long)bad);
            l2_tensor_release(x);
            l2_tensor_release(x0);
            l2_tensor_release(y);
            l2_tensor_release(y0);
        }
}

/* The float32 softmax / log_softmax backward rows (issue 12, area opsp): dx of (3, n) over dim 1
 * with the vector row kernel and without, for rows shorter than a vector, with and without a
 * tail, and long, within the oracle's float32 tolerance. */
static l2_tensor *smback(const l2_tensor *x0, const l2_tensor *g, bool lg, bool vec)
{
    l2_debug_vector_math(vec);
    l2_tensor *x = l2_detach(x0), *dx = NULL;
    l2_set_requires_grad(x, true);
    l2_tensor *y = lg ? l2_log_softmax(x, 1) : l2_softmax(x, 1);
    if (y && l2_backward(y, g, false) == L2_OK)
        dx = l2_clone(l2_grad(x));
    l2_tensor_release(y);
    l2_tensor_release(x);
    l2_debug_vector_math(true);
    return dx;
}

static void softmax_back(void)
{
    const int64_t w = L2__VMATH_WIDTH, ns[] = {1, w - 1, w, w + 1, 2 * w + 5, 1027};
    for (size_t s = 0; s < sizeof ns / sizeof ns[0]; s++)
        for (int lg = 0; lg < 2; lg++) {
            const int64_t n = ns[s], shape[2] = {3, n};
            l2_tensor *x1 = make(3 * n, L2_FLOAT32, -3, 3, 100), *g1 = make(3 * n, L2_FLOAT32,
                                                                              -1, 1, 7000);
            l2_tensor *x = l2_reshape(x1, 2, shape), *g = l2_reshape(g1, 2, shape);
            l2_tensor *dv = smback(x, g, lg, true), *dg = smback(x, g, lg, false);
            int64_t bad = 0;
            for (int64_t i = 0; i < 3 * n && dv && dg; i++) {
                double a = get(dv, i), b = get(dg, i);
                bad += !(fabs(a - b) <= 1e-5 + 1.3e-6 * fabs(b));
            }
            ok(dv && dg && bad == 0, "%s backward float32 (3, %lld) over dim 1: vector == "
               "generic (%lld differ)", lg ? "log_softmax" : "softmax", (long long)n,
               (long long)bad);
            l2_tensor *tt[] = {x1, g1, x, g, dv, dg};
            for (size_t k = 0; k < sizeof tt / sizeof tt[0]; k++)
                l2_tensor_release(tt[k]);
        }
}

int main(void)
{
    if (!l2_debug_vector_math(true)) {
        printf("1..0 # SKIP no AVX2+FMA here (or L2_NO_VEC set): no vector kernels\n");
        return 0;
    }
    const int64_t w = L2__VMATH_WIDTH;
    /* below one vector, exactly one, with a tail, whole float64 vectors, long with a tail */
    const int64_t sizes[] = {1, w / 2 - 1, w - 1, w, w + 1, 2 * w + 5, NSPEC, 1027, 40000 + 3};
    for (int k = 0; k < NFNS; k++)
        for (int d = 0; d < 2; d++)
            for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
                compare(k, d ? L2_FLOAT64 : L2_FLOAT32, sizes[s], 0);
                if (sizes[s] < NSPEC) /* the specials again, in the tail and in the body */
                    compare(k, d ? L2_FLOAT64 : L2_FLOAT32, NSPEC - sizes[s], sizes[s]);
            }
    threads();
    neighbours();
    softmax_back();
    return tap_done();
}
