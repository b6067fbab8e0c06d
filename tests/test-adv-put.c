/* test-adv-put.c: l2_index_put and l2_index_put_ (libl2/ops/index-put.c): hand-checked values
 * (duplicates: the last wins or they add up; separated advanced dims, masks, broadcast values,
 * empty indices, no index tensor), every dtype, every error code, finite-difference gradients
 * of self and values, the in-place rules (leaf, version bump, all or nothing under allocation
 * failures) and an out-of-memory sweep. */
#include <l2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"
#include "adv-util.h"

static int equals(const l2_tensor *t, const double *v, int n)
{
    if (!t || l2_numel(t) != n || l2_dtype_of(t) != L2_FLOAT64 || !l2_is_contiguous(t))
        return 0;
    return memcmp(l2_data_ptr(t), v, sizeof(double) * (size_t)n) == 0;
}

static void test_values(l2_dtype dt)
{
    char nm[128];
    const char *dn = l2_dtype_name(dt);
    l2_tensor *a = ar(L2_SHAPE(3, 4), L2_FLOAT64); /* x[i][j] = 4i + j */
    l2_tensor *x = l2_to_dtype(a, dt);
    l2_tensor *a2 = ar(L2_SHAPE(3, 4), L2_FLOAT64);
    l2_tensor *va = l2_add_scalar(a2, 100);
    l2_tensor *v = l2_to_dtype(va, dt);
    l2_tensor *i = ix(L2_SHAPE(3), (const int64_t[]){0, 2, -3}); /* row 0 twice */
    double w[64];
#define V(q) ((dt) == L2_BOOL ? ((q) != 0) : (q))
    /* x[i] = v: row 0 takes v's last row (the last duplicate), row 2 v's row 1 */
    for (int k = 0; k < 12; k++)
        w[k] = V(k < 4 ? 108 + k : k < 8 ? k : 104 + k - 8);
    snprintf(nm, sizeof nm, "x[i] = v, repeated index: the last wins (%s)", dn);
    is_vals(l2_index_put(x, 1, (const l2_tensor *[]){i}, v, false), L2_SHAPE(3, 4), w, nm);
    /* x[i] += v: row 0 gets rows 0 and 2 of v */
    for (int k = 0; k < 12; k++) {
        int r = k / 4, c = k % 4;
        w[k] = r == 0 ? V(V(c) + V(100 + c) + V(108 + c)) : r == 2 ? V(V(8 + c) + V(104 + c))
                                                                   : V(k);
        if (dt == L2_BOOL)
            w[k] = 1;
    }
    snprintf(nm, sizeof nm, "x[i] += v, repeated index adds up (%s)", dn);
    is_vals(l2_index_put(x, 1, (const l2_tensor *[]){i}, v, true), L2_SHAPE(3, 4), w, nm);
    /* x[:, j] = 0-d value, j = [-1, 1] */
    l2_tensor *j = ix(L2_SHAPE(2), (const int64_t[]){-1, 1});
    l2_tensor *s = l2_scalar(7, dt);
    for (int k = 0; k < 12; k++)
        w[k] = k % 4 == 3 || k % 4 == 1 ? V(7) : V(k);
    snprintf(nm, sizeof nm, "x[:, j] = scalar (%s)", dn);
    is_vals(l2_index_put(x, 2, (const l2_tensor *[]){NULL, j}, s, false), L2_SHAPE(3, 4), w, nm);
    /* x[mask] = s with a (3, 4) mask: the even elements */
    l2_tensor *ma = l2_zeros(L2_SHAPE(3, 4), L2_BOOL);
    for (int k = 0; k < 12; k += 2)
        l2_set(ma, (const int64_t[]){k / 4, k % 4}, 1);
    for (int k = 0; k < 12; k++)
        w[k] = k % 2 ? V(k) : V(7);
    snprintf(nm, sizeof nm, "x[mask] = scalar (%s)", dn);
    is_vals(l2_index_put(x, 1, (const l2_tensor *[]){ma}, s, false), L2_SHAPE(3, 4), w, nm);
    /* an empty index changes nothing */
    l2_tensor *e = l2_zeros(L2_SHAPE(0), L2_INT64);
    for (int k = 0; k < 12; k++)
        w[k] = V(k);
    snprintf(nm, sizeof nm, "x[empty] = scalar (%s)", dn);
    is_vals(l2_index_put(x, 1, (const l2_tensor *[]){e}, s, true), L2_SHAPE(3, 4), w, nm);
    /* no index tensor: every element; a (4,) row broadcast */
    l2_tensor *row = l2_narrow(v, 0, 1, 1), *row1 = l2_reshape(row, 1, (const int64_t[]){4});
    for (int k = 0; k < 12; k++)
        w[k] = V(104 + k % 4);
    snprintf(nm, sizeof nm, "x[:] = row (%s)", dn);
    is_vals(l2_index_put(x, 1, (const l2_tensor *[]){NULL}, row1, false), L2_SHAPE(3, 4), w, nm);
    /* separated dims: y (2, 3, 4), y[p, :, q] = u (2, 3) with p = [0, 1], q = [1, 2] */
    l2_tensor *y = l2_zeros(L2_SHAPE(2, 3, 4), dt);
    l2_tensor *ua = ar(L2_SHAPE(2, 3), L2_FLOAT64), *u = l2_to_dtype(ua, dt);
    l2_tensor *p = ix(L2_SHAPE(2), (const int64_t[]){0, 1});
    l2_tensor *q = ix(L2_SHAPE(2), (const int64_t[]){1, 2});
    memset(w, 0, sizeof w);
    for (int b = 0; b < 2; b++)
        for (int c = 0; c < 3; c++)
            w[12 * b + 4 * c + 1 + b] = V(3 * b + c);
    snprintf(nm, sizeof nm, "y[p, :, q] = u, separated dims (%s)", dn);
    is_vals(l2_index_put(y, 3, (const l2_tensor *[]){p, NULL, q}, u, false),
            L2_SHAPE(2, 3, 4), w, nm);
#undef V
    l2_tensor *all[] = {a, a2, x, va, v, i, j, s, ma, e, row, row1, y, ua, u, p, q};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
}

