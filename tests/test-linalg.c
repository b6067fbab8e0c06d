/* test-linalg.c: matmul, mm, bmm, mv, dot, outer, addmm and linear: hand-checked products, every
 * operand layout (transposed, stepped, offset, expanded), 1-d promotion, broadcast batches, zero
 * sizes, the BLAS path against the reference loops and against a naive product computed here,
 * copies avoided. Gradients and errors: test-linalg-grad.c. */
#include <l2.h>
#include <stdint.h>
#include <stdlib.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"
#include "linalg-layouts.h"

/* A tensor of dtype dt and shape holding the values v (row-major, given as doubles). */
static l2_tensor *tens(l2_dtype dt, int ndim, const int64_t *shape, const double *v)
{
    l2_tensor *d = l2_from_data(v, ndim, shape, L2_FLOAT64);
    l2_tensor *r = l2_to_dtype(d, dt);
    l2_tensor_release(d);
    return r;
}

/* Check every element of t (row-major) against want[]. */
static void check_values(const l2_tensor *t, const double *want, double tol, const char *name)
{
    int64_t n = t ? l2_numel(t) : 0, idx[L2_MAX_DIMS] = {0};
    double worst = 0;
    int64_t bad = -1;
    for (int64_t k = 0; k < n; k++) {
        double e = fabs(at(t, idx) - want[k]);
        if (!(e <= worst)) {
            worst = e;
            bad = k;
        }
        for (int d = l2_ndim(t) - 1; d >= 0; d--) {
            if (++idx[d] < l2_shape(t)[d])
                break;
            idx[d] = 0;
        }
    }
    ok(t && worst <= tol, "%s", name);
    if (t && worst > tol)
        printf("#   element %lld off by %g\n", (long long)bad, worst);
}

/* ---- a naive product computed here, element by element ---------------------------------- */

/* The largest |r - a @ b| (torch.matmul's rules, computed with l2_get), or INFINITY when r has
 * the wrong shape. */
static double naive_err(const l2_tensor *a, const l2_tensor *b, const l2_tensor *r)
{
    if (!r)
        return INFINITY;
    int na = l2_ndim(a), nb = l2_ndim(b);
    const int64_t *sa = l2_shape(a), *sb = l2_shape(b);
    int a1 = na == 1, b1 = nb == 1;
    int64_t M = a1 ? 1 : sa[na - 2], K = sa[na - 1], N = b1 ? 1 : sb[nb - 1];
    int nba = na > 2 ? na - 2 : 0, nbb = nb > 2 ? nb - 2 : 0, nbo = nba > nbb ? nba : nbb;
    int64_t bs[L2_MAX_DIMS], want[L2_MAX_DIMS];
    int nw = 0;
    for (int i = 0; i < nbo; i++) {
        int ia = i - (nbo - nba), ib = i - (nbo - nbb);
        int64_t x = ia >= 0 ? sa[ia] : 1, y = ib >= 0 ? sb[ib] : 1;
        bs[i] = x == 1 ? y : x;
        want[nw++] = bs[i];
    }
    if (!a1)
        want[nw++] = M;
    if (!b1)
        want[nw++] = N;
    if (!same_shape(r, nw, want))
        return INFINITY;
    int64_t nbatch = 1;
    for (int i = 0; i < nbo; i++)
        nbatch *= bs[i];
    double worst = 0;
    for (int64_t t = 0; t < nbatch; t++) {
        int64_t bi[L2_MAX_DIMS], rem = t;
        for (int i = nbo - 1; i >= 0; i--) {
            bi[i] = rem % bs[i];
            rem /= bs[i];
        }
        for (int64_t m = 0; m < M; m++) {
            for (int64_t n = 0; n < N; n++) {
                int64_t ia[L2_MAX_DIMS], ib[L2_MAX_DIMS], ir[L2_MAX_DIMS];
                for (int i = 0; i < nba; i++)
                    ia[i] = sa[i] == 1 ? 0 : bi[i + nbo - nba];
                for (int i = 0; i < nbb; i++)
                    ib[i] = sb[i] == 1 ? 0 : bi[i + nbo - nbb];
                int nr = 0;
                for (int i = 0; i < nbo; i++)
                    ir[nr++] = bi[i];
                if (!a1)
                    ir[nr++] = m;
                if (!b1)
                    ir[nr++] = n;
                double s = 0;
                for (int64_t k = 0; k < K; k++) {
                    if (a1) {
                        ia[0] = k;
                    } else {
                        ia[na - 2] = m;
                        ia[na - 1] = k;
                    }
                    if (b1) {
                        ib[0] = k;
                    } else {
                        ib[nb - 2] = k;
                        ib[nb - 1] = n;
                    }
                    s += at(a, ia) * at(b, ib);
                }
                double e = fabs(at(r, ir) - s) / (1 + fabs(s));
                if (!(e <= worst))
                    worst = e;
            }
        }
    }
    return worst;
}

