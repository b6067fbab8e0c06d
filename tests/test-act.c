/* test-act.c: the activations, distances and losses of issue 14 (libl2/ops/activation.c ...):
 * values against scalar references in float32 and float64 (contiguous and transposed inputs,
 * torch's values at the kinks and the sign of zero), torch's gradients at the kinks, finite-
 * difference gradients away from them, the error paths and an out-of-memory sweep. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* ---- pointwise activations ---------------------------------------------------------------- */

#define SELU_A 1.6732632423543772848170429916717
#define SELU_S 1.0507009873554804934193349852946

static double r_hardtanh(double x) { return x < -0.5 ? -0.5 : x > 2 ? 2 : x; }
static double r_relu6(double x) { return x < 0 ? 0 : x > 6 ? 6 : x; }
static double r_hardsigmoid(double x) { return r_relu6(x + 3) / 6; }
static double r_hardswish(double x) { return x * r_relu6(x + 3) / 6; }
static double r_mish(double x) { return x * tanh(log1p(exp(x))); }
static double r_selu(double x) { return x > 0 ? SELU_S * x : SELU_S * SELU_A * expm1(x); }
static double r_celu(double x) { return x > 0 ? x : 0.5 * expm1(x / 0.5); }
static double r_logsigmoid(double x) { return -log1p(exp(-x)); }
static double r_softsign(double x) { return x / (1 + fabs(x)); }
static double r_tanhshrink(double x) { return x - tanh(x); }

static l2_tensor *hardtanh_(const l2_tensor *t) { return l2_hardtanh(t, -0.5, 2); }
static l2_tensor *celu_(const l2_tensor *t) { return l2_celu(t, 0.5); }

typedef struct {
    const char *name;
    l2_tensor *(*f)(const l2_tensor *);
    double (*ref)(double);
} act;

static const act acts[] = {
    {"hardtanh", hardtanh_, r_hardtanh},       {"relu6", l2_relu6, r_relu6},
    {"hardsigmoid", l2_hardsigmoid, r_hardsigmoid}, {"hardswish", l2_hardswish, r_hardswish},
    {"mish", l2_mish, r_mish},                 {"selu", l2_selu, r_selu},
    {"celu", celu_, r_celu},                   {"logsigmoid", l2_logsigmoid, r_logsigmoid},
    {"softsign", l2_softsign, r_softsign},     {"tanhshrink", l2_tanhshrink, r_tanhshrink},
};
enum { NACTS = (int)(sizeof acts / sizeof acts[0]) };

/* 12 inputs (3, 4) spanning the kinks of every op. */
static const double xs[12] = {-7, -3, -2.5, -0.5, -1e-3, 0, 0.25, 1, 2, 3, 6.5, 30};

static void test_values(const act *a, l2_dtype dt)
{
    l2_tensor *x = l2_from_data(xs, L2_SHAPE(3, 4), L2_FLOAT64);
    l2_tensor *xd = l2_to_dtype(x, dt);
    l2_tensor *xdt = l2_t(xd);
    l2_tensor *xt = l2_contiguous(xdt); /* (4, 3), its transpose is xd's values again */
    l2_tensor *v = l2_t(xt);
    double tol = dt == L2_FLOAT32 ? 2e-6 : 1e-14;
    for (int pass = 0; pass < 2; pass++) {
        l2_tensor *r = a->f(pass ? v : xd);
        int good = r && same_shape(r, L2_SHAPE(3, 4)) && l2_dtype_of(r) == dt;
        for (int i = 0; good && i < 12; i++) {
            double xi = dt == L2_FLOAT32 ? (double)(float)xs[i] : xs[i];
            double want = a->ref(xi), got = at(r, (const int64_t[]){i / 4, i % 4});
            if (fabs(got - want) > tol * (fabs(want) + fabs(xi)) + 1e-300) { /* terms of x */
                good = 0;
                printf("#   x %g: got %.17g, want %.17g\n", xi, got, want);
            }
        }
        ok(good, "%s values (%s, %s)", a->name, l2_dtype_name(dt),
           pass ? "transposed" : "contiguous");
        l2_tensor_release(r);
    }
    l2_tensor *list[] = {x, xd, xdt, xt, v};
    for (int i = 0; i < 5; i++)
        l2_tensor_release(list[i]);
}

/* Gradients at the kinks and at NaN, as torch 1.13's vector loops give them (hardtanh(-0.5, 2)
 * at -0.5 and 2: 0; hardsigmoid at +-3: 0; hardswish at -3: g (-3/3 + 0.5) = -0.5 g, at 3: g). */
