/* test-cg-loss.c: second derivatives (create_graph, issue 15) of nn_threshold and the losses of
 * loss2.c (libl2/ops/loss2-cg.c): gradgradcheck (tests/gradcheck.h) in float64 against central
 * differences of libl2's plain first derivative, for every differentiable input and the upstream
 * gradient: each loss with each reduction (kl_div's batchmean too), the variants (beta 0,
 * log_target, log_input, full, var of the input's shape / one dim short / last dim 1, eps
 * clamping), broadcasting operands, a transposed (non-contiguous) and an expanded (stride 0)
 * input; then torch's semantics where they are not a derivative of the first derivative
 * (gaussian_nll's clamped var), refusals and out-of-memory. The oracle (oracle/gradgrad.py)
 * compares the same with torch. */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <math.h>
#include <string.h>

enum { THR, SL1, HUBER, KL, MR, HINGE, PNLL, GNLL };
enum { CONTIG, TRANSPOSED, EXPANDED };

typedef struct {
    const char *name;
    int op;
    l2_reduction red;
    double p, q; /* threshold / beta / delta / margin / gaussian eps; threshold's value,
                  * poisson's eps */
    bool flag, full; /* log_target, log_input */
    int nin;
    int nd[3];
    int64_t sh[3][3];
    double lo[3], hi[3];
    int layout; /* of input 0: TRANSPOSED: a leaf of the transposed shape (2-d); EXPANDED: a
                 * leaf with a last dim of 1 */
} lcase;

#define R_NONE L2_REDUCTION_NONE
#define R_MEAN L2_REDUCTION_MEAN
#define R_SUM L2_REDUCTION_SUM
#define R_BM L2_REDUCTION_BATCHMEAN

/* two inputs of shape [3, 4] */
#define S2 2, {2, 2}, {{3, 4}, {3, 4}}
/* input [3, 4], target [4] */
#define S2B 2, {2, 1}, {{3, 4}, {4}}