/* The largest relative difference of two same-shape tensors (INFINITY if shapes differ). */
static double max_diff(const l2_tensor *x, const l2_tensor *y)
{
    if (!x || !y || !same_shape(y, l2_ndim(x), l2_shape(x)))
        return INFINITY;
    int64_t n = l2_numel(x), idx[L2_MAX_DIMS] = {0};
    double worst = 0;
    for (int64_t k = 0; k < n; k++) {
        double u = at(x, idx), v = at(y, idx), e = fabs(u - v) / (1 + fabs(v));
        if (!(e <= worst))
            worst = e;
        for (int d = l2_ndim(x) - 1; d >= 0; d--) {
            if (++idx[d] < l2_shape(x)[d])
                break;
            idx[d] = 0;
        }
    }
    return worst;
}

/* ---- layouts ------------------------------------------------------------------------------ */

static const char *lay_name[L_COUNT] = {"contig", "trans", "step-cols", "step-rows", "narrow",
                                        "expand"};

/* Random values of dtype dt (small integers for int64) in layout lay. */
static l2_tensor *make(int lay, l2_dtype dt, int nd, const int64_t *shape)
{
    int64_t bs[L2_MAX_DIMS];
    base_shape(lay, nd, shape, bs);
    l2_tensor *base = dt == L2_INT64 ? l2_randint(-5, 6, nd, bs) : l2_randn(nd, bs, dt);
    l2_tensor *r = apply_layout(base, lay, nd, shape);
    l2_tensor_release(base);
    return r;
}

/* ---- hand-checked products ---------------------------------------------------------------- */