static void test_kinks(void)
{
    l2_tensor *x = l2_from_data((const double[]){-0.5, 2, -3, 3, NAN}, L2_SHAPE(5), L2_FLOAT64);
    l2_set_requires_grad(x, true);
    struct {
        const char *name;
        l2_tensor *(*f)(const l2_tensor *);
        double want[5];
    } k[] = {{"hardtanh", hardtanh_, {0, 0, 0, 0, 0}},
             {"relu6", l2_relu6, {0, 1, 0, 1, 0}},
             {"hardsigmoid", l2_hardsigmoid, {1.0f / 6, 1.0f / 6, 0, 0, 0}},
             {"hardswish", l2_hardswish, {-0.5 / 3 + 0.5, 2.0 / 3 + 0.5, -0.5, 1, NAN}}};
    for (size_t j = 0; j < sizeof k / sizeof k[0]; j++) {
        l2_set_grad_none(x);
        l2_tensor *y = k[j].f(x), *s = y ? l2_sum(y) : NULL;
        l2_status st = s ? l2_backward(s, NULL, false) : l2_last_status();
        const l2_tensor *g = l2_grad(x);
        int good = st == L2_OK && g;
        for (int i = 0; good && i < 5; i++) {
            double got = at(g, (const int64_t[]){i});
            if (got != k[j].want[i] && !(isnan(got) && isnan(k[j].want[i]))) {
                good = 0;
                printf("#   x[%d]: got %g, want %g\n", i, got, k[j].want[i]);
            }
        }
        ok(good, "%s: torch's gradients at the kinks and at NaN", k[j].name);
        l2_tensor_release(y);
        l2_tensor_release(s);
    }
    l2_tensor_release(x);
}

/* Signs of zero and special values against torch 1.13's. */
static void test_specials(void)
{
    l2_tensor *x = l2_from_data((const double[]){-0.0, -5, INFINITY, -INFINITY}, L2_SHAPE(4),
                                L2_FLOAT64);
    l2_tensor *r = l2_selu(x);
    ok(r && !signbit(at(r, (const int64_t[]){0})) && at(r, (const int64_t[]){2}) == INFINITY,
       "selu(-0.0) is +0.0, selu(inf) is inf (torch)");
    l2_tensor_release(r);
    r = l2_hardswish(x);
    ok(r && signbit(at(r, (const int64_t[]){1})) && at(r, (const int64_t[]){1}) == 0 &&
           isnan(at(r, (const int64_t[]){3})),
       "hardswish(-5) is -0.0 and hardswish(-inf) NaN (torch's x * 0 / 6)");
    l2_tensor_release(r);
    r = l2_celu(x, -2);
    ok(r && signbit(at(r, (const int64_t[]){0})), "celu(-0.0, alpha -2) is -0.0 (torch)");
    l2_tensor_release(r);
    r = l2_logsigmoid(x);
    ok(r && at(r, (const int64_t[]){2}) == 0 && at(r, (const int64_t[]){3}) == -INFINITY,
       "logsigmoid(inf) is 0, logsigmoid(-inf) is -inf");
    l2_tensor_release(r);
    r = l2_mish(x);
    ok(r && at(r, (const int64_t[]){2}) == INFINITY, "mish(inf) is inf");
    l2_tensor_release(r);
    l2_tensor_release(x);
}

