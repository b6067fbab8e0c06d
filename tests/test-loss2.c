/* test-loss2.c: the threshold activation and the losses of issue 14, area loss
 * (libl2/ops/loss2.c, loss2-act.c): values against scalar references in float32 and float64
 * for each reduction (contiguous and transposed inputs), torch's values and gradients at the
 * edges, finite-difference gradients (broadcast inputs included), the error paths and an
 * out-of-memory sweep. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#define LOG_2PI 1.8378770664093454835606594728112

/* ---- the losses under test, with their parameters fixed, and scalar references ------------ */

typedef l2_tensor *(*loss_fn)(l2_tensor *const *in, l2_reduction r);

static l2_tensor *f_sl1(l2_tensor *const *in, l2_reduction r)
{
    return l2_smooth_l1_loss(in[0], in[1], r, 0.7);
}
static double r_sl1(const double *v)
{
    double z = fabs(v[0] - v[1]);
    return z < 0.7 ? 0.5 * z * z / 0.7 : z - 0.35;
}
static l2_tensor *f_huber(l2_tensor *const *in, l2_reduction r)
{
    return l2_huber_loss(in[0], in[1], r, 0.8);
}
static double r_huber(const double *v)
{
    double z = fabs(v[0] - v[1]);
    return z < 0.8 ? 0.5 * z * z : 0.8 * (z - 0.4);
}
static l2_tensor *f_kl(l2_tensor *const *in, l2_reduction r)
{
    return l2_kl_div(in[0], in[1], r, false);
}
static double r_kl(const double *v) { return v[1] * log(v[1]) - v[1] * v[0]; }
static l2_tensor *f_kl_log(l2_tensor *const *in, l2_reduction r)
{
    return l2_kl_div(in[0], in[1], r, true);
}
static double r_kl_log(const double *v) { return exp(v[1]) * (v[1] - v[0]); }
static l2_tensor *f_mr(l2_tensor *const *in, l2_reduction r)
{
    return l2_margin_ranking_loss(in[0], in[1], in[2], 0.3, r);
}
static double r_mr(const double *v) { return fmax(0, -v[2] * (v[0] - v[1]) + 0.3); }
static l2_tensor *f_hinge(l2_tensor *const *in, l2_reduction r)
{
    return l2_hinge_embedding_loss(in[0], in[1], 0.9, r);
}
static double r_hinge(const double *v) { return v[1] == 1 ? v[0] : fmax(0, 0.9 - v[0]); }
static l2_tensor *f_pnll_log(l2_tensor *const *in, l2_reduction r)
{
    return l2_poisson_nll_loss(in[0], in[1], true, true, 1e-8, r);
}
static double r_pnll_log(const double *v)
{
    double t = v[1];
    return exp(v[0]) - t * v[0] + (t > 1 ? t * log(t) - t + 0.5 * log(2 * M_PI * t) : 0);
}
static l2_tensor *f_pnll(l2_tensor *const *in, l2_reduction r)
{
    return l2_poisson_nll_loss(in[0], in[1], false, false, 1e-8, r);
}
static double r_pnll(const double *v) { return v[0] - v[1] * log(v[0] + 1e-8); }
static l2_tensor *f_gnll(l2_tensor *const *in, l2_reduction r)
{
    return l2_gaussian_nll_loss(in[0], in[1], in[2], true, 1e-6, r);
}
static double r_gnll(const double *v)
{
    return 0.5 * (log(v[2]) + (v[0] - v[1]) * (v[0] - v[1]) / v[2]) + 0.5 * LOG_2PI;
}

typedef struct {
    const char *name;
    int nin;
    loss_fn f;
    double (*ref)(const double *v);
    double lo[3], hi[3];
    int pm1;  /* index of an input holding alternating +-1 (targets), or -1 */
    int ndiff; /* inputs 0 .. ndiff-1 are differentiable (finite differences) */
} loss;