static void test_small(void)
{
    const l2_dtype dts[3] = {L2_FLOAT32, L2_FLOAT64, L2_INT64};
    for (int d = 0; d < 3; d++) {
        l2_dtype dt = dts[d];
        const char *dn = l2_dtype_name(dt);
        char name[128];
        l2_tensor *a = tens(dt, L2_SHAPE(2, 3), (const double[]){1, 2, 3, 4, 5, 6});
        l2_tensor *b = tens(dt, L2_SHAPE(3, 2), (const double[]){7, 8, 9, 10, 11, 12});
        /* [1 2 3; 4 5 6] @ [7 8; 9 10; 11 12] = [58 64; 139 154] */
        l2_tensor *r = l2_mm(a, b);
        snprintf(name, sizeof name, "mm 2x3 @ 3x2 (%s)", dn);
        check_values(r, (const double[]){58, 64, 139, 154}, 0, name);
        ok(r && l2_dtype_of(r) == dt, "mm keeps the dtype (%s)", dn);
        l2_tensor_release(r);
        r = l2_matmul(a, b);
        snprintf(name, sizeof name, "matmul 2x3 @ 3x2 (%s)", dn);
        check_values(r, (const double[]){58, 64, 139, 154}, 0, name);
        l2_tensor_release(r);
        /* b @ a: [7 8; 9 10; 11 12] @ [1 2 3; 4 5 6] */
        r = l2_matmul(b, a);
        snprintf(name, sizeof name, "matmul 3x2 @ 2x3 (%s)", dn);
        check_values(r, (const double[]){39, 54, 69, 49, 68, 87, 59, 82, 105}, 0, name);
        l2_tensor_release(r);

        l2_tensor *u = tens(dt, L2_SHAPE(3), (const double[]){1, 2, 3});
        l2_tensor *v = tens(dt, L2_SHAPE(3), (const double[]){4, 5, 6});
        r = l2_dot(u, v);
        ok(r && l2_ndim(r) == 0, "dot is 0-d (%s)", dn);
        snprintf(name, sizeof name, "dot (%s)", dn);
        check_values(r, (const double[]){32}, 0, name);
        l2_tensor_release(r);
        r = l2_matmul(u, v);
        snprintf(name, sizeof name, "matmul 1-d . 1-d (%s)", dn);
        ok(r && l2_ndim(r) == 0, "%s is 0-d", name);
        check_values(r, (const double[]){32}, 0, name);
        l2_tensor_release(r);
        /* a @ u = [14, 32] */
        r = l2_mv(a, u);
        snprintf(name, sizeof name, "mv (%s)", dn);
        check_values(r, (const double[]){14, 32}, 0, name);
        l2_tensor_release(r);
        r = l2_matmul(a, u);
        snprintf(name, sizeof name, "matmul 2-d @ 1-d (%s)", dn);
        ok(same_shape(r, L2_SHAPE(2)), "%s shape", name);
        check_values(r, (const double[]){14, 32}, 0, name);
        l2_tensor_release(r);
        /* u @ b = [1*7+2*9+3*11, 1*8+2*10+3*12] = [58, 64] */
        r = l2_matmul(u, b);
        snprintf(name, sizeof name, "matmul 1-d @ 2-d (%s)", dn);
        ok(same_shape(r, L2_SHAPE(2)), "%s shape", name);
        check_values(r, (const double[]){58, 64}, 0, name);
        l2_tensor_release(r);
        /* outer [1 2 3] x [4 5 6] */
        r = l2_outer(u, v);
        snprintf(name, sizeof name, "outer (%s)", dn);
        check_values(r, (const double[]){4, 5, 6, 8, 10, 12, 12, 15, 18}, 0, name);
        l2_tensor_release(r);
        /* addmm: 2 * [10 20] + 3 * [58 64; 139 154] */
        l2_tensor *c = tens(dt, L2_SHAPE(2), (const double[]){10, 20});
        r = l2_addmm(c, a, b, 2, 3);
        snprintf(name, sizeof name, "addmm c broadcast, beta 2, alpha 3 (%s)", dn);
        check_values(r, (const double[]){194, 232, 437, 502}, 0, name);
        l2_tensor_release(r);
        /* linear: x = a (2,3), w = [1 0 1; 0 1 0] (2,3), bias [1 -1]: [1+3+1, 2-1; 4+6+1, 5-1] */
        l2_tensor *w = tens(dt, L2_SHAPE(2, 3), (const double[]){1, 0, 1, 0, 1, 0});
        l2_tensor *bias = tens(dt, L2_SHAPE(2), (const double[]){1, -1});
        r = l2_linear(a, w, bias);
        snprintf(name, sizeof name, "linear (%s)", dn);
        check_values(r, (const double[]){5, 1, 11, 4}, 0, name);
        l2_tensor_release(r);
        r = l2_linear(u, w, NULL);
        snprintf(name, sizeof name, "linear 1-d x, no bias (%s)", dn);
        ok(same_shape(r, L2_SHAPE(2)), "%s shape", name);
        check_values(r, (const double[]){4, 2}, 0, name);
        l2_tensor_release(r);
        /* bmm: batch 0 is a @ b, batch 1 is (2a) @ (b - 7) */
        l2_tensor *ba = tens(dt, L2_SHAPE(2, 2, 3),
                             (const double[]){1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12});
        l2_tensor *bb = tens(dt, L2_SHAPE(2, 3, 2),
                             (const double[]){7, 8, 9, 10, 11, 12, 0, 1, 2, 3, 4, 5});
        /* (2a) @ [0 1; 2 3; 4 5] = 2 * [16 22; 34 49] */
        r = l2_bmm(ba, bb);
        snprintf(name, sizeof name, "bmm (%s)", dn);
        check_values(r, (const double[]){58, 64, 139, 154, 32, 44, 68, 98}, 0, name);
        l2_tensor_release(r);
        l2_tensor *tt[] = {a, b, u, v, c, w, bias, ba, bb};
        for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
            l2_tensor_release(tt[i]);
    }
    /* linear's bias may be anything that broadcasts to the output: 0-d, (1), (1, out). */
    {
        l2_tensor *x = tens(L2_FLOAT64, L2_SHAPE(2, 2), (const double[]){1, 2, 3, 4});
        l2_tensor *w = tens(L2_FLOAT64, L2_SHAPE(3, 2), (const double[]){1, 0, 0, 1, 1, 1});
        l2_tensor *b0 = l2_scalar(10, L2_FLOAT64), *b1 = l2_full(L2_SHAPE(1, 3), -1, L2_FLOAT64);
        l2_tensor *r = l2_linear(x, w, b0);
        check_values(r, (const double[]){11, 12, 13, 13, 14, 17}, 0, "linear with a 0-d bias");
        l2_tensor_release(r);
        r = l2_linear(x, w, b1);
        check_values(r, (const double[]){0, 1, 2, 2, 3, 6}, 0, "linear with a (1,3) bias");
        l2_tensor_release(r);
        /* int64 addmm with integral scalars: -1 * [1 2; 3 4] + 2 * x @ x */
        l2_tensor *xi = l2_to_dtype(x, L2_INT64);
        r = l2_addmm(xi, xi, xi, -1, 2);
        check_values(r, (const double[]){13, 18, 27, 40}, 0, "int64 addmm");
        l2_tensor_release(r);
        /* Inside a scope the result belongs to the scope (valgrind checks nothing leaks). */
        l2_scope_begin();
        r = l2_mv(l2_linear(l2_matmul(x, l2_t(x)), w, b1), l2_select(w, 1, 0));
        ok(same_shape(r, L2_SHAPE(2)), "chained products in a scope");
        l2_scope_end();
        l2_tensor *tt[] = {x, w, b0, b1, xi};
        for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
            l2_tensor_release(tt[i]);
    }
    /* int64 is exact beyond float precision. */
    l2_tensor *a = tens(L2_INT64, L2_SHAPE(1, 2), (const double[]){1 << 26, 3});
    l2_tensor *b = tens(L2_INT64, L2_SHAPE(2, 1), (const double[]){1 << 26, 1});
    l2_tensor *r = l2_matmul(a, b);
    int64_t got = 0;
    l2_get_int64(r, (const int64_t[]){0, 0}, &got);
    is_int(got, ((int64_t)1 << 52) + 3, "int64 matmul is exact");
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(r);
    /* outer promotes like mul: int64 x float32 -> float32. */
    a = tens(L2_INT64, L2_SHAPE(2), (const double[]){1, 2});
    b = tens(L2_FLOAT32, L2_SHAPE(2), (const double[]){0.5, 3});
    r = l2_outer(a, b);
    ok(r && l2_dtype_of(r) == L2_FLOAT32, "outer int64 x float32 is float32");
    check_values(r, (const double[]){0.5, 3, 1, 6}, 0, "outer mixed dtypes");
    l2_tensor_release(a);
    l2_tensor_release(b);
    l2_tensor_release(r);
}

