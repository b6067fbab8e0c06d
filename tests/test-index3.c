/* test-index3.c: index_fill, index_copy and index_add (libl2/ops/index3.c), masked_select,
 * nonzero and masked_scatter (index4.c): hand-checked values
 * along each dim of contiguous and transposed inputs in every dtype, negative (index_fill) and
 * repeated indices, 0-d and empty tensors, the error paths (nothing written), finite-difference
 * gradients of both operands and an out-of-memory sweep. */
#include <l2.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static l2_tensor *idx_of(int ndim, const int64_t *shape, const int64_t *v)
{
    return l2_from_data(v, ndim, shape, L2_INT64);
}

/* arange(numel) reshaped to shape, converted to dt (bool: only element 0 is false). */
static l2_tensor *arx(int ndim, const int64_t *shape, l2_dtype dt)
{
    l2_tensor *a = ar(ndim, shape, L2_FLOAT64);
    l2_tensor *r = l2_to_dtype(a, dt);
    l2_tensor_release(a);
    return r;
}

/* t (any shape, read row-major) equals want[0..n-1] and has the given shape; releases t. */
static void is_vals(l2_tensor *t, int ndim, const int64_t *shape, const double *want,
                    const char *name)
{
    int good = same_shape(t, ndim, shape);
    l2_tensor *c = good ? l2_contiguous(t) : NULL;
    l2_tensor *f = c ? l2_to_dtype(c, L2_FLOAT64) : NULL;
    int64_t n = f ? l2_numel(f) : 0, bad = -1;
    const double *p = f ? (const double *)l2_data_ptr(f) : NULL;
    for (int64_t k = 0; good && p && k < n; k++)
        if (p[k] != want[k]) {
            good = 0;
            bad = k;
        }
    if (!ok(good && f, "%s", name) && bad >= 0)
        printf("#   element %lld: got %g, want %g\n", (long long)bad, p[bad], want[bad]);
    l2_tensor_release(f);
    l2_tensor_release(c);
    l2_tensor_release(t);
}

