/* test-index2.c: take and take_along_dim (libl2/ops/index2.c): hand-checked values on
 * contiguous, transposed and 0-d inputs in float32, float64, int64 and bool, negative and
 * repeated indices, broadcasting, empty tensors, the error paths (torch 1.13's messages), finite-
 * difference gradients and an out-of-memory sweep. */
#include <l2.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static l2_tensor *idx_of(int ndim, const int64_t *shape, const int64_t *v)
{
    return l2_from_data(v, ndim, shape, L2_INT64);
}

static void test_take(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    l2_tensor *t = ar(L2_SHAPE(3, 4), dt); /* t[i][j] = 4i + j */
    l2_tensor *ix = idx_of(L2_SHAPE(2, 2), (const int64_t[]){11, -1, 0, -12});
    l2_tensor *r = l2_take(t, ix);
    ok(same_shape(r, L2_SHAPE(2, 2)) && at(r, (const int64_t[]){0, 0}) == 11 &&
           at(r, (const int64_t[]){0, 1}) == 11 && at(r, (const int64_t[]){1, 0}) == 0 &&
           at(r, (const int64_t[]){1, 1}) == 0 && l2_dtype_of(r) == dt,
       "take: 2-D index, negative and repeated entries (%s)", dn);
    l2_tensor_release(r);
    /* A transposed input is read in its own row-major order: tt[j][i] = 4i + j. */
    l2_tensor *tt = l2_t(t);
    l2_tensor *i1 = idx_of(L2_SHAPE(3), (const int64_t[]){1, 3, 5});
    r = l2_take(tt, i1);
    ok(r && at(r, (const int64_t[]){0}) == 4 && at(r, (const int64_t[]){1}) == 1 &&
           at(r, (const int64_t[]){2}) == 9,
       "take of a transposed input (%s)", dn);
    l2_tensor_release(r);
    /* A 0-d index gives a 0-d result; a 0-d t takes index 0 and -1. */
    l2_tensor *s0 = l2_scalar(-2, L2_INT64);
    r = l2_take(t, s0);
    ok(r && l2_ndim(r) == 0 && at(r, NULL) == 10, "take with a 0-d index (%s)", dn);
    l2_tensor_release(r);
    l2_tensor *z = l2_scalar(5, dt), *zi = idx_of(L2_SHAPE(2), (const int64_t[]){0, -1});
    r = l2_take(z, zi);
    ok(same_shape(r, L2_SHAPE(2)) && at(r, (const int64_t[]){1}) == 5, "take of a 0-d t (%s)",
       dn);
    l2_tensor_release(r);
    /* Empty index: empty result, also from an empty t. */
    int64_t none = 0;
    l2_tensor *e = l2_empty(1, &none, L2_INT64), *et = l2_empty(1, &none, dt);
    r = l2_take(et, e);
    ok(same_shape(r, L2_SHAPE(0)), "take: empty index into an empty t (%s)", dn);
    l2_tensor_release(r);
    l2_tensor *list[] = {t, ix, tt, i1, s0, z, zi, e, et};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_take_along_dim(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    l2_tensor *t = ar(L2_SHAPE(3, 4), dt); /* t[i][j] = 4i + j */
    /* indices (3, 1) along dim 1: one column per row. */
    l2_tensor *ix = idx_of(L2_SHAPE(3, 1), (const int64_t[]){3, 0, 2});
    l2_tensor *r = l2_take_along_dim(t, ix, 1);
    ok(same_shape(r, L2_SHAPE(3, 1)) && at(r, (const int64_t[]){0, 0}) == 3 &&
           at(r, (const int64_t[]){1, 0}) == 4 && at(r, (const int64_t[]){2, 0}) == 10,
       "take_along_dim: one column per row (%s)", dn);
    l2_tensor_release(r);
    /* indices (1, 2) along dim 0 broadcast over the 4 columns: (2, 4). */
    l2_tensor *ib = idx_of(L2_SHAPE(1, 2), (const int64_t[]){2, 0});
    l2_tensor *ibt = l2_t(ib); /* (2, 1) */
    r = l2_take_along_dim(t, ibt, -2);
    int good = same_shape(r, L2_SHAPE(2, 4));
    for (int64_t j = 0; good && j < 4; j++)
        good = at(r, (const int64_t[]){0, j}) == 8 + j && at(r, (const int64_t[]){1, j}) == j;
    ok(good, "take_along_dim: indices broadcast over the other dim, dim -2 (%s)", dn);
    l2_tensor_release(r);
    /* t broadcast: t (1, 4) with indices (3, 2) along dim 1. */
    l2_tensor *row = l2_slice(t, 0, 1, 2, 1); /* [[4, 5, 6, 7]] */
    l2_tensor *i32 = idx_of(L2_SHAPE(3, 2), (const int64_t[]){0, 3, 1, 1, 2, 0});
    r = l2_take_along_dim(row, i32, 1);
    ok(same_shape(r, L2_SHAPE(3, 2)) && at(r, (const int64_t[]){0, 1}) == 7 &&
           at(r, (const int64_t[]){2, 0}) == 6,
       "take_along_dim: t broadcast over the indices' rows (%s)", dn);
    l2_tensor_release(r);
    l2_tensor *list[] = {t, ix, ib, ibt, row, i32};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_errors(void)
{
    l2_tensor *t = ar(L2_SHAPE(3, 4), L2_FLOAT32);
    l2_tensor *big = idx_of(L2_SHAPE(2), (const int64_t[]){0, 12});
    l2_tensor *neg = idx_of(L2_SHAPE(1), (const int64_t[]){-13});
    l2_tensor *fl = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
    int64_t none = 0;
    l2_tensor *et = l2_empty(1, &none, L2_FLOAT32), *one = idx_of(L2_SHAPE(1), (int64_t[]){0});
    is_err(l2_take(t, big), L2_ERR_INDEX, "tried to access index 12 on a tensor of 12",
           "take refuses index numel");
    is_err(l2_take(t, neg), L2_ERR_INDEX, "index -13", "take refuses -numel - 1");
    is_err(l2_take(t, fl), L2_ERR_DTYPE, "Expected a long tensor for index", "take: float index");
    is_err(l2_take(et, one), L2_ERR_INDEX, "empty tensor", "take from an empty tensor");
    is_err(l2_take(NULL, one), L2_ERR_NULL, "", "take: NULL t");
    is_err(l2_take(t, NULL), L2_ERR_NULL, "", "take: NULL index");
    l2_tensor *i31 = idx_of(L2_SHAPE(3, 1), (const int64_t[]){0, 4, 1});
    l2_tensor *i21 = idx_of(L2_SHAPE(3, 1), (const int64_t[]){0, -1, 1});
    l2_tensor *i51 = l2_zeros(L2_SHAPE(5, 1), L2_INT64);
    is_err(l2_take_along_dim(t, i31, 1), L2_ERR_INDEX, "index 4 is out of bounds",
           "take_along_dim refuses an index >= size");
    is_err(l2_take_along_dim(t, i21, 1), L2_ERR_INDEX, "index -1 is out of bounds",
           "take_along_dim refuses a negative index (as gather)");
    is_err(l2_take_along_dim(t, i51, 1), L2_ERR_SHAPE, "must match the size of tensor b (5)",
           "take_along_dim: shapes that do not broadcast");
    is_err(l2_take_along_dim(t, one, 0), L2_ERR_SHAPE, "same number of dimensions",
           "take_along_dim: ranks differ");
    is_err(l2_take_along_dim(t, i31, 2), L2_ERR_DIM, "", "take_along_dim: dim out of range");
    l2_tensor *fl2 = l2_zeros(L2_SHAPE(3, 1), L2_FLOAT32);
    is_err(l2_take_along_dim(t, fl2, 1), L2_ERR_DTYPE, "dtype of indices should be Long",
           "take_along_dim: float indices");
    l2_tensor *s = l2_scalar(1, L2_FLOAT32), *s0 = l2_scalar(0, L2_INT64);
    is_err(l2_take_along_dim(s, s0, 0), L2_ERR_DIM, "no dimensions", "take_along_dim of a 0-d t");
    is_err(l2_take_along_dim(NULL, i31, 1), L2_ERR_NULL, "", "take_along_dim: NULL t");
    l2_tensor *list[] = {t, big, neg, fl, et, one, i31, i21, i51, fl2, s, s0};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static l2_tensor *f_take(l2_tensor *const *in, void *ctx)
{
    return l2_take(in[0], (const l2_tensor *)ctx);
}

static l2_tensor *f_take_t(l2_tensor *const *in, void *ctx)
{
    l2_tensor *x = l2_t(in[0]);
    l2_tensor *r = x ? l2_take(x, (const l2_tensor *)ctx) : NULL;
    l2_tensor_release(x);
    return r;
}

static l2_tensor *f_tad(l2_tensor *const *in, void *ctx)
{
    return l2_take_along_dim(in[0], (const l2_tensor *)ctx, 1);
}

static void test_grads(void)
{
    l2_manual_seed(11);
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 4), -1, 1);
    /* Repeated (also through negative) indices: the gradient must accumulate. */
    l2_tensor *ix = idx_of(L2_SHAPE(2, 3), (const int64_t[]){5, -7, 0, 11, 2, 5});
    ok(gradcheck("take", f_take, 1, &x, ix), "gradcheck: take, repeated indices");
    ok(gradcheck("take", f_take_t, 1, &x, ix), "gradcheck: take of a transposed input");
    l2_tensor *r = l2_take(x, ix);
    is_str(l2_grad_fn_name(r), "take", "grad_fn of take");
    l2_tensor_release(r);
    l2_tensor *ia = idx_of(L2_SHAPE(1, 3), (const int64_t[]){3, 3, 1});
    ok(gradcheck("take_along_dim", f_tad, 1, &x, ia), "gradcheck: take_along_dim, broadcast");
    r = l2_take_along_dim(x, ia, 1);
    is_str(l2_grad_fn_name(r), "gather", "grad_fn of take_along_dim is gather's (as torch)");
    l2_tensor_release(r);
    oom_check("take", f_take, 1, &x, ix);
    oom_check("take_along_dim", f_tad, 1, &x, ia);
    l2_tensor_release(x);
    l2_tensor_release(ix);
    l2_tensor_release(ia);
}

int main(void)
{
    const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64};
    for (int k = 0; k < 3; k++) {
        test_take(dts[k]);
        test_take_along_dim(dts[k]);
    }
    test_errors();
    test_grads();
    return tap_done();
}