/* ---- layouts, promotion, batches ----------------------------------------------------------- */

/* The copies each layout costs for a matrix with both sizes > 1. */
static const int lay_copies[L_COUNT] = {0, 0, 1, 0, 0, 1};

static void test_layouts(void)
{
    for (int d = 0; d < 2; d++) {
        l2_dtype dt = d ? L2_FLOAT64 : L2_FLOAT32;
        double tol = d ? 1e-12 : 1e-5;
        /* Shapes exercising gemm (5x7 @ 7x3), gemv (N = 1 and M = 1) and dot (M = N = 1). */
        const int64_t mkn[4][3] = {{5, 7, 3}, {4, 6, 1}, {1, 6, 4}, {1, 9, 1}};
        for (int s = 0; s < 4; s++) {
            int64_t M = mkn[s][0], K = mkn[s][1], N = mkn[s][2];
            int bad = 0, badcopy = 0;
            for (int la = 0; la < L_COUNT; la++) {
                for (int lb = 0; lb < L_COUNT; lb++) {
                    l2_tensor *a = make(la, dt, L2_SHAPE(M, K));
                    l2_tensor *b = make(lb, dt, L2_SHAPE(K, N));
                    int64_t c0 = l2_debug_linalg_copies();
                    l2_tensor *r = l2_matmul(a, b);
                    int64_t copies = l2_debug_linalg_copies() - c0;
                    double e = naive_err(a, b, r);
                    if (!(e <= tol)) {
                        bad++;
                        tap_diag("%s %lldx%lldx%lld a %s b %s: error %g", l2_dtype_name(dt),
                                 (long long)M, (long long)K, (long long)N, lay_name[la],
                                 lay_name[lb], e);
                    }
                    if (M > 1 && N > 1 && copies != lay_copies[la] + lay_copies[lb]) {
                        badcopy++;
                        tap_diag("a %s b %s: %lld copies", lay_name[la], lay_name[lb],
                                 (long long)copies);
                    }
                    l2_tensor_release(a);
                    l2_tensor_release(b);
                    l2_tensor_release(r);
                }
            }
            ok(!bad, "%s (%lld,%lld)@(%lld,%lld): every layout pair matches the naive product",
               l2_dtype_name(dt), (long long)M, (long long)K, (long long)K, (long long)N);
            if (M > 1 && N > 1)
                ok(!badcopy, "%s: only stepped-column and expanded operands are copied",
                   l2_dtype_name(dt));
        }
    }
}

