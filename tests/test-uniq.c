/* test-uniq.c: scatter, scatter_value and scatter_reduce (libl2/ops/scatter.c), unique and
 * unique_consecutive (unique.c): hand-checked values in every dtype, repeated positions, the
 * error paths, finite-difference gradients and an out-of-memory sweep. */
#include <l2.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

/* t (any shape, read row-major) equals want[0..n-1] and has the given shape; releases t. */
static void is_vals(l2_tensor *t, int ndim, const int64_t *shape, const double *want,
                    const char *name)
{
    int good = same_shape(t, ndim, shape);
    int64_t n = good ? l2_numel(t) : 0, bad = -1;
    double got = 0;
    for (int64_t k = 0; good && k < n; k++) {
        got = flat(t, k);
        if (isnan(want[k]) ? !isnan(got) : got != want[k]) {
            good = 0;
            bad = k;
        }
    }
    if (!ok(good, "%s", name)) {
        if (bad >= 0)
            printf("#   element %lld: got %g, want %g\n", (long long)bad, got, want[bad]);
        else
            printf("#   %s\n", t ? "shape differs" : l2_last_error());
    }
    l2_tensor_release(t);
}

static l2_tensor *ix(int ndim, const int64_t *shape, const int64_t *v)
{
    return l2_from_data(v, ndim, shape, L2_INT64);
}

/* arange(numel) reshaped to shape in dtype dt (bool: only element 0 false). */
static l2_tensor *arx(int ndim, const int64_t *shape, l2_dtype dt)
{
    l2_tensor *a = ar(ndim, shape, L2_FLOAT64);
    l2_tensor *r = l2_to_dtype(a, dt);
    l2_tensor_release(a);
    return r;
}

/* ---- scatter ------------------------------------------------------------------------------ */

static void test_scatter_values(l2_dtype dt)
{
    char nm[96];
    const char *dn = l2_dtype_name(dt);
    bool b = dt == L2_BOOL;
    l2_tensor *t = arx(L2_SHAPE(3, 2), dt);                          /* [[0,1],[2,3],[4,5]] */
    l2_tensor *s = l2_full(L2_SHAPE(2, 2), b ? 0 : 9, dt);           /* all 9 (bool: false) */
    l2_tensor *i0 = ix(L2_SHAPE(2, 1), (const int64_t[]){2, 0});
    double v = b ? 0 : 9;
    snprintf(nm, sizeof nm, "scatter dim 0, index (2,1) (%s)", dn);
    is_vals(l2_scatter(t, 0, i0, s), L2_SHAPE(3, 2),
            (const double[]){v, b ? 1 : 1, b ? 1 : 2, b ? 1 : 3, v, b ? 1 : 5}, nm);
    snprintf(nm, sizeof nm, "scatter dim -1 (%s)", dn);
    l2_tensor *i1 = ix(L2_SHAPE(2, 1), (const int64_t[]){1, 0});
    is_vals(l2_scatter(t, -1, i1, s), L2_SHAPE(3, 2),
            (const double[]){b ? 0 : 0, v, v, b ? 1 : 3, b ? 1 : 4, b ? 1 : 5}, nm);
    snprintf(nm, sizeof nm, "scatter_value (%s)", dn);
    is_vals(l2_scatter_value(t, -1, i1, 1), L2_SHAPE(3, 2),
            (const double[]){b ? 0 : 0, 1, 1, b ? 1 : 3, b ? 1 : 4, b ? 1 : 5}, nm);
    l2_tensor *list[] = {t, s, i0, i1};
    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++)
        l2_tensor_release(list[k]);
}