static const lcase cases[] = {
    {"threshold", THR, R_NONE, 0.1, 2.0, 0, 0, 1, {2}, {{3, 4}}, {-1}, {1}, CONTIG},
    {"threshold (transposed)", THR, R_NONE, 0.1, 2.0, 0, 0, 1, {2}, {{3, 4}}, {-1}, {1},
     TRANSPOSED},
    {"threshold (expanded)", THR, R_NONE, -0.2, 0.0, 0, 0, 1, {2}, {{3, 4}}, {-1}, {1}, EXPANDED},
    {"smooth_l1 none", SL1, R_NONE, 1.0, 0, 0, 0, S2, {-2, -2}, {2, 2}, CONTIG},
    {"smooth_l1 mean", SL1, R_MEAN, 1.0, 0, 0, 0, S2, {-2, -2}, {2, 2}, CONTIG},
    {"smooth_l1 sum beta 0.5 (transposed)", SL1, R_SUM, 0.5, 0, 0, 0, S2, {-1, -1}, {1, 1},
     TRANSPOSED},
    {"smooth_l1 mean beta 2 broadcast", SL1, R_MEAN, 2.0, 0, 0, 0, S2B, {-2, -2}, {2, 2},
     CONTIG},
    {"smooth_l1 sum beta 0", SL1, R_SUM, 0.0, 0, 0, 0, S2, {-2, -2}, {2, 2}, CONTIG},
    {"huber none", HUBER, R_NONE, 1.0, 0, 0, 0, S2, {-2, -2}, {2, 2}, CONTIG},
    {"huber mean delta 0.4 (expanded)", HUBER, R_MEAN, 0.4, 0, 0, 0, S2, {-1, -1}, {1, 1},
     EXPANDED},
    {"huber sum broadcast", HUBER, R_SUM, 1.5, 0, 0, 0, S2B, {-2, -2}, {2, 2}, CONTIG},
    {"kl_div none", KL, R_NONE, 0, 0, false, 0, S2, {-3, 0.1}, {0, 1}, CONTIG},
    {"kl_div mean", KL, R_MEAN, 0, 0, false, 0, S2, {-3, 0.1}, {0, 1}, CONTIG},
    {"kl_div sum (transposed)", KL, R_SUM, 0, 0, false, 0, S2, {-3, 0.1}, {0, 1}, TRANSPOSED},
    {"kl_div batchmean broadcast", KL, R_BM, 0, 0, false, 0, S2B, {-3, 0.1}, {0, 1}, CONTIG},
    {"kl_div log_target none", KL, R_NONE, 0, 0, true, 0, S2, {-3, -3}, {0, 0}, CONTIG},
    {"kl_div log_target batchmean", KL, R_BM, 0, 0, true, 0, S2, {-3, -3}, {0, 0}, CONTIG},
    {"kl_div log_target mean broadcast", KL, R_MEAN, 0, 0, true, 0, S2B, {-3, -3}, {0, 0},
     CONTIG},
    {"margin_ranking none", MR, R_NONE, 0.2, 0, 0, 0, 3, {1, 1, 1}, {{6}, {6}, {6}},
     {-1, -1, -1}, {1, 1, 1}, CONTIG},
    {"margin_ranking mean", MR, R_MEAN, 0.0, 0, 0, 0, 3, {1, 1, 1}, {{6}, {6}, {6}},
     {-1, -1, -1}, {1, 1, 1}, CONTIG},
    {"margin_ranking sum broadcast (transposed)", MR, R_SUM, 0.5, 0, 0, 0, 3, {2, 2, 2},
     {{3, 4}, {3, 1}, {1, 4}}, {-1, -1, -1}, {1, 1, 1}, TRANSPOSED},
    {"hinge_embedding none", HINGE, R_NONE, 1.0, 0, 0, 0, S2, {-2, 0}, {2, 0}, CONTIG},
    {"hinge_embedding mean (transposed)", HINGE, R_MEAN, 0.5, 0, 0, 0, S2, {-2, 0}, {2, 0},
     TRANSPOSED},
    {"hinge_embedding sum broadcast", HINGE, R_SUM, 1.0, 0, 0, 0, S2B, {-2, 0}, {2, 0}, CONTIG},
    {"poisson_nll log_input none", PNLL, R_NONE, 0, 1e-8, true, false, S2, {-1, 0}, {1, 3},
     CONTIG},
    {"poisson_nll log_input full mean", PNLL, R_MEAN, 0, 1e-8, true, true, S2, {-1, 0.1},
     {1, 3}, CONTIG},
    {"poisson_nll full sum (expanded)", PNLL, R_SUM, 0, 1e-8, false, true, S2, {0.5, 0.1},
     {3, 3}, EXPANDED},
    {"poisson_nll eps 0.5 mean broadcast", PNLL, R_MEAN, 0, 0.5, false, false, S2B, {0.2, 0},
     {3, 3}, CONTIG},
    {"poisson_nll full none broadcast", PNLL, R_NONE, 0, 1e-8, false, true, S2B, {0.5, 0.1},
     {3, 3}, CONTIG},
    {"gaussian_nll none", GNLL, R_NONE, 1e-6, 0, 0, false, 3, {2, 2, 2},
     {{3, 4}, {3, 4}, {3, 4}}, {-1, -1, 0.5}, {1, 1, 2}, CONTIG},
    {"gaussian_nll full mean", GNLL, R_MEAN, 1e-6, 0, 0, true, 3, {2, 2, 2},
     {{3, 4}, {3, 4}, {3, 4}}, {-1, -1, 0.5}, {1, 1, 2}, CONTIG},
    {"gaussian_nll sum var one dim short", GNLL, R_SUM, 1e-6, 0, 0, false, 3, {2, 2, 1},
     {{3, 4}, {3, 4}, {3}}, {-1, -1, 0.5}, {1, 1, 2}, CONTIG},
    {"gaussian_nll mean var [3, 1] (transposed)", GNLL, R_MEAN, 1e-6, 0, 0, false, 3, {2, 2, 2},
     {{3, 4}, {3, 4}, {3, 1}}, {-1, -1, 0.5}, {1, 1, 2}, TRANSPOSED},
    {"gaussian_nll none target broadcast, eps 0.2 (var above it)", GNLL, R_NONE, 0.2, 0, 0,
     false, 3, {2, 1, 2}, {{3, 4}, {4}, {3, 4}}, {-1, -1, 0.3}, {1, 1, 2}, CONTIG},
};

static l2_tensor *fixed; /* hinge_embedding's target (no gradient: not an input of the check) */