static void test_promotion_and_batches(void)
{
    struct {
        int na;
        int64_t sa[4];
        int nb;
        int64_t sb[4];
        int nr;
        int64_t sr[4];
    } cases[] = {
        {1, {4}, 3, {2, 4, 3}, 2, {2, 3}},               /* 1-d @ batched */
        {3, {2, 3, 4}, 1, {4}, 2, {2, 3}},               /* batched @ 1-d */
        {4, {2, 1, 3, 4}, 3, {5, 4, 2}, 4, {2, 5, 3, 2}}, /* broadcast batch */
        {3, {5, 3, 4}, 2, {4, 2}, 3, {5, 3, 2}},         /* b shared: folds into one gemm */
        {2, {3, 4}, 3, {5, 4, 2}, 3, {5, 3, 2}},         /* a shared */
        {3, {1, 3, 4}, 4, {2, 3, 4, 2}, 4, {2, 3, 3, 2}}, /* size-1 batch broadcast */
        {3, {4, 1, 4}, 2, {4, 2}, 3, {4, 1, 2}},         /* M = 1 folds */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int bad = 0;
        for (int la = 0; la < L_COUNT; la++) {
            for (int lb = 0; lb < L_COUNT; lb++) {
                if ((la == L_EXPAND && cases[c].sa[0] == 1) ||
                    (lb == L_EXPAND && cases[c].sb[0] == 1))
                    continue; /* expanding a size-1 dim is the contiguous case */
                l2_tensor *a = make(la, L2_FLOAT64, cases[c].na, cases[c].sa);
                l2_tensor *b = make(lb, L2_FLOAT64, cases[c].nb, cases[c].sb);
                l2_tensor *r = l2_matmul(a, b);
                double e = naive_err(a, b, r);
                if (!(e <= 1e-12) || !same_shape(r, cases[c].nr, cases[c].sr)) {
                    bad++;
                    tap_diag("case %zu a %s b %s: error %g", c, lay_name[la], lay_name[lb], e);
                }
                l2_tensor_release(a);
                l2_tensor_release(b);
                l2_tensor_release(r);
            }
        }
        ok(!bad, "promotion/batch case %zu: every layout pair matches the naive product", c);
    }
    /* The hand-checkable broadcast: ones (2,1,3,4) @ arange-like (5,4,2): every row of batch j is
     * the column sums of b[j]. */
    l2_tensor *a = l2_ones(L2_SHAPE(2, 1, 3, 4), L2_FLOAT32);
    l2_tensor *flat = l2_arange(0, 40, 1, L2_FLOAT32);
    l2_tensor *b = l2_reshape(flat, L2_SHAPE(5, 4, 2));
    l2_tensor *r = l2_matmul(a, b);
    ok(same_shape(r, L2_SHAPE(2, 5, 3, 2)), "(2,1,3,4)@(5,4,2) -> (2,5,3,2)");
    /* b[j][k][n] = 8j + 2k + n: column sum over k = 32j + 12 + 4n */
    is_near(at(r, (const int64_t[]){1, 3, 2, 1}), 32 * 3 + 12 + 4, 0, "broadcast batch value");
    is_near(at(r, (const int64_t[]){0, 4, 0, 0}), 32 * 4 + 12, 0, "broadcast batch value 2");
    l2_tensor_release(a);
    l2_tensor_release(flat);
    l2_tensor_release(b);
    l2_tensor_release(r);

    /* A contiguous batch times a shared matrix is one BLAS call on the folded batch, no copy;
     * the same with a transposed shared matrix. */
    a = l2_randn(L2_SHAPE(3, 4, 5), L2_FLOAT64);
    b = l2_randn(L2_SHAPE(6, 5), L2_FLOAT64);
    l2_tensor *bt = l2_t(b);
    int64_t c0 = l2_debug_linalg_copies();
    r = l2_matmul(a, bt);
    l2_tensor *w = l2_linear(a, b, NULL);
    ok(l2_debug_linalg_copies() == c0, "batched @ shared (transposed) matrix makes no copy");
    ok(naive_err(a, bt, r) <= 1e-12, "batched @ shared matrix matches the naive product");
    ok(naive_err(a, bt, w) <= 1e-12, "linear over a batch matches the naive product");
    l2_tensor_release(r);
    l2_tensor_release(w);
    l2_tensor_release(bt);
    l2_tensor_release(a);
    l2_tensor_release(b);
}

