/* test-sort.c: sorting and selection (libl2/ops/sort.c): sort, argsort, msort, topk, kthvalue,
 * median and mode on hand-checked rows: NaN ordered last (first when descending), stable ties
 * in both directions, 0-d, empty and transposed inputs, negative dims, errors (torch 1.13's
 * kinds, *indices NULL after a failure), gradients by finite differences and the scatter into
 * the selected positions, and out-of-memory sweeps. */
#include <l2.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static void test_sort_values(void)
{
    /* NaN largest; -0.0 and 0.0 equal (stable: they keep their order); 1 repeated. */
    const double x[] = {3, NAN, -0.0, 1, 0.0, -INFINITY, 1, NAN};
    l2_tensor *t = vec1d(8, x, L2_FLOAT64), *ix = NULL;
    l2_tensor *v = l2_sort(t, 0, false, false, &ix);
    ok(holds(v, 8, (const double[]){-INFINITY, -0.0, 0.0, 1, 1, 3, NAN, NAN}) &&
           holds(ix, 8, (const double[]){5, 2, 4, 3, 6, 0, 1, 7}),
       "sort ascending: NaN last, ties and +-0 keep their order");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    v = l2_sort(t, -1, true, true, &ix);
    ok(holds(v, 8, (const double[]){NAN, NAN, 3, 1, 1, -0.0, 0.0, -INFINITY}) &&
           holds(ix, 8, (const double[]){1, 7, 0, 3, 6, 2, 4, 5}),
       "sort descending: NaN first, ties keep their order");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    l2_tensor *a = l2_argsort(t, 0, true, false);
    ok(holds(a, 8, (const double[]){1, 7, 0, 3, 6, 2, 4, 5}) && l2_dtype_of(a) == L2_INT64,
       "argsort: sort's indices");
    l2_tensor_release(a);
    l2_tensor_release(t);
    /* A long row with ties (past the insertion runs of 16): stable in both directions. */
    enum { N = 100 };
    double y[N];
    for (int i = 0; i < N; i++)
        y[i] = (i * 37) % 5;
    t = vec1d(N, y, L2_INT64);
    ix = NULL;
    v = l2_sort(t, 0, false, false, &ix);
    int good = v && ix;
    for (int64_t i = 1; good && i < N; i++) {
        int64_t p = i - 1;
        double v0 = at(v, &p), v1 = at(v, &i), i0 = at(ix, &p), i1 = at(ix, &i);
        good = v0 < v1 || (v0 == v1 && i0 < i1);
    }
    ok(good, "sort of 100 int64 with ties: ascending, stable");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    v = l2_sort(t, 0, true, false, &ix);
    good = v && ix;
    for (int64_t i = 1; good && i < N; i++) {
        int64_t p = i - 1;
        double v0 = at(v, &p), v1 = at(v, &i), i0 = at(ix, &p), i1 = at(ix, &i);
        good = v0 > v1 || (v0 == v1 && i0 < i1);
    }
    ok(good, "sort of 100 int64 with ties: descending, stable");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    l2_tensor_release(t);
    /* bool sorts: false before true. */
    t = vec1d(4, (const double[]){1, 0, 1, 0}, L2_BOOL);
    v = l2_sort(t, 0, false, false, NULL);
    ok(holds(v, 4, (const double[]){0, 0, 1, 1}) && l2_dtype_of(v) == L2_BOOL, "sort of bool");
    l2_tensor_release(v);
    l2_tensor_release(t);
}