static void test_errors(void)
{
    l2_tensor *x = ar(L2_SHAPE(2, 3), L2_FLOAT32);
    l2_tensor *v = l2_scalar(1, L2_FLOAT32), *vd = l2_scalar(1, L2_FLOAT64);
    l2_tensor *vi = l2_scalar(1, L2_INT64), *v23 = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT32);
    l2_tensor *v123 = l2_zeros(L2_SHAPE(1, 1, 3), L2_FLOAT32);
    l2_tensor *i0 = ix(L2_SHAPE(1), (const int64_t[]){0}), *big = ix(L2_SHAPE(1), (int64_t[]){2});
    l2_tensor *i32 = l2_zeros(L2_SHAPE(1), L2_FLOAT32);
    const l2_tensor *one[] = {i0};
    is_err(l2_index_put(NULL, 1, one, v, false), L2_ERR_NULL, "NULL", "NULL self");
    is_err(l2_index_put(x, 1, one, NULL, false), L2_ERR_NULL, "values", "NULL values");
    is_err(l2_index_put(x, 1, NULL, v, false), L2_ERR_NULL, "indices", "NULL indices");
    is_err(l2_index_put(x, -1, one, v, false), L2_ERR_ARG, "n must", "n < 0");
    is_err(l2_index_put(x, 1, one, vd, false), L2_ERR_DTYPE, "dtypes match", "float64 values");
    is_err(l2_index_put(x, 1, one, vi, true), L2_ERR_DTYPE, "dtypes match", "int64 values");
    is_err(l2_index_put(x, 1, (const l2_tensor *[]){i32}, v, false), L2_ERR_DTYPE,
           "long or bool", "float32 index");
    is_err(l2_index_put(x, 1, (const l2_tensor *[]){big}, v, false), L2_ERR_INDEX,
           "out of bounds", "index out of range");
    is_err(l2_index_put(x, 3, (const l2_tensor *[]){i0, i0, i0}, v, false), L2_ERR_INDEX,
           "too many", "too many indices");
    is_err(l2_index_put(x, 1, one, v23, false), L2_ERR_SHAPE, "cannot be broadcast",
           "values of the wrong shape");
    is_err(l2_index_put(x, 1, one, v123, false), L2_ERR_SHAPE, "cannot be broadcast",
           "values with an extra leading dim");
    is_vals(l2_index_put(x, 0, NULL, v, false), L2_SHAPE(2, 3), (const double[]){1, 1, 1, 1, 1, 1},
            "n == 0: every element is put");
    /* in place: the same errors, and x unchanged */
    ok(l2_index_put_(x, 1, one, vd, false) == L2_ERR_DTYPE && l2_last_error()[0],
       "index_put_: float64 values refused");
    ok(l2_index_put_(NULL, 1, one, v, false) == L2_ERR_NULL, "index_put_: NULL self");
    ok(l2_index_put_(x, 1, (const l2_tensor *[]){big}, v, false) == L2_ERR_INDEX,
       "index_put_: index out of range");
    l2_tensor *ex = l2_expand(v, 2, (const int64_t[]){2, 3});
    ok(l2_index_put_(ex, 1, one, v, false) == L2_ERR_ARG, "index_put_: expanded self refused");
    double w[6] = {0, 1, 2, 3, 4, 5};
    l2_tensor *f = l2_reshape(x, 1, (const int64_t[]){6});
    ok(f && holds(f, 6, w), "failed calls left x unchanged");
    l2_tensor *all[] = {x, v, vd, vi, v23, v123, i0, big, i32, ex, f};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        l2_tensor_release(all[k]);
}