static void test_zero_size(void)
{
    struct {
        int na;
        int64_t sa[3];
        int nb;
        int64_t sb[3];
        int nr;
        int64_t sr[3];
    } cases[] = {
        {2, {0, 3}, 2, {3, 4}, 2, {0, 4}}, {2, {3, 0}, 2, {0, 4}, 2, {3, 4}},
        {2, {2, 3}, 2, {3, 0}, 2, {2, 0}}, {1, {0}, 1, {0}, 0, {0}},
        {3, {0, 2, 3}, 2, {3, 4}, 3, {0, 2, 4}}, {3, {2, 2, 0}, 3, {1, 0, 3}, 3, {2, 2, 3}},
        {1, {0}, 2, {0, 3}, 1, {3}},
    };
    for (int ref = 0; ref < 2; ref++) {
        l2_debug_linalg_reference(ref);
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            l2_tensor *a = l2_randn(cases[c].na, cases[c].sa, L2_FLOAT32);
            l2_tensor *b = l2_randn(cases[c].nb, cases[c].sb, L2_FLOAT32);
            l2_tensor *r = l2_matmul(a, b);
            int good = same_shape(r, cases[c].nr, cases[c].sr);
            l2_tensor *flat = good ? l2_reshape(r, L2_SHAPE(l2_numel(r))) : NULL;
            for (int64_t k = 0; good && k < l2_numel(r); k++)
                good = at(flat, &k) == 0;
            l2_tensor_release(flat);
            ok(good, "zero-size case %zu%s: right shape, zeros", c, ref ? " (reference)" : "");
            l2_tensor_release(a);
            l2_tensor_release(b);
            l2_tensor_release(r);
        }
    }
    l2_debug_linalg_reference(false);
    /* K = 0 in addmm leaves beta * c. */
    l2_tensor *a = l2_zeros(L2_SHAPE(2, 0), L2_FLOAT64), *b = l2_zeros(L2_SHAPE(0, 3), L2_FLOAT64);
    l2_tensor *c = l2_full(L2_SHAPE(3), 2, L2_FLOAT64);
    l2_tensor *r = l2_addmm(c, a, b, 1.5, 7);
    check_values(r, (const double[]){3, 3, 3, 3, 3, 3}, 0, "addmm with K = 0 is beta * c");
    l2_tensor_release(r);
    l2_tensor *x = l2_zeros(L2_SHAPE(0, 4, 0), L2_FLOAT64), *w = l2_zeros(L2_SHAPE(3, 0),
                                                                         L2_FLOAT64);
    r = l2_linear(x, w, c);
    ok(same_shape(r, L2_SHAPE(0, 4, 3)), "linear with no rows and in = 0");
    l2_tensor_release(r);
    l2_tensor *tt[] = {a, b, c, x, w};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