static void test_sort_layouts(void)
{
    /* (3, 4) transposed to (4, 3): sort each row of the transposed view along dim 1, and each
     * column along dim 0 (-2). */
    l2_tensor *b = l2_from_data((const double[]){5, 1, 9, 2, 0, 7, 3, 8, 6, 4, 11, 10},
                                L2_SHAPE(3, 4), L2_FLOAT64);
    l2_tensor *t = l2_t(b); /* t[i][j] = b[j][i] */
    l2_tensor *ix = NULL;
    l2_tensor *v = l2_sort(t, 1, false, false, &ix);
    /* rows of t: (5, 0, 6), (1, 7, 4), (9, 3, 11), (2, 8, 10) */
    ok(v && at(v, (const int64_t[]){0, 0}) == 0 && at(v, (const int64_t[]){0, 2}) == 6 &&
           at(ix, (const int64_t[]){1, 1}) == 2 && at(v, (const int64_t[]){2, 1}) == 9 &&
           at(ix, (const int64_t[]){3, 0}) == 0,
       "sort along the last dim of a transposed input");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    v = l2_sort(t, -2, true, false, &ix);
    /* column 0 of t: 5, 1, 9, 2 -> 9, 5, 2, 1 at 2, 0, 3, 1 */
    ok(v && at(v, (const int64_t[]){0, 0}) == 9 && at(v, (const int64_t[]){3, 0}) == 1 &&
           at(ix, (const int64_t[]){1, 0}) == 0 && at(ix, (const int64_t[]){2, 0}) == 3,
       "sort along dim -2 (a strided dim), descending");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    /* msort: dim 0. */
    v = l2_msort(b);
    ok(v && at(v, (const int64_t[]){0, 0}) == 0 && at(v, (const int64_t[]){2, 0}) == 6 &&
           at(v, (const int64_t[]){1, 1}) == 4,
       "msort sorts along dim 0");
    l2_tensor_release(v);
    /* 0-d: itself, index 0; empty: empty. */
    l2_tensor *s = l2_scalar(4, L2_FLOAT32);
    v = l2_sort(s, -1, false, false, &ix);
    ok(v && l2_ndim(v) == 0 && item(v) == 4 && l2_ndim(ix) == 0 && item(ix) == 0,
       "sort of a 0-d tensor");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    l2_tensor *e = l2_zeros(L2_SHAPE(2, 0), L2_FLOAT32);
    v = l2_sort(e, 1, false, false, &ix);
    ok(same_shape(v, L2_SHAPE(2, 0)) && same_shape(ix, L2_SHAPE(2, 0)), "sort of (2, 0)");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    l2_tensor *list[] = {b, t, s, e};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_select(void)
{
    const double x[] = {4, NAN, -1, 7, 2};
    l2_tensor *t = vec1d(5, x, L2_FLOAT32), *ix = NULL;
    l2_tensor *v = l2_topk(t, 2, 0, true, true, &ix);
    ok(holds(v, 2, (const double[]){NAN, 7}) && holds(ix, 2, (const double[]){1, 3}),
       "topk largest: NaN counts as the largest");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    v = l2_topk(t, 3, -1, false, false, &ix);
    ok(holds(v, 3, (const double[]){-1, 2, 4}) && holds(ix, 3, (const double[]){2, 4, 0}),
       "topk smallest (sorted false gives them sorted too)");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    v = l2_topk(t, 0, 0, true, true, &ix);
    ok(same_shape(v, L2_SHAPE(0)) && same_shape(ix, L2_SHAPE(0)), "topk k = 0: empty");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    v = l2_kthvalue(t, 2, 0, false, &ix);
    ok(v && l2_ndim(v) == 0 && item(v) == 2 && item(ix) == 4, "kthvalue k = 2");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    v = l2_kthvalue(t, 5, 0, true, &ix);
    ok(same_shape(v, L2_SHAPE(1)) && isnan(at(v, (const int64_t[]){0})) &&
           at(ix, (const int64_t[]){0}) == 1,
       "kthvalue k = n is the NaN; keepdim keeps the dim");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    /* median: NaN propagates (index of the NaN); the lower of the two middle values. */
    v = l2_median_dim(t, 0, false, &ix);
    ok(v && isnan(item(v)) && item(ix) == 1, "median along a dim with a NaN: NaN, its index");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    ok(isnan(itemr(l2_median(t))), "median of all elements with a NaN: NaN");
    l2_tensor *u = vec1d(4, (const double[]){4, 1, 3, 2}, L2_INT64);
    v = l2_median_dim(u, -1, true, &ix);
    ok(same_shape(v, L2_SHAPE(1)) && at(v, (const int64_t[]){0}) == 2 &&
           at(ix, (const int64_t[]){0}) == 3,
       "median of an even count: the lower middle value");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    ok(itemr(l2_median(u)) == 2, "median of all elements, int64");
    l2_tensor *e = l2_zeros(L2_SHAPE(0), L2_FLOAT64);
    ok(isnan(itemr(l2_median(e))), "median of an empty tensor: NaN");
    /* mode: the smallest of the most frequent values, the last index where it occurs. */
    l2_tensor *m = vec1d(7, (const double[]){3, 1, 3, 2, 1, 5, 2}, L2_FLOAT64);
    v = l2_mode(m, 0, false, &ix);
    ok(v && item(v) == 1 && item(ix) == 4, "mode: smallest most frequent value, last index");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    l2_tensor *mb = vec1d(3, (const double[]){1, 0, 1}, L2_BOOL);
    v = l2_mode(mb, 0, false, &ix);
    ok(v && item(v) == 1 && item(ix) == 2 && l2_dtype_of(v) == L2_BOOL, "mode of bool");
    l2_tensor_release(v);
    l2_tensor_release(ix);
    /* 0-d inputs: topk k = 0 and 1 give the element; kthvalue 1; median and mode. */
    l2_tensor *s = l2_scalar(6, L2_FLOAT64);
    ok(itemr(l2_topk(s, 0, 0, true, true, NULL)) == 6 &&
           itemr(l2_topk(s, 1, -1, false, true, NULL)) == 6 &&
           itemr(l2_kthvalue(s, 1, 0, false, NULL)) == 6 &&
           itemr(l2_median_dim(s, 0, false, NULL)) == 6 && itemr(l2_mode(s, -1, true, NULL)) == 6,
       "0-d inputs select their element");
    l2_tensor *list[] = {t, u, e, m, mb, s};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_errors(void)
{
    l2_tensor *t = ar(L2_SHAPE(2, 3), L2_FLOAT32), *b = l2_zeros(L2_SHAPE(3), L2_BOOL);
    l2_tensor *e = l2_zeros(L2_SHAPE(2, 0), L2_FLOAT32), *s = l2_scalar(1, L2_FLOAT32);
    l2_tensor *ix = (l2_tensor *)&ix; /* must come back NULL */
    is_err(l2_sort(t, 2, false, false, &ix), L2_ERR_DIM, "dim 2", "sort: dim out of range");
    ok(ix == NULL, "sort: *indices NULL after a failure");
    is_err(l2_sort(NULL, 0, false, false, NULL), L2_ERR_NULL, "", "sort: NULL");
    is_err(l2_argsort(t, -3, false, false), L2_ERR_DIM, "", "argsort: dim -3 of rank 2");
    is_err(l2_msort(NULL), L2_ERR_NULL, "", "msort: NULL");
    ix = (l2_tensor *)&ix;
    is_err(l2_topk(t, 4, 1, true, true, &ix), L2_ERR_INDEX, "selected index k out of range",
           "topk: k > size");
    ok(ix == NULL, "topk: *indices NULL after a failure");
    is_err(l2_topk(t, -1, 1, true, true, NULL), L2_ERR_INDEX, "out of range", "topk: k < 0");
    is_err(l2_topk(s, 2, 0, true, true, NULL), L2_ERR_INDEX, "out of range", "topk: 0-d, k 2");
    is_err(l2_topk(b, 1, 0, true, true, NULL), L2_ERR_DTYPE, "Bool", "topk: bool");
    is_err(l2_kthvalue(t, 0, 1, false, NULL), L2_ERR_INDEX, "selected number k out of range",
           "kthvalue: k = 0");
    is_err(l2_kthvalue(t, 4, 1, false, NULL), L2_ERR_INDEX, "k out of range", "kthvalue: k > n");
    is_err(l2_kthvalue(e, 1, 1, false, NULL), L2_ERR_ARG, "non-zero size", "kthvalue: empty dim");
    is_err(l2_kthvalue(b, 1, 0, false, NULL), L2_ERR_DTYPE, "Bool", "kthvalue: bool");
    is_err(l2_median_dim(e, -1, false, NULL), L2_ERR_ARG, "non-zero size", "median: empty dim");
    is_err(l2_median_dim(b, 0, false, NULL), L2_ERR_DTYPE, "Bool", "median along a dim: bool");
    is_err(l2_median(b), L2_ERR_DTYPE, "Bool", "median: bool");
    is_err(l2_mode(e, 1, false, NULL), L2_ERR_ARG, "non-zero size", "mode: empty dim");
    is_err(l2_mode(t, 5, false, NULL), L2_ERR_DIM, "", "mode: dim out of range");
    /* (0, 2): no rows; an empty result, not an error. */
    l2_tensor *e2 = l2_zeros(L2_SHAPE(0, 2), L2_FLOAT32);
    l2_tensor *r = l2_kthvalue(e2, 1, 1, false, NULL);
    ok(same_shape(r, L2_SHAPE(0)), "kthvalue of (0, 2) along dim 1: (0,)");
    l2_tensor_release(r);
    l2_tensor *list[] = {t, b, e, s, e2};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static l2_tensor *f_sort(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    l2_tensor *x = l2_t(in[0]);
    l2_tensor *r = x ? l2_sort(x, 1, true, false, NULL) : NULL;
    l2_tensor_release(x);
    return r;
}

static l2_tensor *f_msort(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_msort(in[0]);
}

static l2_tensor *f_topk(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_topk(in[0], 2, 0, false, true, NULL);
}

static l2_tensor *f_kth(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_kthvalue(in[0], 3, -1, false, NULL);
}

static l2_tensor *f_median_dim(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_median_dim(in[0], 1, true, NULL);
}

static l2_tensor *f_median(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_median(in[0]);
}

static l2_tensor *f_mode(l2_tensor *const *in, void *ctx)
{
    (void)ctx;
    return l2_mode(in[0], 0, false, NULL);
}

/* The gradient of the selected values lands at the selected positions: x (4,), dy (2,). */
static void test_scatter_grad(void)
{
    l2_tensor *x = vec1d(4, (const double[]){5, 1, 8, 3}, L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *v = l2_topk(x, 2, 0, true, true, NULL);
    l2_tensor *g = vec1d(2, (const double[]){10, 20}, L2_FLOAT64);
    ok(v && l2_backward(v, g, false) == L2_OK &&
           holds(l2_grad(x), 4, (const double[]){20, 0, 10, 0}),
       "topk: dy scattered into the selected positions");
    is_str(l2_grad_fn_name(v), "topk", "grad_fn of topk");
    l2_tensor_release(v);
    l2_tensor_release(g);
    /* median of all elements: dy split evenly among its ties. */
    l2_tensor *y = vec1d(5, (const double[]){2, 7, 2, 1, 2}, L2_FLOAT64);
    l2_set_requires_grad(y, true);
    l2_tensor *m = l2_median(y);
    g = l2_scalar(3, L2_FLOAT64);
    ok(m && l2_backward(m, g, false) == L2_OK &&
           holds(l2_grad(y), 5, (const double[]){1, 0, 1, 0, 1}),
       "median: dy split evenly among the elements equal to it");
    l2_tensor_release(m);
    l2_tensor_release(g);
    l2_tensor_release(x);
    l2_tensor_release(y);
}

static void test_grads(void)
{
    l2_manual_seed(5);
    l2_tensor *x = gc_leaf(L2_SHAPE(4, 5), -1, 1);
    ok(gradcheck("sort", f_sort, 1, &x, NULL), "gradcheck: sort of a transposed input");
    ok(gradcheck("msort", f_msort, 1, &x, NULL), "gradcheck: msort");
    ok(gradcheck("topk", f_topk, 1, &x, NULL), "gradcheck: topk along dim 0");
    ok(gradcheck("kthvalue", f_kth, 1, &x, NULL), "gradcheck: kthvalue");
    ok(gradcheck("median_dim", f_median_dim, 1, &x, NULL), "gradcheck: median along dim 1");
    ok(gradcheck("median", f_median, 1, &x, NULL), "gradcheck: median of all elements");
    ok(gradcheck("mode", f_mode, 1, &x, NULL), "gradcheck: mode (distinct values)");
    l2_tensor *r = f_sort(&x, NULL);
    is_str(l2_grad_fn_name(r), "sort", "grad_fn of sort");
    l2_tensor_release(r);
    oom_check("sort", f_sort, 1, &x, NULL);
    oom_check("topk", f_topk, 1, &x, NULL);
    oom_check("kthvalue", f_kth, 1, &x, NULL);
    oom_check("median", f_median, 1, &x, NULL);
    oom_check("mode", f_mode, 1, &x, NULL);
    l2_tensor_release(x);
}

/* speed (issue 12, area speed8): topk below l2_threshold("topk_select") selects with a sorted
 * buffer instead of sorting; at the threshold it sorts. Both agree with sort's first k (values
 * and indices: ties keep the earlier index first, NaN the largest) along both dims, largest and
 * smallest, over rows of ties (a value from 9) with a NaN in each column. */
static void test_topk_select(void)
{
    int64_t th = l2_threshold("topk_select");
    ok(th >= 2, "topk_select threshold named");
    if (th < 2)
        return;
    int64_t R = 3 * th + 4, C = 3 * th + 5;
    double *x = calloc((size_t)(R * C), sizeof *x);
    uint32_t s = 12345;
    for (int64_t i = 0; i < R * C; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (double)((s >> 16) % 9) - 4;
    }
    for (int64_t j = 0; j < C; j++)
        x[((j * 7) % R) * C + j] = NAN;
    l2_tensor *f = vec1d(R * C, x, L2_FLOAT32), *t = l2_reshape(f, L2_SHAPE(R, C));
    free(x);
    for (int dim = 0; dim < 2; dim++)
        for (int largest = 0; largest < 2; largest++)
            for (int64_t k = th - 1; k <= th; k++) {
                l2_tensor *ix = NULL, *six = NULL;
                l2_tensor *v = l2_topk(t, k, dim, largest, true, &ix);
                l2_tensor *sv = l2_sort(t, dim, largest, true, &six);
                int same = v && ix && sv && six;
                for (int64_t a = 0; same && a < k; a++)
                    for (int64_t b = 0; same && b < (dim ? R : C); b++) {
                        int64_t p[2] = {dim ? b : a, dim ? a : b};
                        double u = at(v, p), w = at(sv, p);
                        same = ((u == w) || (isnan(u) && isnan(w))) && at(ix, p) == at(six, p);
                    }
                ok(same, "topk k = %lld (threshold %s) along dim %d, %s: sort's first k",
                   (long long)k, k < th ? "below" : "at", dim, largest ? "largest" : "smallest");
                l2_tensor_release(v);
                l2_tensor_release(ix);
                l2_tensor_release(sv);
                l2_tensor_release(six);
            }
    l2_tensor_release(t);
    l2_tensor_release(f);
}

/* speed (issue 12): rows of at least l2_threshold("sort_radix_min") elements sort by a radix
 * sort. Against a stable insertion sort by the merge sort's order (NaN of either sign last, -0.0
 * equal to 0.0, ties in index order), just below, at and above the threshold, float32, float64
 * and int64, both directions: indices equal, values bitwise those of the input at them. */
static bool before(double a, double b, bool desc)
{
    if (desc)
        return a > b || (isnan(a) && !isnan(b));
    return a < b || (isnan(b) && !isnan(a));
}

static void test_sort_radix(void)
{
    int64_t th = l2_threshold("sort_radix_min");
    ok(th > 1, "sort_radix_min is %lld", (long long)th);
    const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64};
    const int64_t ns[] = {th - 1, th, th + 37, 4 * th + 3};
    for (int di = 0; di < 3; di++)
        for (int ni = 0; ni < 4; ni++)
            for (int desc = 0; desc < 2; desc++) {
                l2_dtype dt = dts[di];
                int64_t n = ns[ni];
                double *x = malloc((size_t)n * sizeof *x);
                int64_t *ref = malloc((size_t)n * sizeof *ref);
                uint64_t r = 88172645463325252ull + (uint64_t)(n * 7 + di * 3 + desc);
                for (int64_t i = 0; i < n; i++) {
                    r ^= r << 13, r ^= r >> 7, r ^= r << 17;
                    int k = (int)(r % 16);
                    double v = (double)(int64_t)(r >> 40) - 8388608.0; /* +-2^23, ties */
                    if (dt != L2_INT64 && k == 0)
                        v = (r >> 20) & 1 ? NAN : -NAN;
                    else if (dt != L2_INT64 && k == 1)
                        v = (r >> 20) & 1 ? 0.0 : -0.0;
                    else if (dt != L2_INT64 && k == 2)
                        v = (r >> 20) & 1 ? INFINITY : -INFINITY;
                    else if (dt != L2_INT64 && k == 3)
                        v = ((r >> 20) & 1 ? 1 : -1) * 1e-310 * (dt == L2_FLOAT32 ? 1e270 : 1);
                    else if (k == 4)
                        v = (double)(int64_t)(r % 5);
                    else if (dt == L2_INT64 && k == 5)
                        v = (r >> 20) & 1 ? 4503599627370496.0 : -4503599627370496.0;
                    else if (dt != L2_INT64 && k == 5)
                        v = ldexp((double)(int64_t)(r >> 44), (int)(r % 40) - 20);
                    x[i] = v;
                    ref[i] = i;
                }
                l2_tensor *t = vec1d(n, x, dt), *ix = NULL;
                /* the reference: stable insertion sort of the stored values */
                double *xs = malloc((size_t)n * sizeof *xs);
                for (int64_t i = 0; i < n; i++)
                    xs[i] = at(t, &i);
                for (int64_t i = 1; i < n; i++) {
                    int64_t v = ref[i], k = i;
                    while (k > 0 && before(xs[v], xs[ref[k - 1]], desc)) {
                        ref[k] = ref[k - 1];
                        k--;
                    }
                    ref[k] = v;
                }
                l2_tensor *v = l2_sort(t, 0, desc, true, &ix);
                bool good = v && ix;
                size_t es = dt == L2_FLOAT32 ? 4 : 8;
                for (int64_t i = 0; good && i < n; i++)
                    good = ((const int64_t *)l2_data_ptr(ix))[i] == ref[i] &&
                           !memcmp((const char *)l2_data_ptr(v) + i * es,
                                   (const char *)l2_data_ptr(t) + ref[i] * es, es);
                ok(good, "radix-path sort of %lld %s, %s: the stable order, values bitwise",
                   (long long)n, dt == L2_FLOAT32 ? "float32" : dt == L2_FLOAT64 ? "float64" : "int64",
                   desc ? "descending" : "ascending");
                l2_tensor_release(v);
                l2_tensor_release(ix);
                l2_tensor_release(t);
                free(x);
                free(xs);
                free(ref);
            }
}

int main(void)
{
    test_sort_values();
    test_sort_layouts();
    test_select();
    test_topk_select(); /* speed (issue 12) */
    test_sort_radix();
    test_errors();
    test_scatter_grad();
    test_grads();
    return tap_done();
}