static void test_fill(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    char nm[96];
    l2_tensor *t = arx(L2_SHAPE(3, 4), dt); /* t[i][j] = 4i + j */
    l2_tensor *ix = idx_of(L2_SHAPE(2), (const int64_t[]){-1, 0});
    snprintf(nm, sizeof nm, "index_fill dim 1, negative index (%s)", dn);
    is_vals(l2_index_fill(t, 1, ix, 1), L2_SHAPE(3, 4),
            (const double[]){1, 1, 2, 1, 1, 5, 6, 1, 1, 9, 10, 1}, nm);
    l2_tensor *tt = l2_t(t); /* tt[j][i] = 4i + j, shape (4, 3) */
    l2_tensor *i0 = l2_scalar(2, L2_INT64);
    snprintf(nm, sizeof nm, "index_fill of a transposed input, 0-d index, dim -2 (%s)", dn);
    is_vals(l2_index_fill(tt, -2, i0, 0), L2_SHAPE(4, 3),
            (const double[]){0, 4, 8, 1, 5, 9, 0, 0, 0, 3, 7, 11}, nm);
    l2_tensor *z = l2_scalar(5, dt);
    snprintf(nm, sizeof nm, "index_fill of a 0-d t (%s)", dn);
    l2_tensor *im = idx_of(L2_SHAPE(1), (const int64_t[]){-1});
    is_vals(l2_index_fill(z, 0, im, 1), 0, NULL, (const double[]){1}, nm);
    int64_t none = 0;
    l2_tensor *e = l2_empty(1, &none, L2_INT64);
    snprintf(nm, sizeof nm, "index_fill with an empty index (%s)", dn);
    is_vals(l2_index_fill(t, 0, e, 1), L2_SHAPE(3, 4),
            (const double[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, nm);
    l2_tensor *list[] = {t, ix, tt, i0, z, im, e};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_copy_add(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    char nm[96];
    bool b = dt == L2_BOOL;
    l2_tensor *t = arx(L2_SHAPE(3, 4), dt);
    l2_tensor *src = arx(L2_SHAPE(3, 2), dt); /* [[0, 1], [2, 3], [4, 5]] */
    l2_tensor *ix = idx_of(L2_SHAPE(2), (const int64_t[]){3, 1});
    snprintf(nm, sizeof nm, "index_copy along dim 1 (%s)", dn);
    if (b)
        is_vals(l2_index_copy(t, 1, ix, src), L2_SHAPE(3, 4),
                (const double[]){0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1}, nm);
    else
        is_vals(l2_index_copy(t, 1, ix, src), L2_SHAPE(3, 4),
                (const double[]){0, 1, 2, 0, 4, 3, 6, 2, 8, 5, 10, 4}, nm);
    /* A transposed source (2, 3) -> (3, 2) and repeated indices: rows add up. */
    l2_tensor *s23 = arx(L2_SHAPE(2, 3), dt), *st = l2_t(s23); /* st[i][j] = 3j + i */
    l2_tensor *rep = idx_of(L2_SHAPE(2), (const int64_t[]){2, 2});
    snprintf(nm, sizeof nm, "index_add, repeated index, transposed source, alpha 2 (%s)", dn);
    if (b)
        is_vals(l2_index_add(t, 1, rep, st, 2), L2_SHAPE(3, 4),
                (const double[]){0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, nm);
    else
        is_vals(l2_index_add(t, 1, rep, st, 2), L2_SHAPE(3, 4),
                (const double[]){0, 1, 2 + 6, 3, 4, 5, 6 + 10, 7, 8, 9, 10 + 14, 11}, nm);
    /* dim 0 with a (1, 4) source. */
    l2_tensor *row = arx(L2_SHAPE(1, 4), dt), *i1 = idx_of(L2_SHAPE(1), (const int64_t[]){2});
    snprintf(nm, sizeof nm, "index_add along dim 0, alpha -1 (%s)", dn);
    if (!b)
        is_vals(l2_index_add(t, 0, i1, row, -1), L2_SHAPE(3, 4),
                (const double[]){0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 8}, nm);
    /* 0-d t and source. */
    l2_tensor *z = l2_scalar(3, dt), *zs = l2_scalar(b ? 0 : 2, dt), *i0 = l2_scalar(0, L2_INT64);
    snprintf(nm, sizeof nm, "index_add / index_copy of 0-d tensors (%s)", dn);
    is_vals(l2_index_add(z, 0, i0, zs, 1), 0, NULL, (const double[]){b ? 1 : 5}, nm);
    is_vals(l2_index_copy(z, -1, i0, zs), 0, NULL, (const double[]){b ? 0 : 2}, nm);
    l2_tensor *list[] = {t, src, ix, s23, st, rep, row, i1, z, zs, i0};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_errors(void)
{
    l2_tensor *t = ar(L2_SHAPE(3, 4), L2_FLOAT32), *ti = ar(L2_SHAPE(3, 4), L2_INT64);
    l2_tensor *big = idx_of(L2_SHAPE(2), (const int64_t[]){0, 3});
    l2_tensor *neg = idx_of(L2_SHAPE(1), (const int64_t[]){-4});
    l2_tensor *m1 = idx_of(L2_SHAPE(1), (const int64_t[]){-1});
    l2_tensor *i2d = l2_zeros(L2_SHAPE(1, 1), L2_INT64), *fl = l2_zeros(L2_SHAPE(1), L2_FLOAT32);
    l2_tensor *one = idx_of(L2_SHAPE(1), (const int64_t[]){0});
    l2_tensor *s14 = l2_zeros(L2_SHAPE(1, 4), L2_FLOAT32), *s24 = l2_zeros(L2_SHAPE(2, 4),
                                                                           L2_FLOAT32);
    l2_tensor *s14d = l2_zeros(L2_SHAPE(1, 4), L2_FLOAT64), *s4 = l2_zeros(L2_SHAPE(4),
                                                                           L2_FLOAT32);
    is_err(l2_index_fill(t, 0, big, 1), L2_ERR_INDEX, "index 3 is out of bounds for dimension 0",
           "index_fill refuses an index = size");
    is_err(l2_index_fill(t, 0, neg, 1), L2_ERR_INDEX, "index -4", "index_fill refuses -size-1");
    is_err(l2_index_fill(t, 0, i2d, 1), L2_ERR_SHAPE, "vector", "index_fill: 2-D index");
    is_err(l2_index_fill(t, 0, fl, 1), L2_ERR_DTYPE, "int64", "index_fill: float index");
    is_err(l2_index_fill(t, 2, one, 1), L2_ERR_DIM, "", "index_fill: dim out of range");
    is_err(l2_index_fill(ti, 0, one, NAN), L2_ERR_ARG, "overflow", "index_fill: NaN into int64");
    is_err(l2_index_fill(t, 0, one, 1e300), L2_ERR_ARG, "overflow", "index_fill: 1e300 float32");
    is_err(l2_index_fill(NULL, 0, one, 1), L2_ERR_NULL, "", "index_fill: NULL t");
    is_err(l2_index_copy(t, 0, m1, s14), L2_ERR_INDEX, "index -1 is out of bounds",
           "index_copy refuses a negative index");
    is_err(l2_index_add(t, 0, big, s24, 1), L2_ERR_INDEX, "index 3 is out of bounds",
           "index_add refuses an index = size");
    is_err(l2_index_add(t, 0, one, s24, 1), L2_ERR_SHAPE, "does not match",
           "index_add: source rows != index count");
    is_err(l2_index_copy(t, 0, one, s4), L2_ERR_SHAPE, "does not match",
           "index_copy: source rank differs");
    is_err(l2_index_copy(t, 0, one, s14d), L2_ERR_DTYPE, "same scalar type",
           "index_copy: source dtype differs");
    is_err(l2_index_add(t, 0, one, s14, 1e300), L2_ERR_ARG, "overflow",
           "index_add: alpha overflows float32");
    is_err(l2_index_add(t, 0, one, NULL, 1), L2_ERR_NULL, "", "index_add: NULL source");
    is_err(l2_index_copy(t, 0, NULL, s14), L2_ERR_NULL, "", "index_copy: NULL index");
    l2_tensor *list[] = {t, ti, big, neg, m1, i2d, fl, one, s14, s24, s14d, s4};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_masked(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    char nm[96];
    bool b = dt == L2_BOOL;
    l2_tensor *t = arx(L2_SHAPE(2, 3), dt), *tt = l2_t(t); /* tt (3, 2): tt[j][i] = 3i + j */
    l2_tensor *m = l2_from_data((const bool[]){1, 0, 1}, L2_SHAPE(3), L2_BOOL);
    l2_tensor *mc = l2_from_data((const bool[]){0, 1, 1}, L2_SHAPE(3, 1), L2_BOOL);
    snprintf(nm, sizeof nm, "masked_select, mask broadcast over rows (%s)", dn);
    if (!b)
        is_vals(l2_masked_select(t, m), L2_SHAPE(4), (const double[]){0, 2, 3, 5}, nm);
    snprintf(nm, sizeof nm, "masked_select of a transposed t, column mask (%s)", dn);
    if (!b)
        is_vals(l2_masked_select(tt, mc), L2_SHAPE(4), (const double[]){1, 4, 2, 5}, nm);
    /* t (3,) broadcast against a (3, 1) mask: the result has the broadcast's true count */
    l2_tensor *row = arx(L2_SHAPE(3), dt);
    snprintf(nm, sizeof nm, "masked_select, t broadcast to the mask (%s)", dn);
    if (!b)
        is_vals(l2_masked_select(row, mc), L2_SHAPE(6), (const double[]){0, 1, 2, 0, 1, 2}, nm);
    snprintf(nm, sizeof nm, "nonzero of a transposed t (%s)", dn);
    if (!b)
        is_vals(l2_nonzero(tt), L2_SHAPE(5, 2),
                (const double[]){0, 1, 1, 0, 1, 1, 2, 0, 2, 1}, nm);
    l2_tensor *z0 = l2_scalar(0, dt), *z1 = l2_scalar(1, dt);
    l2_tensor *r = l2_nonzero(z0);
    ok(same_shape(r, L2_SHAPE(0, 0)) && l2_dtype_of(r) == L2_INT64, "nonzero of 0-d 0 (%s)", dn);
    l2_tensor_release(r);
    r = l2_nonzero(z1);
    ok(same_shape(r, L2_SHAPE(1, 0)), "nonzero of 0-d 1 (%s)", dn);
    l2_tensor_release(r);
    /* masked_scatter: source (2, 3) read row-major into the true positions */
    l2_tensor *src = arx(L2_SHAPE(2, 3), dt);
    l2_tensor *t10 = l2_add_scalar(t, 10);
    snprintf(nm, sizeof nm, "masked_scatter, mask broadcast over rows (%s)", dn);
    if (!b)
        is_vals(l2_masked_scatter(t10, m, src), L2_SHAPE(2, 3),
                (const double[]){0, 11, 1, 2, 14, 3}, nm);
    snprintf(nm, sizeof nm, "masked_scatter, t (3,) broadcast to a (3, 1) mask (%s)", dn);
    if (!b)
        is_vals(l2_masked_scatter(row, mc, src), L2_SHAPE(3, 3),
                (const double[]){0, 1, 2, 0, 1, 2, 3, 4, 5}, nm);
    l2_tensor *list[] = {t, tt, m, mc, row, z0, z1, src, t10};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_masked_errors(void)
{
    l2_tensor *t = ar(L2_SHAPE(2, 3), L2_FLOAT32), *mi = l2_ones(L2_SHAPE(3), L2_INT64);
    l2_tensor *m4 = l2_ones(L2_SHAPE(4), L2_BOOL), *m = l2_ones(L2_SHAPE(3), L2_BOOL);
    l2_tensor *s5 = l2_zeros(L2_SHAPE(5), L2_FLOAT32), *sd = l2_zeros(L2_SHAPE(6), L2_FLOAT64);
    is_err(l2_masked_select(t, mi), L2_ERR_DTYPE, "Bool", "masked_select: int64 mask");
    is_err(l2_masked_select(t, m4), L2_ERR_SHAPE, "broadcast", "masked_select: shapes");
    is_err(l2_masked_select(NULL, m), L2_ERR_NULL, "", "masked_select: NULL t");
    is_err(l2_nonzero(NULL), L2_ERR_NULL, "", "nonzero: NULL t");
    is_err(l2_masked_scatter(t, m, s5), L2_ERR_SHAPE, "number of ones",
           "masked_scatter: source too small");
    is_err(l2_masked_scatter(t, m, sd), L2_ERR_DTYPE, "same dtypes",
           "masked_scatter: source dtype");
    is_err(l2_masked_scatter(t, m4, s5), L2_ERR_SHAPE, "broadcast", "masked_scatter: shapes");
    is_err(l2_masked_scatter(t, m, NULL), L2_ERR_NULL, "", "masked_scatter: NULL source");
    l2_tensor *list[] = {t, mi, m4, m, s5, sd};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static l2_tensor *f_msel(l2_tensor *const *in, void *ctx)
{
    l2_tensor *x = l2_t(in[0]); /* (4, 3) read transposed */
    l2_tensor *r = x ? l2_masked_select(x, (const l2_tensor *)ctx) : NULL;
    l2_tensor_release(x);
    return r;
}

static l2_tensor *f_mscat(l2_tensor *const *in, void *ctx)
{
    return l2_masked_scatter(in[0], (const l2_tensor *)ctx, in[1]);
}

static void test_masked_grads(void)
{
    l2_manual_seed(13);
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 4), -1, 1), *s = gc_leaf(L2_SHAPE(2, 5), -1, 1);
    l2_tensor *mk = l2_from_data((const bool[]){1, 0, 1, 0, 1, 1}, L2_SHAPE(2, 1, 3), L2_BOOL);
    l2_tensor *xs[2] = {x, s};
    /* the (4, 3) view broadcast against a (2, 1, 3) mask: gradients summed over the copies */
    ok(gradcheck("masked_select", f_msel, 1, &x, mk), "gradcheck: masked_select, broadcast");
    l2_tensor *mk2 = l2_from_data((const bool[]){1, 0, 0, 1}, L2_SHAPE(4), L2_BOOL);
    ok(gradcheck("masked_scatter", f_mscat, 2, xs, mk2), "gradcheck: masked_scatter (both)");
    oom_check("masked_select", f_msel, 1, &x, mk);
    oom_check("masked_scatter", f_mscat, 2, xs, mk2);
    l2_tensor *list[] = {x, s, mk, mk2};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static const int64_t rows3[] = {2, 0, 2};

static l2_tensor *f_fill(l2_tensor *const *in, void *ctx)
{
    return l2_index_fill(in[0], 1, (const l2_tensor *)ctx, 0.5);
}

static l2_tensor *f_copy(l2_tensor *const *in, void *ctx)
{
    return l2_index_copy(in[0], 1, (const l2_tensor *)ctx, in[1]);
}

static l2_tensor *f_add(l2_tensor *const *in, void *ctx)
{
    l2_tensor *x = l2_t(in[1]); /* source read through a transpose */
    l2_tensor *r = x ? l2_index_add(in[0], 1, (const l2_tensor *)ctx, x, -1.5) : NULL;
    l2_tensor_release(x);
    return r;
}

static void test_grads(void)
{
    l2_manual_seed(12);
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 4), -1, 1);
    l2_tensor *s = gc_leaf(L2_SHAPE(3, 3), -1, 1), *sT = gc_leaf(L2_SHAPE(3, 3), -1, 1);
    l2_tensor *ix = idx_of(L2_SHAPE(3), rows3), *iu = idx_of(L2_SHAPE(3), (int64_t[]){3, 0, 1});
    l2_tensor *xs[2] = {x, s}, *xt[2] = {x, sT};
    ok(gradcheck("index_fill", f_fill, 1, &x, ix), "gradcheck: index_fill, repeated index");
    ok(gradcheck("index_copy", f_copy, 2, xs, iu), "gradcheck: index_copy (both operands)");
    ok(gradcheck("index_add", f_add, 2, xt, ix), "gradcheck: index_add, repeated, alpha -1.5");
    l2_tensor *r = l2_index_add(x, 1, ix, s, 2);
    is_str(l2_grad_fn_name(r), "index_add", "grad_fn of index_add");
    l2_tensor_release(r);
    oom_check("index_fill", f_fill, 1, &x, ix);
    oom_check("index_copy", f_copy, 2, xs, iu);
    oom_check("index_add", f_add, 2, xt, ix);
    l2_tensor *list[] = {x, s, sT, ix, iu};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

int main(void)
{
    const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    for (int k = 0; k < 4; k++) {
        if (dts[k] != L2_BOOL)
            test_fill(dts[k]);
        test_copy_add(dts[k]);
        test_masked(dts[k]);
    }
    test_masked_errors();
    test_masked_grads();
    test_errors();
    test_grads();
    return tap_done();
}