static const loss losses[] = {
    {"smooth_l1", 2, f_sl1, r_sl1, {-2, -2}, {2, 2}, -1, 2},
    {"huber", 2, f_huber, r_huber, {-2, -2}, {2, 2}, -1, 2},
    {"kl_div", 2, f_kl, r_kl, {-3, 0.1}, {0, 1}, -1, 2},
    {"kl_div log_target", 2, f_kl_log, r_kl_log, {-3, -3}, {0, 0}, -1, 2},
    {"margin_ranking", 3, f_mr, r_mr, {-2, -2, 0}, {2, 2, 0}, 2, 3},
    {"hinge_embedding", 2, f_hinge, r_hinge, {-2, 0}, {2, 0}, 1, 1},
    {"poisson_nll log_input full", 2, f_pnll_log, r_pnll_log, {-2, 0.1}, {2, 4}, -1, 2},
    {"poisson_nll", 2, f_pnll, r_pnll, {0.1, 0.1}, {3, 4}, -1, 2},
    {"gaussian_nll full", 3, f_gnll, r_gnll, {-2, -2, 0.2}, {2, 2, 2}, -1, 3},
};
enum { NLOSS = (int)(sizeof losses / sizeof losses[0]) };

/* Input k of loss L: (2, 3) float64 values in its range (or +-1), seeded. */
static l2_tensor *mk_input(const loss *L, int k)
{
    int64_t sh[2] = {2, 3};
    if (k == L->pm1) {
        double v[6] = {1, -1, -1, 1, 1, -1};
        return l2_from_data(v, 2, sh, L2_FLOAT64);
    }
    return l2_uniform(2, sh, L->lo[k], L->hi[k], L2_FLOAT64);
}

/* NONE, SUM and MEAN against the reference, in float32 and float64, from contiguous inputs and
 * from transposed views of the same values. */
static void test_values(const loss *L)
{
    l2_manual_seed(11);
    l2_tensor *in[3] = {NULL, NULL, NULL};
    for (int k = 0; k < L->nin; k++)
        in[k] = mk_input(L, k);
    double want[6], sum = 0;
    for (int64_t i = 0; i < 6; i++) {
        double v[3];
        for (int k = 0; k < L->nin; k++)
            v[k] = flat(in[k], i);
        want[i] = L->ref(v);
        sum += want[i];
    }
    for (int pass = 0; pass < 4; pass++) {
        l2_dtype dt = pass & 1 ? L2_FLOAT32 : L2_FLOAT64;
        double tol = dt == L2_FLOAT32 ? 3e-6 : 1e-13;
        l2_tensor *x[3] = {NULL, NULL, NULL};
        for (int k = 0; k < L->nin; k++) {
            l2_tensor *c = l2_to_dtype(in[k], dt);
            if (pass >= 2) { /* transposed views holding the same values */
                l2_tensor *t = l2_t(c), *tc = l2_contiguous(t);
                x[k] = l2_t(tc);
                l2_tensor_release(t);
                l2_tensor_release(tc);
                l2_tensor_release(c);
            } else {
                x[k] = c;
            }
        }
        l2_tensor *r = L->f(x, L2_REDUCTION_NONE);
        int good = r && l2_ndim(r) == 2 && l2_dtype_of(r) == dt;
        double worst = 0;
        for (int64_t i = 0; good && i < 6; i++) {
            double e = fabs(flat(r, i) - want[i]) / (1 + fabs(want[i]));
            worst = e > worst ? e : worst;
        }
        ok(good && worst <= tol, "%s %s%s: NONE within %g of the reference (worst %g)", L->name,
           l2_dtype_name(dt), pass >= 2 ? " transposed" : "", tol, worst);
        l2_tensor_release(r);
        double s = itemr(L->f(x, L2_REDUCTION_SUM)), m = itemr(L->f(x, L2_REDUCTION_MEAN));
        ok(fabs(s - sum) <= tol * (1 + fabs(sum)) * 6 && fabs(m - sum / 6) <= tol * (1 + fabs(sum)),
           "%s %s: SUM %.9g (want %.9g), MEAN %.9g (want %.9g)", L->name, l2_dtype_name(dt), s,
           sum, m, sum / 6);
        for (int k = 0; k < L->nin; k++)
            l2_tensor_release(x[k]);
    }
    for (int k = 0; k < L->nin; k++)
        l2_tensor_release(in[k]);
}

/* Finite differences for each reduction, the non-differentiable inputs held in ctx. */
typedef struct {
    const loss *L;
    l2_reduction r;
    l2_tensor *fixed[3];
} gctx;

static l2_tensor *gc_loss(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *x[3];
    for (int k = 0; k < c->L->nin; k++)
        x[k] = k < c->L->ndiff ? in[k] : c->fixed[k];
    return c->L->f(x, c->r);
}

