/* test-norm2.c: group_norm, instance_norm and local_response_norm (libl2/ops/nn-norm2.c) against
 * reference loops written here in float64: values in float32 and float64, weight and bias,
 * non-contiguous inputs, the running statistics of instance_norm (updated, or left alone on a
 * failure and for an empty batch), eval mode as batch_norm, empty inputs, torch 1.13's errors in
 * its order, finite-difference gradients and an out-of-memory sweep. */
#include <l2.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* max |got - want| over n row-major elements (inf when got is NULL or the wrong size). */
static double max_diff(const l2_tensor *got, const double *want, int64_t n)
{
    if (!got || l2_numel(got) != n)
        return INFINITY;
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs(flat(got, i) - want[i]);
        m = d > m || isnan(d) ? d : m;
    }
    return m;
}

/* Reference group norm of contiguous row-major x (N, C, S) values into y. */
static void ref_group_norm(const double *x, int64_t N, int64_t C, int64_t S, int64_t G,
                           const double *w, const double *b, double eps, double *y)
{
    int64_t D = C / G * S;
    for (int64_t n = 0; n < N; n++)
        for (int64_t g = 0; g < G; g++) {
            const double *p = x + (n * G + g) * D;
            double m = 0, v = 0;
            for (int64_t j = 0; j < D; j++)
                m += p[j];
            m /= (double)D;
            for (int64_t j = 0; j < D; j++)
                v += (p[j] - m) * (p[j] - m);
            double rs = 1 / sqrt(v / (double)D + eps);
            for (int64_t j = 0; j < D; j++) {
                int64_t c = g * (C / G) + j / S;
                y[(n * G + g) * D + j] = (p[j] - m) * rs * (w ? w[c] : 1) + (b ? b[c] : 0);
            }
        }
}

/* x values: a fixed pseudo-random pattern in [-2, 2). */
static void fill_x(double *x, int64_t n, int seed)
{
    uint64_t s = 0x9e3779b97f4a7c15ULL * (uint64_t)(seed + 1);
    for (int64_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (double)(s >> 11) * 0x1.0p-53 * 4 - 2;
    }
}

static l2_tensor *tensor_of(const double *v, int ndim, const int64_t *shape, l2_dtype dt)
{
    l2_tensor *t64 = l2_from_data(v, ndim, shape, L2_FLOAT64);
    l2_tensor *t = l2_to_dtype(t64, dt);
    l2_tensor_release(t64);
    return t;
}

/* ---- group_norm -------------------------------------------------------------------------- */