typedef struct {
    const l2_tensor *const *ind;
    int n;
    bool acc;
} put_ctx;

static l2_tensor *f_put(l2_tensor *const *in, void *ctx)
{
    const put_ctx *c = ctx;
    return l2_index_put(in[0], c->n, c->ind, in[1], c->acc);
}

/* The in-place form on a non-leaf copy of in[0]. */
static l2_tensor *f_put_(l2_tensor *const *in, void *ctx)
{
    const put_ctx *c = ctx;
    l2_tensor *y = l2_mul_scalar(in[0], 1);
    if (y && l2_index_put_(y, c->n, c->ind, in[1], c->acc) != L2_OK) {
        l2_tensor_release(y);
        return NULL;
    }
    return y;
}

static void test_grads(void)
{
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 2, 4), -1, 1);
    l2_tensor *u = gc_leaf(L2_SHAPE(3, 1), -1, 1); /* broadcast over the (3, 2) result */
    l2_tensor *i = ix(L2_SHAPE(3), (const int64_t[]){0, -1, 0}); /* repeated */
    l2_tensor *k = ix(L2_SHAPE(3), (const int64_t[]){3, 1, 2});
    l2_tensor *ku = ix(L2_SHAPE(3), (const int64_t[]){3, 1, 3});
    const l2_tensor *sep[] = {i, NULL, k}, *sepu[] = {i, NULL, ku};
    l2_tensor *in[] = {x, u};
    put_ctx acc = {sepu, 3, true}, cp = {sep, 3, false};
    gradcheck("index_put accumulate gradient, separated dims, repeated", f_put, 2, in, &acc);
    gradcheck("index_put gradient, separated dims", f_put, 2, in, &cp);
    gradcheck("index_put_ accumulate gradient, repeated", f_put_, 2, in, &acc);
    gradcheck("index_put_ gradient", f_put_, 2, in, &cp);
    /* the values gradient with repeats (no accumulate): dy gathered at every position, also at
     * the ones whose value lost (torch's rule), so each of u's rows gets its two cells */
    l2_set_grad_none(u);
    l2_tensor *r = l2_index_put(x, 3, sepu, u, false);
    l2_tensor *g = r ? l2_ones_like(r) : NULL;
    ok(g && l2_backward(r, g, false) == L2_OK, "backward runs");
    l2_tensor *gu = l2_grad(u) ? l2_reshape(l2_grad(u), 1, (const int64_t[]){3}) : NULL;
    ok(gu && holds(gu, 3, (const double[]){2, 2, 2}), "dvalues counts every repeated position");
    l2_tensor_release(gu);
    l2_tensor_release(g);
    l2_tensor_release(r);
    oom_check("index_put", f_put, 2, in, &cp);
    oom_check("index_put_", f_put_, 2, in, &acc);
    const l2_tensor *one[] = {i};
    /* in-place autograd rules */
    ok(l2_index_put_(x, 1, one, u, false) == L2_ERR_AUTOGRAD && l2_last_error()[0],
       "index_put_ on a leaf that requires grad is refused");
    l2_tensor *y = l2_mul_scalar(x, 2), *z = l2_mul(y, y), *s = l2_sum(z);
    l2_tensor *c = l2_scalar(0, L2_FLOAT64);
    ok(l2_index_put_(y, 1, one, c, false) == L2_OK, "index_put_ on a non-leaf");
    ok(l2_backward(s, NULL, false) == L2_ERR_AUTOGRAD,
       "the version bump stops a backward that saved the old value");
    l2_tensor *all[] = {x, u, i, k, ku, y, z, s, c};
    for (size_t q = 0; q < sizeof all / sizeof all[0]; q++)
        l2_tensor_release(all[q]);
}