static void test_scatter_misc(void)
{
    l2_tensor *t = l2_zeros(L2_SHAPE(3), L2_FLOAT32);
    l2_tensor *s = arx(L2_SHAPE(4), L2_FLOAT32);
    l2_tensor *rep = ix(L2_SHAPE(3), (const int64_t[]){1, 1, 0});
    is_vals(l2_scatter(t, 0, rep, s), L2_SHAPE(3), (const double[]){2, 1, 0},
            "scatter: a repeated position keeps the last src (row-major order)");
    l2_tensor *oob = ix(L2_SHAPE(2), (const int64_t[]){0, 3});
    is_err(l2_scatter(t, 0, oob, s), L2_ERR_INDEX, "out of bounds", "scatter: index 3 of 3");
    l2_tensor *neg = ix(L2_SHAPE(1), (const int64_t[]){-1});
    is_err(l2_scatter_value(t, 0, neg, 1), L2_ERR_INDEX, "out of bounds", "scatter: index -1");
    is_err(l2_scatter_value(t, 0, rep, 1e300), L2_ERR_ARG, "overflow",
           "scatter_value: 1e300 into float32");
    l2_tensor *s64 = arx(L2_SHAPE(4), L2_FLOAT64);
    is_err(l2_scatter(t, 0, rep, s64), L2_ERR_DTYPE, "dtype", "scatter: src dtype differs");
    is_err(l2_scatter(t, 1, rep, s), L2_ERR_DIM, "", "scatter: dim 1 of a 1-d t");
    l2_tensor *z = l2_scalar(4, L2_FLOAT64), *z0 = l2_scalar(0, L2_INT64);
    l2_tensor *zs = l2_scalar(7, L2_FLOAT64);
    is_vals(l2_scatter(z, 0, z0, zs), 0, NULL, (const double[]){7}, "scatter: 0-d tensors");
    l2_tensor *list[] = {t, s, rep, oob, neg, s64, z, z0, zs};
    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++)
        l2_tensor_release(list[k]);
}

/* ---- scatter_reduce ----------------------------------------------------------------------- */

static void test_reduce_values(l2_dtype dt)
{
    char nm[96];
    const char *dn = l2_dtype_name(dt);
    /* t = [1, 2, 3, 4], src = [5, -6, 7, 10, 9] to [0, 0, 2, 0, 3] */
    l2_tensor *t = vec1d(4, (const double[]){1, 2, 3, 4}, dt);
    l2_tensor *s = vec1d(5, (const double[]){5, -6, 7, 10, 9}, dt);
    l2_tensor *i = ix(L2_SHAPE(5), (const int64_t[]){0, 0, 2, 0, 3});
    static const double want[5][2][4] = {
        {{10, 2, 10, 13}, {9, 2, 7, 9}},          /* sum (with self, without) */
        {{-300, 2, 21, 36}, {-300, 2, 7, 9}},     /* prod */
        {{2.5, 2, 5, 6.5}, {3, 2, 7, 9}},         /* mean (int64 floors) */
        {{10, 2, 7, 9}, {10, 2, 7, 9}},           /* amax */
        {{-6, 2, 3, 4}, {-6, 2, 7, 9}},           /* amin */
    };
    static const char *names[] = {"sum", "prod", "mean", "amax", "amin"};
    for (int m = 0; m < 5; m++)
        for (int self = 1; self >= 0; self--) {
            double w[4];
            memcpy(w, want[m][1 - self], sizeof w);
            if (dt == L2_INT64)
                for (int k = 0; k < 4; k++)
                    w[k] = floor(w[k]);
            snprintf(nm, sizeof nm, "scatter_reduce %s include_self %d (%s)", names[m], self,
                     dn);
            is_vals(l2_scatter_reduce(t, 0, i, s, (l2_scatter_mode)m, self), L2_SHAPE(4), w, nm);
        }
    l2_tensor_release(t);
    l2_tensor_release(s);
    l2_tensor_release(i);
}

static void test_reduce_misc(void)
{
    l2_tensor *t = vec1d(2, (const double[]){1, NAN}, L2_FLOAT32);
    l2_tensor *s = vec1d(3, (const double[]){NAN, 2, 5}, L2_FLOAT32);
    l2_tensor *i = ix(L2_SHAPE(3), (const int64_t[]){0, 1, 1});
    is_vals(l2_scatter_reduce(t, 0, i, s, L2_SCATTER_AMAX, true), L2_SHAPE(2),
            (const double[]){NAN, NAN}, "scatter_reduce amax propagates NaN");
    is_vals(l2_scatter_reduce(t, 0, i, s, L2_SCATTER_AMIN, false), L2_SHAPE(2),
            (const double[]){NAN, 2}, "scatter_reduce amin without self");
    l2_tensor *n = vec1d(2, (const double[]){-7, 0}, L2_INT64);
    l2_tensor *ns = vec1d(3, (const double[]){0, 0, 0}, L2_INT64);
    is_vals(l2_scatter_reduce(n, 0, i, ns, L2_SCATTER_MEAN, true), L2_SHAPE(2),
            (const double[]){-4, 0}, "scatter_reduce int64 mean rounds toward -inf");
    is_err(l2_scatter_reduce(t, 0, i, s, (l2_scatter_mode)7, true), L2_ERR_ARG, "reduce",
           "scatter_reduce: unknown reduce");
    l2_tensor *bt = vec1d(2, (const double[]){1, 0}, L2_BOOL);
    is_err(l2_scatter_reduce(bt, 0, i, bt, L2_SCATTER_SUM, true), L2_ERR_DTYPE, "bool",
           "scatter_reduce: bool");
    l2_tensor *list[] = {t, s, i, n, ns, bt};
    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++)
        l2_tensor_release(list[k]);
}