static l2_tensor *apply(const lcase *c, l2_tensor *const *x)
{
    switch (c->op) {
    case THR: return l2_nn_threshold(x[0], c->p, c->q);
    case SL1: return l2_smooth_l1_loss(x[0], x[1], c->red, c->p);
    case HUBER: return l2_huber_loss(x[0], x[1], c->red, c->p);
    case KL: return l2_kl_div(x[0], x[1], c->red, c->flag);
    case MR: return l2_margin_ranking_loss(x[0], x[1], x[2], c->p, c->red);
    case HINGE: return l2_hinge_embedding_loss(x[0], fixed, c->p, c->red);
    case PNLL: return l2_poisson_nll_loss(x[0], x[1], c->flag, c->full, c->q, c->red);
    default: return l2_gaussian_nll_loss(x[0], x[1], x[2], c->full, c->p, c->red);
    }
}

static l2_tensor *f(l2_tensor *const *in, void *ctx)
{
    const lcase *c = ctx;
    l2_tensor *x[3] = {in[0], c->nin > 1 ? in[1] : NULL, c->nin > 2 ? in[2] : NULL};
    l2_tensor *v = NULL;
    if (c->layout == TRANSPOSED)
        v = l2_transpose(in[0], 0, 1);
    else if (c->layout == EXPANDED)
        v = l2_expand(in[0], c->nd[0], c->sh[0]);
    if (c->layout != CONTIG) {
        if (!v)
            return NULL;
        x[0] = v;
    }
    l2_tensor *r = apply(c, x);
    l2_tensor_release(v);
    return r;
}

/* The leaves of case c (input 0 in its layout's leaf shape); hinge's fixed target: +-1 with
 * a 0.5 (both terms). */
static int make_inputs(const lcase *c, l2_tensor **in)
{
    int n = c->op == HINGE ? 1 : c->nin;
    for (int k = 0; k < n; k++) {
        int64_t sh[3];
        memcpy(sh, c->sh[k], sizeof sh);
        if (k == 0 && c->layout == TRANSPOSED) {
            sh[0] = c->sh[0][1];
            sh[1] = c->sh[0][0];
        } else if (k == 0 && c->layout == EXPANDED) {
            sh[c->nd[0] - 1] = 1;
        }
        in[k] = gc_leaf(c->nd[k], sh, c->lo[k], c->hi[k]);
    }
    if (c->op == HINGE) {
        l2_tensor *u = l2_uniform(c->nd[1], c->sh[1], -1, 1, L2_FLOAT64);
        fixed = u ? l2_sign(u) : NULL;
        l2_tensor_release(u);
        if (fixed) /* one element neither 1 nor -1 */
            l2_set(fixed, (int64_t[]){0, 0, 0}, 0.5);
    }
    return n;
}

/* gaussian_nll where var < eps: torch's second derivative goes through v = max(var, eps) as if
 * it were var (the clamp is outside autograd), so it is not the derivative of the (constant)
 * first derivative: d2/dvar2 of sum = (-1 / v^2 + 2 d^2 / v^3) / 2 at v = eps. */
static void gaussian_clamped(void)
{
    double eps = 0.1;
    l2_tensor *x = l2_zeros(1, (int64_t[]){2}, L2_FLOAT64), *t = l2_zeros_like(x);
    l2_tensor *var = l2_zeros_like(x);
    l2_set_requires_grad(x, true);
    l2_set_requires_grad(var, true);
    l2_no_grad_begin();
    l2_set(x, (int64_t[]){0}, 0.3);
    l2_set(x, (int64_t[]){1}, 0.3);
    l2_set(var, (int64_t[]){0}, 0.02); /* clamped to eps */
    l2_set(var, (int64_t[]){1}, 0.5);
    l2_no_grad_end();
    l2_tensor *y = l2_gaussian_nll_loss(x, t, var, false, eps, R_SUM), *g = NULL, *h = NULL;
    l2_status st = l2_autograd_grad_ex(1, &y, NULL, 1, &var, &g, true, true, false);
    l2_tensor *s = st == L2_OK ? l2_sum(g) : NULL;
    if (s)
        st = l2_autograd_grad(1, &s, NULL, 1, &var, &h, false, false);
    double g0 = 0, h0 = 0, h1 = 0;
    if (h) {
        l2_get(g, (int64_t[]){0}, &g0);
        l2_get(h, (int64_t[]){0}, &h0);
        l2_get(h, (int64_t[]){1}, &h1);
    }
    double d2 = 0.09, v = eps, w = 0.5;
    ok(st == L2_OK && h && fabs(g0 - 0.5 * (1 / v - d2 / (v * v))) < 1e-12 &&
           fabs(h0 - 0.5 * (-1 / (v * v) + 2 * d2 / (v * v * v))) < 1e-9 &&
           fabs(h1 - 0.5 * (-1 / (w * w) + 2 * d2 / (w * w * w))) < 1e-12,
       "gaussian_nll: clamped var: torch's second derivative through v = eps (%g %g)", h0, h1);
    l2_tensor *rel[] = {x, t, var, y, g, h, s};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++)
        l2_tensor_release(rel[i]);
}