/* For N = 0, 1, ...: index_put_ on a non-leaf y with allocation N failing changes nothing
 * (values, grad_fn) until it succeeds. */
static void test_all_or_nothing(void)
{
    int runs = 0, bad = 0, done = 0;
    for (int64_t n = 0; n < 1000 && !done; n++) {
        l2_tensor *p = ar(L2_SHAPE(2, 3), L2_FLOAT64);
        l2_set_requires_grad(p, true);
        l2_tensor *y = l2_mul_scalar(p, 1);
        l2_tensor *mk = l2_zeros(L2_SHAPE(2, 3), L2_BOOL);
        l2_set(mk, (const int64_t[]){1, 2}, 1);
        l2_tensor *v = l2_scalar(9, L2_FLOAT64);
        l2_set_requires_grad(v, true);
        double before[6];
        memcpy(before, l2_data_ptr(y), sizeof before);
        char fn[64];
        snprintf(fn, sizeof fn, "%s", l2_grad_fn_name(y));
        l2_debug_fail_alloc_after(n);
        l2_status st = l2_index_put_(y, 1, (const l2_tensor *[]){mk}, v, true);
        l2_debug_fail_alloc_after(-1);
        runs++;
        if (st == L2_OK) {
            before[5] += 9;
            done = equals(y, before, 6) && strcmp(l2_grad_fn_name(y), fn) != 0;
            bad += !done;
        } else {
            int same = st == L2_ERR_NOMEM && l2_last_error()[0] && equals(y, before, 6) &&
                       strcmp(l2_grad_fn_name(y), fn) == 0;
            if (!same && !bad)
                tap_diag("N = %lld: %s, grad_fn %s", (long long)n, l2_last_error(),
                         l2_grad_fn_name(y));
            bad += !same;
        }
        l2_tensor *all[] = {p, y, mk, v};
        for (int i = 0; i < 4; i++)
            l2_tensor_release(all[i]);
    }
    ok(done && bad == 0, "index_put_ under allocation failures: %d runs, %d changed something",
       runs, bad);
}

int main(void)
{
    const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    for (int k = 0; k < 4; k++)
        test_values(dts[k]);
    test_errors();
    test_grads();
    test_all_or_nothing();
    return tap_done();
}