/* ---- gradients ---------------------------------------------------------------------------- */

typedef struct {
    int form; /* -1 scatter, -2 scatter_value, else a reduction */
    bool self;
    int dim;
    const l2_tensor *idx;
} sc_ctx;

static l2_tensor *sc_fn(l2_tensor *const *in, void *ctx)
{
    const sc_ctx *c = ctx;
    if (c->form == -1)
        return l2_scatter(in[0], c->dim, c->idx, in[1]);
    if (c->form == -2)
        return l2_scatter_value(in[0], c->dim, c->idx, 2);
    return l2_scatter_reduce(in[0], c->dim, c->idx, in[1], (l2_scatter_mode)c->form, c->self);
}

static void test_grads(void)
{
    /* t (3, 4), src (4, 5), index (3, 4) along dim 0 with repeats for the reductions, distinct
     * along dim 0 for scatter */
    l2_tensor *t = gc_leaf(L2_SHAPE(3, 4), -2, 2), *s = gc_leaf(L2_SHAPE(4, 5), -2, 2);
    l2_tensor *in[2] = {t, s};
    l2_tensor *uq = ix(L2_SHAPE(2, 4), (const int64_t[]){2, 0, 1, 2, 0, 1, 2, 1});
    l2_tensor *rp = ix(L2_SHAPE(3, 4), (const int64_t[]){2, 0, 1, 2, 2, 0, 1, 0, 0, 0, 1, 2});
    sc_ctx c = {-1, true, 0, uq};
    ok(gradcheck("scatter", sc_fn, 2, in, &c), "scatter gradients (distinct positions)");
    c.form = -2;
    ok(gradcheck("scatter_value", sc_fn, 1, in, &c), "scatter_value gradient");
    static const char *names[] = {"sum", "prod", "mean", "amax", "amin"};
    for (int m = 0; m < 5; m++)
        for (int self = 0; self < 2; self++) {
            sc_ctx r = {m, self, 0, rp};
            ok(gradcheck(names[m], sc_fn, 2, in, &r), "scatter_reduce %s include_self %d "
               "gradients", names[m], self);
        }
    /* prod with one zero and with two zeros reaching one position */
    l2_tensor *zt = vec1d(2, (const double[]){3, 0}, L2_FLOAT64);
    l2_tensor *zs = vec1d(4, (const double[]){0, 2, 0, 5}, L2_FLOAT64);
    l2_set_requires_grad(zt, true);
    l2_set_requires_grad(zs, true);
    l2_tensor *zi = ix(L2_SHAPE(4), (const int64_t[]){0, 0, 1, 1});
    l2_tensor *y = l2_scatter_reduce(zt, 0, zi, zs, L2_SCATTER_PROD, true);
    l2_tensor *g = vec1d(2, (const double[]){1, 10}, L2_FLOAT64);
    ok(y && l2_backward(y, g, false) == L2_OK, "prod with zeros: backward");
    ok(holds(l2_grad(zt), 2, (const double[]){0, 0}) &&
       holds(l2_grad(zs), 4, (const double[]){6, 0, 0, 0}), "prod with zeros: gradients as torch");
    /* amax ties: dy split between t and two src elements */
    l2_tensor *mt = vec1d(1, (const double[]){4}, L2_FLOAT64);
    l2_tensor *ms = vec1d(3, (const double[]){4, 1, 4}, L2_FLOAT64);
    l2_set_requires_grad(mt, true);
    l2_set_requires_grad(ms, true);
    l2_tensor *mi = ix(L2_SHAPE(3), (const int64_t[]){0, 0, 0});
    l2_tensor *my = l2_scatter_reduce(mt, 0, mi, ms, L2_SCATTER_AMAX, true);
    l2_tensor *mg = vec1d(1, (const double[]){3}, L2_FLOAT64);
    ok(my && l2_backward(my, mg, false) == L2_OK, "amax ties: backward");
    ok(holds(l2_grad(mt), 1, (const double[]){1}) &&
       holds(l2_grad(ms), 3, (const double[]){1, 0, 1}), "amax ties share dy evenly");
    /* without include_self t still counts in the share (as torch) but its own dt is zero */
    l2_set_grad_none(mt);
    l2_set_grad_none(ms);
    l2_tensor *ny = l2_scatter_reduce(mt, 0, mi, ms, L2_SCATTER_AMAX, false);
    ok(ny && l2_backward(ny, mg, false) == L2_OK, "amax ties without self: backward");
    ok(holds(l2_grad(mt), 1, (const double[]){0}) &&
       holds(l2_grad(ms), 3, (const double[]){1, 0, 1}), "amax ties without self: dt zero, "
       "dsrc dy / 3 as torch");
    l2_tensor_release(ny);
    /* the result is saved (as torch): changed in place, backward fails */
    for (int m = L2_SCATTER_SUM; m <= L2_SCATTER_AMIN; m += L2_SCATTER_AMAX) {
        l2_tensor *ry = l2_scatter_reduce(mt, 0, mi, ms, (l2_scatter_mode)m, true);
        ok(ry && l2_mul_scalar_(ry, 2) == L2_OK && l2_backward(ry, mg, false) == L2_ERR_AUTOGRAD,
           "scatter_reduce %s: backward after the result changed in place fails", names[m]);
        l2_tensor_release(ry);
    }
    sc_ctx o = {L2_SCATTER_PROD, true, 0, rp};
    oom_check("scatter_reduce prod", sc_fn, 2, in, &o);
    sc_ctx o2 = {-1, true, 0, uq};
    oom_check("scatter", sc_fn, 2, in, &o2);
    l2_tensor *list[] = {t, s, uq, rp, zt, zs, zi, y, g, mt, ms, mi, my, mg};
    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++)
        l2_tensor_release(list[k]);
}