static void test_dtypes(void)
{
    l2_tensor *i = l2_from_data((const int64_t[]){-3, 0, 1, 2, 3, 8}, L2_SHAPE(6), L2_INT64);
    l2_tensor *r = l2_hardtanh(i, -1.7, 2.9); /* bounds truncated: -1, 2 */
    ok(r && l2_dtype_of(r) == L2_INT64 && at(r, (const int64_t[]){0}) == -1 &&
           at(r, (const int64_t[]){4}) == 2,
       "hardtanh of int64 stays int64, bounds truncated toward zero (torch)");
    l2_tensor_release(r);
    r = l2_relu6(i);
    ok(r && l2_dtype_of(r) == L2_INT64 && at(r, (const int64_t[]){5}) == 6 &&
           at(r, (const int64_t[]){0}) == 0, "relu6 of int64");
    l2_tensor_release(r);
    r = l2_softsign(i);
    ok(r && l2_dtype_of(r) == L2_FLOAT32 && fabs(at(r, (const int64_t[]){5}) - 8.0 / 9) < 1e-7,
       "softsign of int64 gives float32");
    l2_tensor_release(r);
    r = l2_tanhshrink(i);
    ok(r && l2_dtype_of(r) == L2_FLOAT32, "tanhshrink of int64 gives float32");
    l2_tensor_release(r);
    l2_tensor *big = l2_from_data((const int64_t[]){INT64_MAX}, L2_SHAPE(1), L2_INT64);
    r = l2_softsign(big);
    ok(r && at(r, (const int64_t[]){0}) == -1, "softsign(INT64_MAX) is -1: |x| + 1 wraps (torch)");
    l2_tensor_release(r);
    l2_tensor_release(big);
    is_err(l2_mish(i), L2_ERR_DTYPE, "mish: not implemented for 'int64'", "mish refuses int64");
    is_err(l2_hardsigmoid(i), L2_ERR_DTYPE, "hardsigmoid", "hardsigmoid refuses int64");
    is_err(l2_hardtanh(i, 0, 1e300), L2_ERR_ARG, "int64", "hardtanh: int64 bound overflow");
    l2_tensor *b = l2_from_data((const bool[]){true, false}, L2_SHAPE(2), L2_BOOL);
    is_err(l2_relu6(b), L2_ERR_DTYPE, "bool", "relu6 refuses bool");
    is_err(l2_softsign(b), L2_ERR_DTYPE, "bool", "softsign refuses bool");
    is_err(l2_tanhshrink(b), L2_ERR_DTYPE, "bool", "tanhshrink refuses bool");
    l2_tensor *f = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
    is_err(l2_hardtanh(f, NAN, 1), L2_ERR_ARG, "NaN", "hardtanh: NaN bound");
    is_err(l2_celu(f, 0), L2_ERR_ARG, "alpha", "celu: alpha 0");
    is_err(l2_selu(NULL), L2_ERR_NULL, "selu", "selu(NULL)");
    l2_tensor_release(i);
    l2_tensor_release(b);
    l2_tensor_release(f);
}

static l2_tensor *gc_act(l2_tensor *const *in, void *ctx)
{
    const act *a = ctx;
    l2_tensor *v = l2_t(in[0]);
    l2_tensor *r = v ? a->f(v) : NULL;
    l2_tensor_release(v);
    return r;
}

static void test_grads(void)
{
    /* values away from every kink (kinks at -3, -0.5, 0, 2, 3, 6) */
    l2_tensor *x = l2_from_data((const double[]){-4.1, -2.2, -1.3, -0.3, 0.4, 0.9, 1.6, 2.6,
                                                 3.4, 5.1, 7.2, -6.3}, L2_SHAPE(4, 3),
                                L2_FLOAT64);
    l2_set_requires_grad(x, true);
    for (int i = 0; i < NACTS; i++)
        ok(gradcheck(acts[i].name, gc_act, 1, &x, (void *)&acts[i]), "gradcheck: %s",
           acts[i].name);
    for (int i = 0; i < NACTS; i++)
        oom_check(acts[i].name, gc_act, 1, &x, (void *)&acts[i]);
    l2_tensor_release(x);
}

/* ---- prelu and glu ------------------------------------------------------------------------ */

static l2_tensor *gc_prelu(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *v = l2_permute(in[0], (const int[]){0, 2, 1}); /* (2, 3, 4) from (2, 4, 3) */
    l2_tensor *r = v ? l2_prelu(v, in[1]) : NULL;
    l2_tensor_release(v);
    return r;
}

static l2_tensor *gc_glu(l2_tensor *const *in, void *ctx)
{
    return l2_glu(in[0], *(const int *)ctx);
}