/* Which inputs get a second derivative, and which do not: smooth_l1's at beta 0 and hinge's
 * and threshold's in x are none (torch's are zero); float32 works and keeps its dtype. */
static void zero_and_dtypes(void)
{
    l2_tensor *x = gc_leaf(1, (int64_t[]){5}, -2, 2), *t = gc_leaf(1, (int64_t[]){5}, -2, 2);
    l2_tensor *y = l2_smooth_l1_loss(x, t, R_NONE, 0.0), *g[2] = {NULL, NULL}, *h[3] = {0};
    l2_tensor *v = l2_randn_like(y);
    l2_set_requires_grad(v, true);
    l2_status st = l2_autograd_grad_ex(1, &y, &v, 2, (l2_tensor *[]){x, t}, g, true, true,
                                       false);
    l2_tensor *s = st == L2_OK ? l2_sum(g[0]) : NULL;
    if (s)
        st = l2_autograd_grad(1, &s, NULL, 3, (l2_tensor *[]){x, t, v}, h, false, true);
    ok(st == L2_OK && !h[0] && !h[1] && h[2],
       "smooth_l1 beta 0: no second derivative in x, target (torch's are 0), one in v");
    l2_tensor_release(h[2]);
    l2_tensor_release(v);
    l2_tensor *rel[] = {y, g[0], g[1], h[0], h[1], s};
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++)
        l2_tensor_release(rel[i]);
    l2_tensor_release(x);
    l2_tensor_release(t);

    /* float32 input, float64 0-d target: the float32 result; the gradients in their dtypes */
    l2_tensor *x32 = l2_uniform(2, (int64_t[]){2, 3}, 0.5, 2, L2_FLOAT32);
    l2_tensor *t64 = l2_scalar(1.5, L2_FLOAT64);
    l2_set_requires_grad(x32, true);
    l2_set_requires_grad(t64, true);
    l2_tensor *in[2] = {x32, t64}, *gg[2] = {0}, *hh[2] = {0};
    y = l2_poisson_nll_loss(x32, t64, false, true, 1e-8, R_MEAN);
    st = y ? l2_autograd_grad_ex(1, &y, NULL, 2, in, gg, true, true, false) : l2_last_status();
    s = NULL;
    if (st == L2_OK) {
        l2_tensor *a = l2_sum(gg[0]), *b = a ? l2_mul(gg[1], gg[1]) : NULL;
        s = b ? l2_add(a, b) : NULL;
        l2_tensor_release(a);
        l2_tensor_release(b);
        st = s ? l2_autograd_grad(1, &s, NULL, 2, in, hh, false, false) : l2_last_status();
    }
    ok(st == L2_OK && l2_dtype_of(y) == L2_FLOAT32 && l2_dtype_of(gg[0]) == L2_FLOAT32 &&
           l2_dtype_of(gg[1]) == L2_FLOAT64 && hh[0] && l2_dtype_of(hh[0]) == L2_FLOAT32 &&
           hh[1] && l2_ndim(hh[1]) == 0,
       "poisson_nll mixed float32 / 0-d float64: second derivatives in the inputs' dtypes");
    l2_tensor *rel2[] = {x32, t64, y, gg[0], gg[1], hh[0], hh[1], s};
    for (size_t i = 0; i < sizeof rel2 / sizeof *rel2; i++)
        l2_tensor_release(rel2[i]);
}

int main(void)
{
    l2_manual_seed(1514);
    int64_t live0 = l2_live_tensors();
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        const lcase *c = &cases[k];
        l2_tensor *in[3] = {NULL, NULL, NULL};
        int n = make_inputs(c, in);
        ok(gradgradcheck(c->name, f, n, in, (void *)c), "gradgradcheck: %s", c->name);
        if (c->red == R_MEAN && c->layout == CONTIG)
            cg_oom_sweep(c->name, f, n, in, (void *)c);
        for (int i = 0; i < n; i++)
            l2_tensor_release(in[i]);
        l2_tensor_release(fixed);
        fixed = NULL;
    }
    gaussian_clamped();
    zero_and_dtypes();
    is_int(l2_live_tensors(), live0, "no tensor leaked");
    return tap_done();
}