/* ---- unique, unique_consecutive ---------------------------------------------------------- */

/* Check values, inverse and counts of one call (any of them may be NULL: not checked). */
static void is_uniq(l2_tensor *v, l2_tensor *inv, l2_tensor *cnt, int64_t g, const double *wv,
                    int ind, const int64_t *ish, const double *wi, const double *wc,
                    const char *name)
{
    char nm[128];
    snprintf(nm, sizeof nm, "%s: values", name);
    is_vals(v, 1, &g, wv, nm);
    if (wi) {
        snprintf(nm, sizeof nm, "%s: inverse", name);
        ok(inv && l2_dtype_of(inv) == L2_INT64, "%s dtype int64", nm);
        is_vals(inv, ind, ish, wi, nm);
    }
    if (wc) {
        snprintf(nm, sizeof nm, "%s: counts", name);
        is_vals(cnt, 1, &g, wc, nm);
    }
}

static void test_unique(l2_dtype dt)
{
    char nm[96];
    const char *dn = l2_dtype_name(dt);
    l2_tensor *inv, *cnt;
    if (dt == L2_BOOL) {
        l2_tensor *b = vec1d(4, (const double[]){1, 0, 1, 1}, dt);
        l2_tensor *v = l2_unique(b, false, &inv, &cnt);
        is_uniq(v, inv, cnt, 2, (const double[]){0, 1}, L2_SHAPE(4),
                (const double[]){1, 0, 1, 1}, (const double[]){1, 3}, "unique (bool)");
        v = l2_unique_consecutive(b, &inv, &cnt);
        is_uniq(v, inv, cnt, 3, (const double[]){1, 0, 1}, L2_SHAPE(4),
                (const double[]){0, 1, 2, 2}, (const double[]){1, 1, 2},
                "unique_consecutive (bool)");
        l2_tensor_release(b);
        return;
    }
    /* t (2, 3) = [[3, 1, 3], [2, 1, 1]] */
    l2_tensor *t6 = vec1d(6, (const double[]){3, 1, 3, 2, 1, 1}, dt);
    l2_tensor *t = l2_reshape(t6, L2_SHAPE(2, 3));
    l2_tensor *tt = l2_t(t); /* a transposed input: (3, 2) = [[3, 2], [1, 1], [3, 1]] */
    snprintf(nm, sizeof nm, "unique of a (2, 3) t (%s)", dn);
    l2_tensor *v = l2_unique(t, true, &inv, &cnt);
    is_uniq(v, inv, cnt, 3, (const double[]){1, 2, 3}, L2_SHAPE(2, 3),
            (const double[]){2, 0, 2, 1, 0, 0}, (const double[]){3, 1, 2}, nm);
    snprintf(nm, sizeof nm, "unique of a transposed t, sorted false (%s)", dn);
    v = l2_unique(tt, false, &inv, NULL);
    is_uniq(v, inv, NULL, 3, (const double[]){1, 2, 3}, L2_SHAPE(3, 2),
            (const double[]){2, 1, 0, 0, 2, 0}, NULL, nm);
    snprintf(nm, sizeof nm, "unique_consecutive (%s)", dn);
    v = l2_unique_consecutive(t, &inv, &cnt);
    is_uniq(v, inv, cnt, 5, (const double[]){3, 1, 3, 2, 1}, L2_SHAPE(2, 3),
            (const double[]){0, 1, 2, 3, 4, 4}, (const double[]){1, 1, 1, 1, 2}, nm);
    /* a run at the start (elements 0 and 1 equal): the single-element loop's first step */
    snprintf(nm, sizeof nm, "unique_consecutive of [4, 4, 5] (%s)", dn);
    l2_tensor *p3f = l2_from_data((const float[]){4, 4, 5}, L2_SHAPE(1, 3), L2_FLOAT32);
    l2_tensor *p3 = l2_to_dtype(p3f, dt);
    l2_tensor_release(p3f);
    v = l2_unique_consecutive(p3, &inv, &cnt);
    is_uniq(v, inv, cnt, 2, (const double[]){4, 5}, L2_SHAPE(1, 3), (const double[]){0, 0, 1},
            (const double[]){2, 1}, nm);
    l2_tensor_release(p3);
    /* slices: tt's rows [3,2], [1,1], [3,1]; along dim 0 sorted: [1,1], [3,1], [3,2] */
    snprintf(nm, sizeof nm, "unique_dim 0 of a transposed t (%s)", dn);
    v = l2_unique_dim(tt, 0, true, &inv, &cnt);
    is_vals(v, L2_SHAPE(3, 2), (const double[]){1, 1, 3, 1, 3, 2}, nm);
    is_vals(inv, L2_SHAPE(3), (const double[]){2, 0, 1}, nm);
    is_vals(cnt, L2_SHAPE(3), (const double[]){1, 1, 1}, nm);
    /* columns of t: [3,2], [1,1], [3,1]: the same slices along dim -1 */
    l2_tensor *r = l2_cat(2, (l2_tensor *const[]){t, t}, 1); /* (2, 6): columns repeat */
    snprintf(nm, sizeof nm, "unique_dim -1 with repeated columns (%s)", dn);
    v = l2_unique_dim(r, -1, false, &inv, &cnt);
    is_vals(v, L2_SHAPE(2, 3), (const double[]){1, 3, 3, 1, 1, 2}, nm);
    is_vals(inv, L2_SHAPE(6), (const double[]){2, 0, 1, 2, 0, 1}, nm);
    is_vals(cnt, L2_SHAPE(3), (const double[]){2, 2, 2}, nm);
    snprintf(nm, sizeof nm, "unique_consecutive_dim 0 (%s)", dn);
    l2_tensor *rr = l2_cat(2, (l2_tensor *const[]){tt, tt}, 0); /* rows 0,1,2,0,1,2 */
    v = l2_unique_consecutive_dim(rr, 0, &inv, &cnt);
    is_vals(v, L2_SHAPE(6, 2), (const double[]){3, 2, 1, 1, 3, 1, 3, 2, 1, 1, 3, 1}, nm);
    is_vals(inv, L2_SHAPE(6), (const double[]){0, 1, 2, 3, 4, 5}, nm);
    is_vals(cnt, L2_SHAPE(6), (const double[]){1, 1, 1, 1, 1, 1}, nm);
    l2_tensor *list[] = {t6, t, tt, r, rr};
    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++)
        l2_tensor_release(list[k]);
}