static void test_group_norm(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 2e-5 : 1e-12;
    double x[2 * 6 * 5], y[2 * 6 * 5], w[6], b[6];
    fill_x(x, 60, 1);
    fill_x(w, 6, 2);
    fill_x(b, 6, 3);
    l2_tensor *xt = tensor_of(x, L2_SHAPE(2, 6, 5), dt);
    l2_tensor *wt = tensor_of(w, L2_SHAPE(6), dt), *bt = tensor_of(b, L2_SHAPE(6), dt);
    ref_group_norm(x, 2, 6, 5, 3, w, b, 1e-5, y);
    l2_tensor *r = l2_group_norm(xt, 3, wt, bt, 1e-5);
    is_near(max_diff(r, y, 60), 0, tol, "group_norm: 3 groups, weight and bias");
    ok(r && l2_dtype_of(r) == dt && same_shape(r, L2_SHAPE(2, 6, 5)), "group_norm: x's shape "
       "and dtype (%s)", dn);
    l2_tensor_release(r);
    ref_group_norm(x, 2, 6, 5, 6, NULL, b, 1e-3, y);
    r = l2_group_norm(xt, 6, NULL, bt, 1e-3);
    is_near(max_diff(r, y, 60), 0, tol, "group_norm: one channel per group, bias only");
    l2_tensor_release(r);
    /* a non-contiguous x: the (2, 6, 5) values read through a permuted (5, 2, 6) tensor */
    l2_tensor *xp = l2_permute(xt, (const int[]){2, 0, 1});
    l2_tensor *xc = l2_contiguous(xp);
    l2_tensor *xq = l2_permute(xc, (const int[]){1, 2, 0}); /* (2, 6, 5), strided */
    ref_group_norm(x, 2, 6, 5, 2, w, NULL, 1e-5, y);
    r = l2_group_norm(xq, 2, wt, NULL, 1e-5);
    ok(xq && !l2_is_contiguous(xq), "group_norm: the input is strided");
    is_near(max_diff(r, y, 60), 0, tol, "group_norm of a strided input, 2 groups");
    l2_tensor_release(r);
    /* (N, C) without spatial dims, and empty inputs */
    l2_tensor *x2 = l2_reshape(xt, L2_SHAPE(10, 6));
    ref_group_norm(x, 10, 6, 1, 2, NULL, NULL, 1e-5, y);
    r = l2_group_norm(x2, 2, NULL, NULL, 1e-5);
    is_near(max_diff(r, y, 60), 0, tol, "group_norm of (N, C)");
    l2_tensor_release(r);
    l2_tensor *e1 = l2_zeros(L2_SHAPE(0, 6, 5), dt), *e2 = l2_zeros(L2_SHAPE(2, 6, 0), dt);
    r = l2_group_norm(e1, 3, wt, bt, 1e-5);
    ok(same_shape(r, L2_SHAPE(0, 6, 5)), "group_norm of an empty batch (%s)", dn);
    l2_tensor_release(r);
    r = l2_group_norm(e2, 3, wt, bt, 1e-5);
    ok(same_shape(r, L2_SHAPE(2, 6, 0)), "group_norm with no spatial position (%s)", dn);
    l2_tensor_release(r);
    l2_tensor *list[] = {xt, wt, bt, xp, xc, xq, x2, e1, e2};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_group_norm_errors(void)
{
    l2_tensor *x = l2_ones(L2_SHAPE(2, 6, 3), L2_FLOAT32), *x1 = l2_ones(L2_SHAPE(6), L2_FLOAT32);
    l2_tensor *xi = l2_ones(L2_SHAPE(2, 6, 3), L2_INT64), *w5 = l2_ones(L2_SHAPE(5), L2_FLOAT32);
    l2_tensor *w61 = l2_ones(L2_SHAPE(6, 1), L2_FLOAT32), *wd = l2_ones(L2_SHAPE(6), L2_FLOAT64);
    l2_tensor *one = l2_ones(L2_SHAPE(1, 6, 1), L2_FLOAT32);
    is_err(l2_group_norm(NULL, 1, NULL, NULL, 1e-5), L2_ERR_NULL, "", "group_norm: NULL x");
    is_err(l2_group_norm(x1, 3, NULL, NULL, 1e-5), L2_ERR_DIM, "Dimension out of range",
           "group_norm: 1-d x");
    is_err(l2_group_norm(x, 0, NULL, NULL, 1e-5), L2_ERR_ARG, "division or modulo by zero",
           "group_norm: 0 groups");
    is_err(l2_group_norm(one, 6, NULL, NULL, 1e-5), L2_ERR_SHAPE, "more than 1 value per "
           "channel", "group_norm: one value per group and batch");
    is_err(l2_group_norm(x, 4, NULL, NULL, 1e-5), L2_ERR_SHAPE, "divisible by num_groups, but "
           "got input of shape [2,6,3] and num_groups=4", "group_norm: 6 channels, 4 groups");
    is_err(l2_group_norm(x, -4, NULL, NULL, 1e-5), L2_ERR_SHAPE, "divisible by num_groups",
           "group_norm: -4 groups (6 % -4 != 0: torch's divisibility error first)");
    is_err(l2_group_norm(x, -3, NULL, NULL, 1e-5), L2_ERR_ARG, "greater than 0, got -3",
           "group_norm: -3 groups");
    is_err(l2_group_norm(x, 3, w5, NULL, 1e-5), L2_ERR_SHAPE, "Expected weight to be a vector",
           "group_norm: weight of 5");
    is_err(l2_group_norm(x, 3, NULL, w61, 1e-5), L2_ERR_SHAPE, "Expected bias to be a vector",
           "group_norm: bias (6, 1)");
    is_err(l2_group_norm(xi, 3, NULL, NULL, 1e-5), L2_ERR_DTYPE, "not implemented for 'int64'",
           "group_norm: int64 x");
    is_err(l2_group_norm(x, 3, wd, NULL, 1e-5), L2_ERR_DTYPE, "expected scalar type float32",
           "group_norm: float64 weight, float32 x");
    l2_tensor *list[] = {x, x1, xi, w5, w61, wd, one};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- instance_norm ----------------------------------------------------------------------- */

static void test_instance_norm(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 2e-5 : 1e-12;
    const int64_t N = 3, C = 2, S = 4;
    double x[24], y[24], w[2] = {1.5, -0.5}, b[2] = {0.25, 2};
    fill_x(x, 24, 4);
    l2_tensor *xt = tensor_of(x, L2_SHAPE(3, 2, 2, 2), dt);
    l2_tensor *wt = tensor_of(w, L2_SHAPE(2), dt), *bt = tensor_of(b, L2_SHAPE(2), dt);
    double rm0[2] = {0.5, -1}, rv0[2] = {2, 0.25};
    l2_tensor *rm = tensor_of(rm0, L2_SHAPE(2), dt), *rv = tensor_of(rv0, L2_SHAPE(2), dt);
    ref_group_norm(x, N, C, S, C, w, b, 1e-5, y);
    l2_tensor *r = l2_instance_norm(xt, rm, rv, wt, bt, true, 0.25, 1e-5);
    is_near(max_diff(r, y, 24), 0, tol, "instance_norm: each instance normalised, affine");
    /* running = 0.75 running + 0.25 mean_n(stat), unbiased variance */
    double em[2], ev[2];
    for (int64_t c = 0; c < C; c++) {
        double sm = 0, sv = 0;
        for (int64_t n = 0; n < N; n++) {
            const double *p = x + (n * C + c) * S;
            double m = 0, v = 0;
            for (int64_t j = 0; j < S; j++)
                m += p[j] / S;
            for (int64_t j = 0; j < S; j++)
                v += (p[j] - m) * (p[j] - m) / (S - 1);
            sm += m / N;
            sv += v / N;
        }
        em[c] = 0.75 * rm0[c] + 0.25 * sm;
        ev[c] = 0.75 * rv0[c] + 0.25 * sv;
    }
    is_near(max_diff(rm, em, 2), 0, tol, "instance_norm: running_mean updated");
    is_near(max_diff(rv, ev, 2), 0, tol, "instance_norm: running_var updated (unbiased)");
    l2_tensor_release(r);
    /* eval mode: the running statistics normalise, as batch_norm in eval mode */
    r = l2_instance_norm(xt, rm, rv, wt, bt, false, 0.25, 1e-5);
    l2_tensor *want = l2_batch_norm(xt, rm, rv, wt, bt, false, 0.25, 1e-5);
    double wv[24];
    for (int i = 0; want && i < 24; i++)
        wv[i] = flat(want, i);
    is_near(max_diff(r, wv, 24), 0, 0, "instance_norm without input stats is batch_norm eval");
    is_near(max_diff(rm, em, 2), 0, tol, "instance_norm eval: running stats unchanged");
    l2_tensor_release(r);
    l2_tensor_release(want);
    /* only running_var given; a failing call and an empty batch leave it alone */
    r = l2_instance_norm(xt, NULL, rv, NULL, NULL, true, 1, 1e-5);
    double sv[2];
    for (int64_t c = 0; c < C; c++)
        sv[c] = (ev[c] - 0.75 * rv0[c]) / 0.25;
    is_near(max_diff(rv, sv, 2), 0, tol, "instance_norm: running_var alone, momentum 1");
    l2_tensor_release(r);
    l2_tensor *w3 = l2_ones(L2_SHAPE(3), dt), *e = l2_zeros(L2_SHAPE(0, 2, 4), dt);
    sv[0] = flat(rv, 0); /* the values a failure must leave */
    sv[1] = flat(rv, 1);
    is_err(l2_instance_norm(xt, rm, rv, w3, NULL, true, 0.5, 1e-5), L2_ERR_SHAPE, "weight should "
           "be a vector of 2", "instance_norm: weight of 3 channels");
    is_near(max_diff(rv, sv, 2), 0, 0, "instance_norm: a failure leaves running_var alone");
    r = l2_instance_norm(e, rm, rv, wt, bt, true, 0.5, 1e-5);
    ok(same_shape(r, L2_SHAPE(0, 2, 4)), "instance_norm of an empty batch (%s)", dn);
    is_near(max_diff(rv, sv, 2), 0, 0, "instance_norm: an empty batch leaves running_var alone");
    l2_tensor_release(r);
    l2_tensor *list[] = {xt, wt, bt, rm, rv, w3, e};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_instance_norm_errors(void)
{
    l2_tensor *x = l2_ones(L2_SHAPE(2, 3, 4), L2_FLOAT32), *x1 = l2_ones(L2_SHAPE(2, 3, 1),
                                                                         L2_FLOAT32);
    l2_tensor *x2 = l2_ones(L2_SHAPE(2, 3), L2_FLOAT32), *v = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    l2_tensor *vd = l2_ones(L2_SHAPE(3), L2_FLOAT64), *xi = l2_ones(L2_SHAPE(2, 3, 4), L2_INT64);
    l2_tensor *v31 = l2_ones(L2_SHAPE(3, 1), L2_FLOAT32), *x0 = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    is_err(l2_instance_norm(NULL, NULL, NULL, NULL, NULL, true, 0.1, 1e-5), L2_ERR_NULL, "",
           "instance_norm: NULL x");
    is_err(l2_instance_norm(x1, NULL, NULL, NULL, NULL, true, 0.1, 1e-5), L2_ERR_SHAPE,
           "more than 1 spatial element", "instance_norm: one spatial element");
    is_err(l2_instance_norm(x2, NULL, NULL, NULL, NULL, true, 0.1, 1e-5), L2_ERR_SHAPE,
           "more than 1 spatial element", "instance_norm: (N, C) with input stats");
    is_err(l2_instance_norm(x, v, NULL, NULL, NULL, false, 0.1, 1e-5), L2_ERR_NULL,
           "running_mean and running_var to be defined", "instance_norm eval: no running_var");
    is_err(l2_instance_norm(x0, v, v, NULL, NULL, false, 0.1, 1e-5), L2_ERR_DIM,
           "Dimension out of range", "instance_norm eval: 1-d x");
    is_err(l2_instance_norm(x, v31, NULL, NULL, NULL, true, 0.1, 1e-5), L2_ERR_SHAPE,
           "running_mean should be a vector", "instance_norm: running_mean (3, 1)");
    is_err(l2_instance_norm(x, NULL, NULL, vd, NULL, true, 0.1, 1e-5), L2_ERR_DTYPE,
           "expected scalar type float32 but found float64", "instance_norm: float64 weight");
    is_err(l2_instance_norm(xi, NULL, NULL, NULL, NULL, true, 0.1, 1e-5), L2_ERR_DTYPE,
           "not implemented for 'int64'", "instance_norm: int64 x");
    l2_tensor *r = l2_instance_norm(x2, v, v, NULL, NULL, false, 0.1, 1e-5);
    ok(same_shape(r, L2_SHAPE(2, 3)), "instance_norm eval of (N, C)");
    l2_tensor_release(r);
    l2_tensor *list[] = {x, x1, x2, v, vd, xi, v31, x0};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- local_response_norm ----------------------------------------------------------------- */

/* Reference: x (N, C, S) contiguous. */
static void ref_lrn(const double *x, int64_t N, int64_t C, int64_t S, int64_t size, double alpha,
                    double beta, double k, double *y)
{
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t s = 0; s < S; s++) {
                double sum = 0;
                for (int64_t j = c - size / 2; j <= c + (size - 1) / 2; j++)
                    if (j >= 0 && j < C)
                        sum += x[(n * C + j) * S + s] * x[(n * C + j) * S + s];
                double d = pow(k + alpha * sum / (double)size, beta);
                y[(n * C + c) * S + s] = x[(n * C + c) * S + s] / d;
            }
}

static void test_lrn(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    double tol = dt == L2_FLOAT32 ? 2e-6 : 1e-13;
    double x[2 * 5 * 6], y[60];
    fill_x(x, 60, 5);
    l2_tensor *x3 = tensor_of(x, L2_SHAPE(2, 5, 6), dt), *x4 = l2_reshape(x3, L2_SHAPE(2, 5, 2, 3));
    static const int64_t sizes[] = {1, 2, 3, 4, 7};
    for (int i = 0; i < 5; i++) {
        ref_lrn(x, 2, 5, 6, sizes[i], 0.5, 0.75, 1.5, y);
        l2_tensor *r = l2_local_response_norm(i % 2 ? x4 : x3, sizes[i], 0.5, 0.75, 1.5);
        char name[80];
        snprintf(name, sizeof name, "local_response_norm: size %lld, %d-d (%s)",
                 (long long)sizes[i], i % 2 ? 4 : 3, dn);
        is_near(max_diff(r, y, 60), 0, tol, name);
        l2_tensor_release(r);
    }
    /* strided: x (2, 5, 6) read through a transposed copy */
    l2_tensor *xt = l2_transpose(x3, 1, 2), *xc = l2_contiguous(xt), *xs = l2_transpose(xc, 1, 2);
    ref_lrn(x, 2, 5, 6, 3, 1e-4, 2, 1, y);
    l2_tensor *r = l2_local_response_norm(xs, 3, 1e-4, 2, 1);
    is_near(max_diff(r, y, 60), 0, tol, "local_response_norm of a strided input");
    l2_tensor_release(r);
    l2_tensor *e = l2_zeros(L2_SHAPE(2, 0, 3), dt);
    r = l2_local_response_norm(e, 0, 1, 1, 1);
    ok(r && l2_shares_storage(r, e) && same_shape(r, L2_SHAPE(2, 0, 3)),
       "local_response_norm of an empty x returns x itself (as torch), size 0 unchecked (%s)",
       dn);
    l2_tensor_release(r);
    l2_tensor *list[] = {x3, x4, xt, xc, xs, e};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_lrn_errors(void)
{
    l2_tensor *x = l2_ones(L2_SHAPE(2, 3, 4), L2_FLOAT32);
    l2_tensor *x2 = l2_ones(L2_SHAPE(2, 3), L2_FLOAT32), *xi = l2_ones(L2_SHAPE(2, 3, 4), L2_INT64);
    is_err(l2_local_response_norm(NULL, 2, 1e-4, 0.75, 1), L2_ERR_NULL, "", "lrn: NULL x");
    is_err(l2_local_response_norm(x2, 2, 1e-4, 0.75, 1), L2_ERR_SHAPE, "Expected 3D or higher "
           "dimensionality input (got 2 dimensions)", "lrn: 2-d x");
    is_err(l2_local_response_norm(xi, 2, 1e-4, 0.75, 1), L2_ERR_DTYPE, "int64", "lrn: int64 x");
    is_err(l2_local_response_norm(x, 0, 1e-4, 0.75, 1), L2_ERR_ARG, "kernel size should be "
           "greater than zero", "lrn: size 0");
    is_err(l2_local_response_norm(x, -3, 1e-4, 0.75, 1), L2_ERR_ARG, "greater than zero",
           "lrn: size -3");
    l2_tensor *list[] = {x, x2, xi};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- gradients --------------------------------------------------------------------------- */

static l2_tensor *f_gn(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_group_norm(in[0], 2, in[1], in[2], 1e-5);
}

static l2_tensor *f_in(l2_tensor *const *in, void *ctx)
{
    return l2_instance_norm(in[0], ctx, NULL, in[1], in[2], true, 0.1, 1e-5);
}

static l2_tensor *f_in_eval(l2_tensor *const *in, void *ctx)
{
    l2_tensor *const *st = ctx;
    return l2_instance_norm(in[0], st[0], st[1], in[1], in[2], false, 0.1, 1e-5);
}

static l2_tensor *f_lrn(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_local_response_norm(in[0], 3, 0.5, 0.75, 1.5);
}

static void test_grads(void)
{
    l2_manual_seed(21);
    l2_tensor *x = gc_leaf(L2_SHAPE(2, 4, 3), -2, 2);
    l2_tensor *w = gc_leaf(L2_SHAPE(4), 0.5, 1.5), *b = gc_leaf(L2_SHAPE(4), -1, 1);
    l2_tensor *in[3] = {x, w, b};
    ok(gradcheck("group_norm", f_gn, 3, in, NULL), "gradcheck: group_norm (x, weight, bias)");
    l2_tensor *y = f_gn(in, NULL);
    is_str(l2_grad_fn_name(y), "group_norm", "grad_fn of group_norm");
    l2_tensor_release(y);
    l2_tensor *in2[3] = {x, NULL, b}; /* bias without weight */
    ok(gradcheck("group_norm", f_gn, 3, in2, NULL), "gradcheck: group_norm (x, bias)");
    l2_tensor *rm = l2_zeros(L2_SHAPE(4), L2_FLOAT64), *rv = l2_ones(L2_SHAPE(4), L2_FLOAT64);
    ok(gradcheck("instance_norm", f_in, 3, in, rm), "gradcheck: instance_norm (x, weight, bias)");
    l2_tensor *st[2] = {rm, rv};
    ok(gradcheck("instance_norm eval", f_in_eval, 3, in, st),
       "gradcheck: instance_norm with the running statistics");
    l2_tensor *xl = gc_leaf(L2_SHAPE(2, 5, 2, 2), -2, 2);
    ok(gradcheck("local_response_norm", f_lrn, 1, &xl, NULL), "gradcheck: local_response_norm");
    oom_check("group_norm", f_gn, 3, in, NULL);
    oom_check("instance_norm", f_in, 3, in, rm);
    oom_check("instance_norm eval", f_in_eval, 3, in, st);
    oom_check("local_response_norm", f_lrn, 1, &xl, NULL);
    l2_tensor *list[] = {x, w, b, rm, rv, xl};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

int main(void)
{
    test_group_norm(L2_FLOAT32);
    test_group_norm(L2_FLOAT64);
    test_group_norm_errors();
    test_instance_norm(L2_FLOAT32);
    test_instance_norm(L2_FLOAT64);
    test_instance_norm_errors();
    test_lrn(L2_FLOAT32);
    test_lrn(L2_FLOAT64);
    test_lrn_errors();
    test_grads();
    return tap_done();
}