static void test_grads(const loss *L)
{
    l2_manual_seed(5);
    for (int r = 0; r < 3; r++) {
        gctx c = {.L = L, .r = (l2_reduction)r};
        l2_tensor *in[3] = {NULL, NULL, NULL};
        for (int k = 0; k < L->nin; k++) {
            l2_tensor *t = mk_input(L, k);
            if (k < L->ndiff) {
                in[k] = l2_detach(t);
                l2_set_requires_grad(in[k], true);
                l2_tensor_release(t);
            } else {
                c.fixed[k] = t;
            }
        }
        ok(gradcheck(L->name, gc_loss, L->ndiff, in, &c), "%s: gradients (reduction %d)",
           L->name, r);
        for (int k = 0; k < 3; k++) {
            l2_tensor_release(in[k]);
            l2_tensor_release(c.fixed[k]);
        }
    }
}

/* Broadcast inputs: gradients summed back to each input's shape. */
static l2_tensor *gc_mr_bcast(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_margin_ranking_loss(in[0], in[1], in[2], 0.1, L2_REDUCTION_MEAN);
}
static l2_tensor *gc_gnll_bcast(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_gaussian_nll_loss(in[0], in[1], in[2], false, 0.05, L2_REDUCTION_SUM);
}
static l2_tensor *gc_sl1_bcast(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_smooth_l1_loss(in[0], in[1], L2_REDUCTION_NONE, 1.0);
}
static l2_tensor *gc_cos(l2_tensor *const *in, void *ctx)
{
    return l2_cosine_embedding_loss(in[0], in[1], ctx, 0.2, L2_REDUCTION_MEAN);
}

static void test_broadcast_grads(void)
{
    l2_manual_seed(7);
    l2_tensor *a = gc_leaf(L2_SHAPE(4, 3), -2, 2), *b = gc_leaf(L2_SHAPE(1, 3), -2, 2);
    l2_tensor *y = gc_leaf(L2_SHAPE(4, 1), -1, 1);
    l2_tensor *in[3] = {a, b, y};
    ok(gradcheck("margin_ranking broadcast", gc_mr_bcast, 3, in, NULL),
       "margin_ranking: broadcast gradients summed to (4,3), (1,3), (4,1)");
    ok(gradcheck("smooth_l1 broadcast", gc_sl1_bcast, 2, in, NULL),
       "smooth_l1: broadcast gradients summed to (4,3), (1,3)");
    /* var one dim short (4): unsqueezed to (4, 1) */
    double vv[4] = {0.1, 0.5, 1.5, 0.2};
    l2_tensor *v = l2_from_data(vv, L2_SHAPE(4), L2_FLOAT64);
    l2_set_requires_grad(v, true);
    l2_tensor *in2[3] = {a, b, v};
    ok(gradcheck("gaussian_nll broadcast", gc_gnll_bcast, 3, in2, NULL),
       "gaussian_nll: var (4) for input (4,3)");
    /* var below eps: clamped outside autograd, its gradient taken at eps and passed on */
    l2_tensor *gx = l2_scalar(1.5, L2_FLOAT64), *gt = l2_scalar(0.5, L2_FLOAT64);
    l2_tensor *gv = l2_scalar(0.1, L2_FLOAT64);
    l2_set_requires_grad(gx, true);
    l2_set_requires_grad(gv, true);
    l2_tensor *gl = l2_gaussian_nll_loss(gx, gt, gv, false, 0.5, L2_REDUCTION_SUM);
    ok(gl && fabs(item(gl) - 0.5 * (log(0.5) + 2)) < 1e-15 &&
           l2_backward(gl, NULL, false) == L2_OK && item(l2_grad(gx)) == 2 &&
           item(l2_grad(gv)) == 0.5 * (2 - 4),
       "gaussian_nll: var 0.1 clamped at eps 0.5: loss, dx = d / eps, dvar at eps");
    l2_tensor_release(gl);
    l2_tensor_release(gx);
    l2_tensor_release(gt);
    l2_tensor_release(gv);
    double tv[4] = {1, -1, 1, -1};
    l2_tensor *t = l2_from_data(tv, L2_SHAPE(4), L2_FLOAT64);
    l2_tensor *x2 = gc_leaf(L2_SHAPE(4, 3), -2, 2);
    l2_tensor *in3[2] = {a, x2};
    ok(gradcheck("cosine_embedding", gc_cos, 2, in3, t), "cosine_embedding: gradients (N, D)");
    l2_tensor *a1 = gc_leaf(L2_SHAPE(5), -2, 2), *b1 = gc_leaf(L2_SHAPE(5), -2, 2);
    l2_tensor *t0 = l2_scalar(-1, L2_FLOAT64);
    l2_tensor *in4[2] = {a1, b1};
    ok(gradcheck("cosine_embedding 1-d", gc_cos, 2, in4, t0),
       "cosine_embedding: gradients (D) with a 0-d target");
    l2_tensor *all[] = {a, b, y, v, t, x2, a1, b1, t0};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
}