static void test_unique_misc(void)
{
    l2_tensor *inv, *cnt;
    l2_tensor *x = vec1d(7, (const double[]){NAN, 0, 2, NAN, -0.0, 2, 0}, L2_FLOAT64);
    l2_tensor *v = l2_unique(x, true, &inv, &cnt);
    ok(holds(v, 4, (const double[]){0, 2, NAN, NAN}), "unique: each NaN its own value, last");
    is_vals(inv, L2_SHAPE(7), (const double[]){2, 0, 1, 3, 0, 1, 0}, "unique: NaN inverse");
    is_vals(cnt, L2_SHAPE(4), (const double[]){3, 2, 1, 1}, "unique: NaN counts");
    l2_tensor_release(v);
    l2_tensor *y = vec1d(7, (const double[]){NAN, NAN, 1, -0.0, 0, 0, 2}, L2_FLOAT32);
    v = l2_unique_consecutive(y, NULL, &cnt);
    ok(holds(v, 5, (const double[]){NAN, NAN, 1, -0.0, 2}),
       "unique_consecutive: NaN never equal, a -0.0 run keeps its first element");
    is_vals(cnt, L2_SHAPE(5), (const double[]){1, 1, 1, 3, 1}, "unique_consecutive counts");
    l2_tensor_release(v);
    l2_tensor *z = l2_scalar(5, L2_INT64);
    v = l2_unique(z, true, &inv, &cnt);
    is_uniq(v, inv, cnt, 1, (const double[]){5}, 0, NULL, (const double[]){0},
            (const double[]){1}, "unique of a 0-d t: 0-d inverse");
    is_err(l2_unique_dim(z, 0, true, &inv, NULL), L2_ERR_DIM, "no dimensions",
           "unique_dim of a 0-d t");
    ok(inv == NULL, "unique_dim failure clears inverse");
    l2_tensor *e = l2_zeros(L2_SHAPE(2, 0), L2_FLOAT32);
    is_err(l2_unique_dim(e, 0, true, NULL, NULL), L2_ERR_SHAPE, "aren't selected",
           "unique_dim of (2, 0) along dim 0");
    v = l2_unique_dim(e, 1, true, &inv, &cnt);
    is_vals(v, L2_SHAPE(2, 0), NULL, "unique_dim of (2, 0) along dim 1: (2, 0)");
    is_vals(inv, L2_SHAPE(0), NULL, "unique_dim of (2, 0): empty inverse");
    is_vals(cnt, L2_SHAPE(0), NULL, "unique_dim of (2, 0): empty counts");
    v = l2_unique(e, true, &inv, &cnt);
    is_uniq(v, inv, cnt, 0, NULL, L2_SHAPE(2, 0), (const double[]){0}, (const double[]){0},
            "unique of an empty t");
    l2_tensor *g = l2_ones(L2_SHAPE(3), L2_FLOAT32);
    l2_set_requires_grad(g, true);
    v = l2_unique(g, true, NULL, NULL);
    ok(v && !l2_requires_grad(v), "unique of a requires-grad t: no gradient");
    l2_tensor_release(v);
    l2_tensor *g31 = l2_reshape(g, L2_SHAPE(3, 1));
    v = l2_unique_consecutive_dim(g31, 0, NULL, NULL);
    ok(v && !l2_requires_grad(v), "unique_consecutive_dim: no gradient");
    l2_tensor_release(v);
    l2_tensor *list[] = {x, y, z, e, g, g31};
    for (size_t k = 0; k < sizeof list / sizeof list[0]; k++)
        l2_tensor_release(list[k]);
}

int main(void)
{
    const l2_dtype all[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    for (int d = 0; d < 4; d++)
        test_scatter_values(all[d]);
    test_scatter_misc();
    for (int d = 0; d < 3; d++)
        test_reduce_values(all[d]);
    test_reduce_misc();
    test_grads();
    for (int d = 0; d < 4; d++)
        test_unique(all[d]);
    test_unique_misc();
    return tap_done();
}