static void test_prelu_glu(void)
{
    l2_tensor *x = l2_from_data((const double[]){-2, 1, -0.0, 3, -4, 0}, L2_SHAPE(1, 3, 2),
                                L2_FLOAT64);
    l2_tensor *w = l2_from_data((const double[]){0.5, -1, 2}, L2_SHAPE(3), L2_FLOAT64);
    l2_tensor *r = l2_prelu(x, w);
    const double want[6] = {-1, 1, -0.0, 3, -8, 0};
    int good = r && same_shape(r, L2_SHAPE(1, 3, 2));
    for (int i = 0; good && i < 6; i++)
        good = at(r, (const int64_t[]){0, i / 2, i % 2}) == want[i];
    ok(good, "prelu: one weight per channel (dim 1)");
    l2_tensor_release(r);
    l2_tensor *w1 = l2_from_data((const double[]){0.25}, L2_SHAPE(1), L2_FLOAT64);
    l2_tensor *s = l2_scalar(-4, L2_FLOAT64);
    r = l2_prelu(s, w1);
    ok(r && l2_ndim(r) == 0 && at(r, NULL) == -1, "prelu of a 0-d t with one weight is 0-d");
    l2_tensor_release(r);
    l2_tensor *w2 = l2_zeros(L2_SHAPE(2), L2_FLOAT64);
    is_err(l2_prelu(x, w2), L2_ERR_SHAPE, "channel size = 3", "prelu: 2 weights, 3 channels");
    l2_tensor *wf = l2_zeros(L2_SHAPE(3), L2_FLOAT32);
    is_err(l2_prelu(x, wf), L2_ERR_DTYPE, "float32", "prelu: weight of another dtype");
    /* glu: (1, 3, 2) has an even last dim */
    r = l2_glu(x, -1);
    good = r && same_shape(r, L2_SHAPE(1, 3, 1));
    for (int i = 0; good && i < 3; i++) {
        double a = at(x, (const int64_t[]){0, i, 0}), b = at(x, (const int64_t[]){0, i, 1});
        good = fabs(at(r, (const int64_t[]){0, i, 0}) - a / (1 + exp(-b))) < 1e-15;
    }
    ok(good, "glu along the last dim");
    l2_tensor_release(r);
    is_err(l2_glu(x, 1), L2_ERR_SHAPE, "must be even", "glu: odd size along dim");
    is_err(l2_glu(s, 0), L2_ERR_SHAPE, "scalars", "glu: 0-d");
    is_err(l2_glu(x, 3), L2_ERR_DIM, "", "glu: dim out of range");
    l2_tensor *xi = l2_zeros(L2_SHAPE(2), L2_INT64);
    is_err(l2_glu(xi, 0), L2_ERR_DTYPE, "int64", "glu: int64");
    is_err(l2_prelu(xi, xi), L2_ERR_DTYPE, "int64", "prelu: int64");
    /* gradients: x away from 0, a permuted input, one weight per channel and one weight */
    int64_t xs3[3] = {2, 4, 3};
    l2_tensor *gx = gc_leaf(3, xs3, -2, 2), *gw = gc_leaf(L2_SHAPE(3), -1, 1);
    l2_tensor *gw1 = gc_leaf(L2_SHAPE(1), 0.1, 0.9);
    l2_tensor *in[2] = {gx, gw}, *in1[2] = {gx, gw1};
    ok(gradcheck("prelu", gc_prelu, 2, in, NULL), "gradcheck: prelu, C weights");
    ok(gradcheck("prelu", gc_prelu, 2, in1, NULL), "gradcheck: prelu, one weight");
    int d1 = 1, d0 = -3;
    ok(gradcheck("glu", gc_glu, 1, &gx, &d1), "gradcheck: glu, dim 1");
    ok(gradcheck("glu", gc_glu, 1, &gx, &d0), "gradcheck: glu, dim -3");
    oom_check("prelu", gc_prelu, 2, in, NULL);
    oom_check("glu", gc_glu, 1, &gx, &d1);
    l2_tensor *list[] = {x, w, w1, s, w2, wf, xi, gx, gw, gw1};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- distances ---------------------------------------------------------------------------- */

static l2_tensor *gc_cos(l2_tensor *const *in, void *ctx)
{
    return l2_cosine_similarity(in[0], in[1], *(const int *)ctx, 1e-8);
}

static l2_tensor *gc_pd(l2_tensor *const *in, void *ctx)
{
    return l2_pairwise_distance(in[0], in[1], *(const double *)ctx, 1e-6, false);
}

static l2_tensor *gc_nz(l2_tensor *const *in, void *ctx)
{
    return l2_normalize(in[0], *(const double *)ctx, 1, 1e-12);
}

static void test_distances(void)
{
    l2_tensor *a = l2_from_data((const double[]){3, 4, 1, 0}, L2_SHAPE(2, 2), L2_FLOAT64);
    l2_tensor *b = l2_from_data((const double[]){4, 3}, L2_SHAPE(2), L2_FLOAT64);
    l2_tensor *r = l2_cosine_similarity(a, b, 1, 1e-8);
    ok(r && same_shape(r, L2_SHAPE(2)) && fabs(at(r, (const int64_t[]){0}) - 24.0 / 25) < 1e-15 &&
           fabs(at(r, (const int64_t[]){1}) - 0.8) < 1e-15,
       "cosine_similarity along dim 1, b broadcast");
    l2_tensor_release(r);
    l2_tensor *tiny = l2_from_data((const double[]){1e-10, 0}, L2_SHAPE(2), L2_FLOAT64);
    l2_tensor *e0 = l2_from_data((const double[]){1, 0}, L2_SHAPE(2), L2_FLOAT64);
    r = l2_cosine_similarity(tiny, e0, 0, 1e-8);
    ok(r && fabs(at(r, NULL) - 0.01) < 1e-15, "cosine_similarity: norms clamped at eps (torch)");
    l2_tensor_release(r);
    r = l2_pairwise_distance(a, b, 2, 0, true);
    ok(r && same_shape(r, L2_SHAPE(2, 1)) && fabs(at(r, (const int64_t[]){0, 0}) - sqrt(2)) <
           1e-15 && fabs(at(r, (const int64_t[]){1, 0}) - 3 * sqrt(2)) < 1e-15,
       "pairwise_distance, keepdim");
    l2_tensor_release(r);
    r = l2_pairwise_distance(a, b, INFINITY, 0, false);
    ok(r && same_shape(r, L2_SHAPE(2)) && at(r, (const int64_t[]){1}) == 3,
       "pairwise_distance, p = inf");
    l2_tensor_release(r);
    r = l2_normalize(a, 2, 1, 1e-12);
    ok(r && at(r, (const int64_t[]){0, 0}) == 0.6 && at(r, (const int64_t[]){1, 0}) == 1,
       "normalize along dim 1");
    l2_tensor_release(r);
    is_err(l2_normalize(a, 0, 1, 1e-12), L2_ERR_ARG, "p must be positive", "normalize p 0");
    is_err(l2_cosine_similarity(a, b, 2, 1e-8), L2_ERR_DIM, "", "cosine_similarity bad dim");
    l2_tensor *c = l2_zeros(L2_SHAPE(3), L2_FLOAT64);
    is_err(l2_pairwise_distance(a, c, 2, 1e-6, false), L2_ERR_SHAPE, "", "pairwise: shapes");
    l2_tensor *xi = l2_zeros(L2_SHAPE(2), L2_INT64);
    is_err(l2_normalize(xi, 2, 0, 1e-12), L2_ERR_DTYPE, "int64", "normalize int64");
    int64_t s3[3] = {2, 3, 4};
    l2_tensor *g1 = gc_leaf(3, s3, -1, 1), *g2 = gc_leaf(L2_SHAPE(3, 1), -1, 1);
    l2_tensor *in[2] = {g1, g2};
    int d1 = 1;
    double p2 = 2, p3 = 3, pinf = INFINITY;
    ok(gradcheck("cosine_similarity", gc_cos, 2, in, &d1), "gradcheck: cosine_similarity");
    /* a norm below eps: torch 1.13's gradient (x / max(norm, eps) for the norm), not the true
     * derivative: a = 0.3, b = -0.7, eps 0.5 gives da = -1.28 (torch), not -0.8 */
    l2_tensor *h1 = l2_from_data((const double[]){0.3}, L2_SHAPE(1), L2_FLOAT64);
    l2_tensor *h2 = l2_from_data((const double[]){-0.7}, L2_SHAPE(1), L2_FLOAT64);
    l2_set_requires_grad(h1, true);
    r = l2_cosine_similarity(h1, h2, 0, 0.5);
    l2_status st = r ? l2_backward(r, NULL, false) : l2_last_status();
    ok(st == L2_OK && fabs(at(r, NULL) + 0.6) < 1e-15 && l2_grad(h1) &&
           fabs(at(l2_grad(h1), (const int64_t[]){0}) + 1.28) < 1e-14,
       "cosine_similarity: torch's gradient where a norm is below eps");
    l2_tensor_release(r);
    ok(gradcheck("pairwise_distance", gc_pd, 2, in, &p2), "gradcheck: pairwise_distance p 2");
    ok(gradcheck("pairwise_distance", gc_pd, 2, in, &p3), "gradcheck: pairwise_distance p 3");
    ok(gradcheck("normalize", gc_nz, 1, in, &p2), "gradcheck: normalize p 2");
    ok(gradcheck("normalize", gc_nz, 1, in, &pinf), "gradcheck: normalize p inf");
    oom_check("cosine_similarity", gc_cos, 2, in, &d1);
    oom_check("pairwise_distance", gc_pd, 2, in, &p2);
    oom_check("normalize", gc_nz, 1, in, &p2);
    l2_tensor *list[] = {a, b, tiny, e0, c, xi, g1, g2, h1, h2};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

int main(void)
{
    for (int i = 0; i < NACTS; i++) {
        test_values(&acts[i], L2_FLOAT32);
        test_values(&acts[i], L2_FLOAT64);
    }
    test_kinks();
    test_specials();
    test_dtypes();
    test_grads();
    test_prelu_glu();
    test_distances();
    return tap_done();
}