/* Size-1 dims with arbitrary strides, vectors with steps, column-major operands: BLAS reads them
 * all in place (its leading dimensions stay valid) and the products stay right. */
static void test_odd_strides(void)
{
    struct {
        int64_t sa[2], ta[2], sb[2], tb[2];
    } cases[] = {
        {{1, 5}, {0, 1}, {5, 3}, {3, 1}},  /* M = 1 with row stride 0 (gemv) */
        {{1, 5}, {0, 2}, {5, 3}, {1, 5}},  /* stepped row vector, column-major b */
        {{4, 1}, {2, 0}, {1, 3}, {0, 1}},  /* K = 1 with stride-0 size-1 dims */
        {{4, 5}, {5, 1}, {5, 1}, {1, 0}},  /* N = 1, b column stride 0 */
        {{4, 5}, {1, 4}, {5, 1}, {3, 7}},  /* column-major a, stepped b column (gemv) */
        {{1, 1}, {0, 0}, {1, 1}, {0, 0}},  /* 1x1 @ 1x1 with zero strides */
        {{1, 6}, {9, 3}, {6, 1}, {2, 40}}, /* dot with steps on both */
        {{3, 4}, {9, 2}, {4, 2}, {1, 4}},  /* stepped columns: a is copied, b is not */
    };
    l2_tensor *base = l2_randn(L2_SHAPE(64), L2_FLOAT64);
    int bad = 0, copies = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        l2_tensor *a = l2_as_strided(base, 2, cases[c].sa, cases[c].ta, 1);
        l2_tensor *b = l2_as_strided(base, 2, cases[c].sb, cases[c].tb, 3);
        int64_t c0 = l2_debug_linalg_copies();
        l2_tensor *r = l2_matmul(a, b);
        copies += (int)(l2_debug_linalg_copies() - c0);
        double e = naive_err(a, b, r);
        if (!(e <= 1e-12)) {
            bad++;
            tap_diag("odd strides case %zu: error %g", c, e);
        }
        l2_tensor_release(a);
        l2_tensor_release(b);
        l2_tensor_release(r);
    }
    ok(!bad, "odd strides and size-1 dims match the naive product");
    is_int(copies, 1, "only the stepped-column operand is copied");
    l2_tensor_release(base);
}