/* torch's values at the edges. */
static void test_edges(void)
{
    /* kl_div: 0 log 0 = 0; the target's gradient is NaN there (torch's xlogy gradient) */
    double xv[3] = {-1, -2, -0.5}, tv[3] = {0, 0.5, 2};
    l2_tensor *x = l2_from_data(xv, L2_SHAPE(3), L2_FLOAT64);
    l2_tensor *t = l2_from_data(tv, L2_SHAPE(3), L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_set_requires_grad(t, true);
    l2_tensor *r = l2_kl_div(x, t, L2_REDUCTION_NONE, false);
    ok(r && flat(r, 0) == 0 && fabs(flat(r, 1) - (0.5 * log(0.5) + 1)) < 1e-15,
       "kl_div: 0 log 0 = 0, 0.5 log 0.5 - 0.5 (-2)");
    l2_tensor *s = l2_sum(r);
    ok(s && l2_backward(s, NULL, false) == L2_OK, "kl_div: backward");
    const l2_tensor *gt = l2_grad(t), *gx = l2_grad(x);
    ok(gt && isnan(flat(gt, 0)) && fabs(flat(gt, 1) - (log(0.5) + 1 + 2)) < 1e-15,
       "kl_div: target gradient NaN at 0, log t + 1 - x at 0.5 (got %g, %g)",
       gt ? flat(gt, 0) : 0.0, gt ? flat(gt, 1) : 0.0);
    ok(gx && flat(gx, 2) == -2, "kl_div: input gradient -t");
    l2_tensor_release(r);
    l2_tensor_release(s);
    /* batchmean divides the sum by the input's size 0; a 0-d input by nothing */
    l2_tensor *x2 = l2_full(L2_SHAPE(4, 2), -1, L2_FLOAT32), *t2 = l2_full(L2_SHAPE(4, 2), 1,
                                                                          L2_FLOAT32);
    double bm = itemr(l2_kl_div(x2, t2, L2_REDUCTION_BATCHMEAN, false));
    ok(bm == 2, "kl_div: batchmean of 8 ones over 4 rows is 2 (got %g)", bm);
    l2_tensor *x0 = l2_scalar(-1, L2_FLOAT64), *t0 = l2_scalar(1, L2_FLOAT64);
    ok(itemr(l2_kl_div(x0, t0, L2_REDUCTION_BATCHMEAN, false)) == 1, "kl_div: 0-d batchmean");
    /* margin_ranking: the clamp's edge passes the gradient (z = 0) */
    l2_tensor *a = l2_scalar(1, L2_FLOAT64), *b = l2_scalar(1, L2_FLOAT64);
    l2_tensor *y = l2_scalar(1, L2_FLOAT64);
    l2_set_requires_grad(a, true);
    l2_tensor *mr = l2_margin_ranking_loss(a, b, y, 0, L2_REDUCTION_SUM);
    ok(mr && l2_backward(mr, NULL, false) == L2_OK && l2_grad(a) &&
           item(l2_grad(a)) == -1, "margin_ranking: gradient -y at the clamp's edge");
    l2_tensor_release(mr);
    /* hinge: a target of neither 1 nor -1 takes both terms */
    l2_tensor *hx = l2_scalar(0.25, L2_FLOAT64), *ht = l2_scalar(0.5, L2_FLOAT64);
    double hv = itemr(l2_hinge_embedding_loss(hx, ht, 1, L2_REDUCTION_NONE));
    ok(hv == 1, "hinge: target 0.5 gives max(0, 1 - x) + x = 1 (got %g)", hv);
    /* smooth_l1 with beta 0 is l1_loss */
    double sv = itemr(l2_smooth_l1_loss(hx, t0, L2_REDUCTION_MEAN, 0));
    ok(sv == 0.75, "smooth_l1: beta 0 is l1 (got %g)", sv);
    /* ... but its gradient at d == 0 is torch's smooth_l1 kernel's: -g for both operands */
    l2_tensor *sx = l2_scalar(0.5, L2_FLOAT64), *st = l2_scalar(0.5, L2_FLOAT64);
    l2_set_requires_grad(sx, true);
    l2_set_requires_grad(st, true);
    l2_tensor *sl = l2_smooth_l1_loss(sx, st, L2_REDUCTION_SUM, 0);
    l2_tensor *sg = l2_scalar(-0.125, L2_FLOAT64);
    ok(sl && l2_backward(sl, sg, false) == L2_OK && item(l2_grad(sx)) == 0.125 &&
           item(l2_grad(st)) == 0.125, "smooth_l1: beta 0, d 0: both gradients -g (as torch)");
    is_str(l2_grad_fn_name(sl), "smooth_l1_loss", "smooth_l1: beta 0 keeps its node");
    l2_tensor *more[] = {sx, st, sl, sg};
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
        l2_tensor_release(more[i]);
    /* poisson full: Stirling's term only where t > 1 */
    l2_tensor *pt = l2_scalar(1, L2_FLOAT64);
    double pv = itemr(l2_poisson_nll_loss(hx, pt, true, true, 1e-8, L2_REDUCTION_SUM));
    ok(fabs(pv - (exp(0.25) - 0.25)) < 1e-15, "poisson_nll: no Stirling term at t = 1");
    /* the mean of nothing is NaN */
    l2_tensor *e = l2_zeros(L2_SHAPE(0), L2_FLOAT32);
    ok(isnan(itemr(l2_huber_loss(e, e, L2_REDUCTION_MEAN, 1))), "huber: mean of nothing is NaN");
    l2_tensor *all[] = {x, t, x2, t2, x0, t0, a, b, y, hx, ht, pt, e};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
}

static void test_threshold(void)
{
    double xv[6] = {-1, 0.5, 0.5000001, 2, NAN, 0.25};
    l2_tensor *x = l2_from_data(xv, L2_SHAPE(6), L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *y = l2_nn_threshold(x, 0.5, 7);
    double want[6] = {7, 7, 0.5000001, 2, NAN, 7};
    ok(holds(y, 6, want), "threshold: x <= 0.5 becomes 7, NaN kept");
    double gv[6] = {1, 2, 3, 4, 5, 6};
    l2_tensor *g = l2_from_data(gv, L2_SHAPE(6), L2_FLOAT64);
    ok(y && l2_backward(y, g, false) == L2_OK, "threshold: backward");
    double gw[6] = {0, 0, 3, 4, 5, 0};
    ok(holds(l2_grad(x), 6, gw), "threshold: gradient 0 where x <= threshold, g at NaN");
    is_str(l2_grad_fn_name(y), "nn_threshold", "threshold: node name");
    l2_tensor *xf = l2_to_dtype(x, L2_FLOAT32);
    l2_tensor *yf = l2_nn_threshold(xf, 0.1f, -3);
    double wf[6] = {-3, 0.5f, 0.5000001f, 2, NAN, 0.25};
    ok(holds(yf, 6, wf) && l2_dtype_of(yf) == L2_FLOAT32, "threshold: float32");
    int64_t iv[4] = {0, 1, -1, 3};
    l2_tensor *xi = l2_from_data(iv, L2_SHAPE(4), L2_INT64);
    l2_tensor *yi = l2_nn_threshold(xi, -0.5, 9.9); /* truncated: x <= 0 becomes 9 */
    double wi[4] = {9, 1, 9, 3};
    ok(holds(yi, 4, wi) && l2_dtype_of(yi) == L2_INT64, "threshold: int64 truncates");
    l2_tensor *all[] = {x, y, g, xf, yf, xi, yi};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        l2_tensor_release(all[i]);
}

static void test_errors(void)
{
    l2_tensor *a = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT32), *b = l2_zeros(L2_SHAPE(3, 2), L2_FLOAT32);
    l2_tensor *v = l2_ones(L2_SHAPE(2, 3), L2_FLOAT32), *i = l2_zeros(L2_SHAPE(2, 3), L2_INT64);
    l2_tensor *n = l2_full(L2_SHAPE(2, 3), -1, L2_FLOAT32), *y = l2_ones(L2_SHAPE(2), L2_FLOAT32);
    is_err(l2_smooth_l1_loss(a, a, L2_REDUCTION_MEAN, -1), L2_ERR_ARG, "negative values for beta",
           "smooth_l1: beta < 0");
    is_err(l2_huber_loss(a, a, L2_REDUCTION_MEAN, 0), L2_ERR_ARG, "non-positive", "huber: delta 0");
    is_err(l2_huber_loss(a, b, L2_REDUCTION_MEAN, 1), L2_ERR_SHAPE, "broadcast",
           "huber: shapes that do not broadcast");
    is_err(l2_huber_loss(a, a, L2_REDUCTION_BATCHMEAN, 1), L2_ERR_ARG, "invalid reduction",
           "huber: batchmean refused");
    is_err(l2_kl_div(a, a, (l2_reduction)7, false), L2_ERR_ARG, "invalid reduction",
           "kl_div: reduction 7");
    is_err(l2_kl_div(i, a, L2_REDUCTION_SUM, false), L2_ERR_DTYPE, "float", "kl_div: int64 input");
    is_err(l2_kl_div(NULL, a, L2_REDUCTION_SUM, false), L2_ERR_NULL, "input", "kl_div: NULL");
    is_err(l2_margin_ranking_loss(a, a, y, 0, L2_REDUCTION_SUM), L2_ERR_SHAPE, "same dimension",
           "margin_ranking: target of another rank");
    is_err(l2_hinge_embedding_loss(a, b, 1, L2_REDUCTION_SUM), L2_ERR_SHAPE, "broadcast",
           "hinge: shapes");
    is_err(l2_cosine_embedding_loss(a, a, a, 0, L2_REDUCTION_SUM), L2_ERR_ARG, "multi-target",
           "cosine_embedding: 2-d target");
    is_err(l2_cosine_embedding_loss(y, y, y, 0, L2_REDUCTION_SUM), L2_ERR_SHAPE, "expects 2D",
           "cosine_embedding: 1-d inputs with a 1-d target");
    is_err(l2_gaussian_nll_loss(a, a, b, false, 1e-6, L2_REDUCTION_SUM), L2_ERR_SHAPE,
           "incorrect size", "gaussian_nll: var of another shape");
    is_err(l2_gaussian_nll_loss(a, a, n, false, 1e-6, L2_REDUCTION_SUM), L2_ERR_ARG,
           "negative", "gaussian_nll: negative var");
    is_err(l2_poisson_nll_loss(a, NULL, true, false, 1e-8, L2_REDUCTION_SUM), L2_ERR_NULL,
           "target", "poisson_nll: NULL target");
    l2_tensor *bo = l2_zeros(L2_SHAPE(2), L2_BOOL);
    is_err(l2_nn_threshold(bo, 0, 1), L2_ERR_DTYPE, "Bool", "threshold: bool");
    is_err(l2_nn_threshold(i, 1e300, 1), L2_ERR_ARG, "int64", "threshold: int64 overflow");
    l2_tensor *all[] = {a, b, v, i, n, y, bo};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
}

static l2_tensor *oom_gnll(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_gaussian_nll_loss(in[0], in[1], in[2], true, 1e-6, L2_REDUCTION_MEAN);
}
static l2_tensor *oom_cos(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_cosine_embedding_loss(in[0], in[1], in[2], 0.1, L2_REDUCTION_SUM);
}

static void test_oom(void)
{
    l2_tensor *a = gc_leaf(L2_SHAPE(3, 4), -1, 1), *b = gc_leaf(L2_SHAPE(3, 4), -1, 1);
    l2_tensor *v = gc_leaf(L2_SHAPE(3), 0.5, 1);
    l2_tensor *in[3] = {a, b, v};
    oom_check("gaussian_nll", oom_gnll, 3, in, NULL);
    double tv[3] = {1, -1, 1};
    l2_tensor *t = l2_from_data(tv, L2_SHAPE(3), L2_FLOAT64);
    l2_tensor *in2[3] = {a, b, t};
    oom_check("cosine_embedding", oom_cos, 2, in2, NULL);
    l2_tensor *all[] = {a, b, v, t};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
}

int main(void)
{
    for (int i = 0; i < NLOSS; i++) {
        test_values(&losses[i]);
        test_grads(&losses[i]);
    }
    test_broadcast_grads();
    test_edges();
    test_threshold();
    test_errors();
    test_oom();
    return tap_done();
}