/* Random shapes, ranks and layouts: BLAS against the reference loops and the naive product. */
static void test_random(void)
{
    l2_manual_seed(42);
    srand(7);
    int worse = 0, mismatch = 0;
    const int ncase = 60;
    for (int c = 0; c < ncase; c++) {
        l2_dtype dt = (c % 3 == 0) ? L2_FLOAT32 : (c % 3 == 1) ? L2_FLOAT64 : L2_INT64;
        int na = 1 + rand() % 4, nb = 1 + rand() % 4;
        int64_t K = rand() % 9, sa[4], sb[4];
        for (int i = 0; i < na; i++)
            sa[i] = 1 + rand() % 4;
        for (int i = 0; i < nb; i++)
            sb[i] = 1 + rand() % 4;
        sa[na - 1] = K;
        sb[nb == 1 ? 0 : nb - 2] = K;
        /* Batch dims: make them broadcastable (equal or 1). */
        int nba = na - 2, nbb = nb - 2;
        for (int i = 0; i < nba && i < nbb; i++) {
            int64_t *x = &sa[nba - 1 - i], *y = &sb[nbb - 1 - i];
            if (*x != *y && *x != 1 && *y != 1)
                *(rand() % 2 ? x : y) = 1;
        }
        int la = rand() % L_COUNT, lb = rand() % L_COUNT;
        if (la == L_EXPAND && sa[0] == 1)
            la = L_CONTIG;
        if (lb == L_EXPAND && sb[0] == 1)
            lb = L_CONTIG;
        l2_tensor *a = make(la, dt, na, sa);
        l2_tensor *b = make(lb, dt, nb, sb);
        l2_tensor *r = l2_matmul(a, b);
        l2_debug_linalg_reference(true);
        l2_tensor *q = l2_matmul(a, b);
        l2_debug_linalg_reference(false);
        double tol = dt == L2_FLOAT32 ? 1e-5 : dt == L2_FLOAT64 ? 1e-12 : 0;
        double e1 = max_diff(r, q), e2 = naive_err(a, b, r);
        if (!(e1 <= tol)) {
            mismatch++;
            tap_diag("case %d (%s, a %s rank %d, b %s rank %d): BLAS vs reference %g", c,
                     l2_dtype_name(dt), lay_name[la], na, lay_name[lb], nb, e1);
        }
        if (!(e2 <= tol)) {
            worse++;
            tap_diag("case %d: vs naive %g", c, e2);
        }
        l2_tensor_release(a);
        l2_tensor_release(b);
        l2_tensor_release(r);
        l2_tensor_release(q);
    }
    ok(!mismatch, "BLAS path equals the reference loops on %d random cases", ncase);
    ok(!worse, "and both equal the naive product");
}

/* addmm with beta 0 ignores c (NaN does not propagate); alpha 0 ignores the product. */
static void test_addmm_scalars(void)
{
    for (int ref = 0; ref < 2; ref++) {
        l2_debug_linalg_reference(ref);
        l2_tensor *c = l2_full(L2_SHAPE(2, 2), NAN, L2_FLOAT32);
        l2_tensor *a = l2_ones(L2_SHAPE(2, 3), L2_FLOAT32), *b = l2_ones(L2_SHAPE(3, 2),
                                                                        L2_FLOAT32);
        l2_tensor *r = l2_addmm(c, a, b, 0, 2);
        check_values(r, (const double[]){6, 6, 6, 6}, 0,
                     ref ? "addmm beta 0 ignores NaN in c (reference)" : "addmm beta 0 ignores "
                     "NaN in c");
        l2_tensor_release(r);
        l2_tensor *c2 = l2_full(L2_SHAPE(1), 4, L2_FLOAT32);
        l2_tensor *an = l2_full(L2_SHAPE(2, 3), NAN, L2_FLOAT32);
        r = l2_addmm(c2, an, b, 0.5, 0);
        check_values(r, (const double[]){2, 2, 2, 2}, 0, "addmm alpha 0 is beta * c");
        l2_tensor_release(r);
        /* gemv and dot paths with beta: c (2,1) and (1,1). */
        l2_tensor *b1 = l2_ones(L2_SHAPE(3, 1), L2_FLOAT32);
        r = l2_addmm(c2, a, b1, -1, 2);
        check_values(r, (const double[]){2, 2}, 0, "addmm gemv path with beta");
        l2_tensor_release(r);
        l2_tensor *a1 = l2_ones(L2_SHAPE(1, 3), L2_FLOAT32);
        r = l2_addmm(c2, a1, b1, 2, -1);
        check_values(r, (const double[]){5}, 0, "addmm dot path with beta");
        l2_tensor_release(r);
        l2_tensor *tt[] = {c, a, b, c2, an, b1, a1};
        for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
            l2_tensor_release(tt[i]);
    }
    l2_debug_linalg_reference(false);
}

int main(void)
{
    l2_manual_seed(1);
    test_small();
    test_layouts();
    test_promotion_and_batches();
    test_zero_size();
    test_odd_strides();
    test_random();
    test_addmm_scalars();
    return tap_done();
}
