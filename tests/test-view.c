/* test-view.c: views (slice, select, narrow, index strings, permute, expand, view/reshape,
 * squeeze/unsqueeze, flatten/unflatten, as_strided), copies (contiguous, clone, cat, stack,
 * copy_, to_dtype), broadcasting, and the gradients of all of them (finite differences). */
#include <l2.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static void check_shape(const l2_tensor *t, int ndim, const int64_t *shape, const char *name)
{
    int good = t && l2_ndim(t) == ndim;
    for (int i = 0; good && i < ndim; i++)
        good = l2_shape(t)[i] == shape[i];
    ok(good, "%s: shape", name);
}

static void test_slice(void)
{
    l2_tensor *a = ar(L2_SHAPE(10), L2_FLOAT64);
    struct {
        int64_t start, stop, step, len, first;
    } cases[] = {
        {0, INT64_MAX, 1, 10, 0}, {2, 8, 3, 2, 2},   {-3, INT64_MAX, 1, 3, 7},
        {-100, 3, 1, 3, 0},       {5, 100, 2, 3, 5}, {7, 2, 1, 0, -1},
        {-1, -5, 1, 0, -1},       {0, -1, 4, 3, 0},  {10, 20, 1, 0, -1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        l2_tensor *s = l2_slice(a, 0, cases[k].start, cases[k].stop, cases[k].step);
        ok(s && l2_numel(s) == cases[k].len, "slice [%lld:%lld:%lld] has %lld elements",
           (long long)cases[k].start, (long long)cases[k].stop, (long long)cases[k].step,
           (long long)cases[k].len);
        if (cases[k].len > 0)
            is_near(at(s, (const int64_t[]){0}), (double)cases[k].first, 0, "slice first");
        l2_tensor_release(s);
    }
    ok(!l2_slice(a, 0, 0, 5, 0) && l2_last_status() == L2_ERR_ARG, "step 0 refused");
    ok(!l2_slice(a, 0, 0, 5, -1) && l2_last_status() == L2_ERR_ARG, "negative step refused");
    ok(!l2_slice(a, 1, 0, 5, 1) && l2_last_status() == L2_ERR_DIM, "slice bad dim");
    ok(strstr(l2_last_error(), "dim 1 out of range for tensor of rank 1") != NULL, "message: %s",
       l2_last_error());
    l2_tensor_release(a);

    /* Writes through a view show in the base. */
    l2_tensor *b = ar(L2_SHAPE(3, 4), L2_FLOAT64);
    l2_tensor *v = l2_slice(b, 1, 1, INT64_MAX, 2); /* columns 1, 3 */
    l2_set(v, (const int64_t[]){2, 1}, -1);
    is_near(at(b, (const int64_t[]){2, 3}), -1, 0, "write through a slice view");
    ok(l2_shares_storage(b, v), "view shares storage");
    l2_tensor *sel = l2_select(b, 0, -1);
    is_near(at(sel, (const int64_t[]){0}), 8, 0, "select -1 is the last row");
    l2_tensor *nar = l2_narrow(b, 1, 1, 2);
    is_near(at(nar, (const int64_t[]){1, 1}), 6, 0, "narrow");
    ok(!l2_narrow(b, 1, 3, 2) && l2_last_status() == L2_ERR_INDEX, "narrow past the end");
    ok(!l2_select(b, 0, 3) && l2_last_status() == L2_ERR_INDEX, "select out of range");
    l2_tensor_release(nar);
    l2_tensor_release(sel);
    l2_tensor_release(v);
    l2_tensor_release(b);
}

/* A size-1 dim with an unusual stride must not split a contiguous run (found by the oracle). */
static void test_view_size1_stride(void)
{
    l2_tensor *a = ar(L2_SHAPE(12), L2_FLOAT64);
    l2_tensor *s = l2_as_strided(a, L2_SHAPE(2, 1, 3), (const int64_t[]){3, 100 % 12, 1}, 0);
    l2_tensor *v = l2_view(s, L2_SHAPE(6));
    int good = v != NULL;
    for (int64_t i = 0; good && i < 6; i++)
        good = at(v, &i) == (double)i;
    ok(good, "view across a size-1 dim with an odd stride reads elements in order");
    l2_tensor *u = l2_unsqueeze(s, 2);
    l2_tensor *f = u ? l2_flatten(u, 0, -1) : NULL;
    good = f && l2_numel(f) == 6;
    for (int64_t i = 0; good && i < 6; i++)
        good = at(f, &i) == (double)i;
    ok(good, "flatten after unsqueeze of the same");
    l2_tensor *tt[] = {a, s, v, u, f};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

static void test_index_string(void)
{
    l2_tensor *a = ar(L2_SHAPE(4, 5, 6), L2_FLOAT64);
    l2_tensor *r = l2_index(a, "1:3, ::2, -1");
    check_shape(r, L2_SHAPE(2, 3), "index '1:3, ::2, -1'");
    is_near(at(r, (const int64_t[]){1, 2}), 2 * 30 + 4 * 6 + 5, 0, "index value");
    l2_tensor_release(r);
    r = l2_index(a, "..., None, 2");
    check_shape(r, L2_SHAPE(4, 5, 1), "index '..., None, 2'");
    is_near(at(r, (const int64_t[]){3, 4, 0}), 3 * 30 + 4 * 6 + 2, 0, "ellipsis value");
    l2_tensor_release(r);
    r = l2_index(a, "-2:, :");
    check_shape(r, L2_SHAPE(2, 5, 6), "index '-2:, :'");
    l2_tensor_release(r);
    ok(!l2_index(a, "1, 2, 3, 4") && l2_last_status() == L2_ERR_INDEX, "too many indices");
    ok(!l2_index(a, "1:x") && l2_last_status() == L2_ERR_ARG, "bad item: %s", l2_last_error());
    ok(!l2_index(a, "..., ...") && l2_last_status() == L2_ERR_ARG, "two ellipses");
    l2_tensor_release(a);
}

static void test_shapes(void)
{
    l2_tensor *a = ar(L2_SHAPE(2, 3, 4), L2_FLOAT64);
    l2_tensor *p = l2_permute(a, (const int[]){2, 0, 1});
    check_shape(p, L2_SHAPE(4, 2, 3), "permute");
    is_near(at(p, (const int64_t[]){3, 1, 2}), 12 + 8 + 3, 0, "permute value");
    ok(!l2_is_contiguous(p), "permuted is not contiguous");
    ok(!l2_view(p, L2_SHAPE(24)) && l2_last_status() == L2_ERR_SHAPE, "view of permuted fails");
    l2_tensor *rs = l2_reshape(p, L2_SHAPE(-1));
    ok(rs && l2_numel(rs) == 24 && !l2_shares_storage(rs, a), "reshape copies when needed");
    is_near(at(rs, (const int64_t[]){1}), 4, 0, "reshape copy order");
    l2_tensor *v = l2_view(a, L2_SHAPE(6, -1));
    ok(v && l2_shares_storage(v, a), "view shares storage");
    check_shape(v, L2_SHAPE(6, 4), "view -1 inferred");
    ok(!l2_view(a, L2_SHAPE(5, -1)) && l2_last_status() == L2_ERR_SHAPE, "view bad size: %s",
       l2_last_error());
    l2_tensor *tr = l2_transpose(a, 0, 2);
    l2_tensor *tr2 = l2_transpose(tr, 0, 2);
    l2_tensor *v2 = l2_view(tr2, L2_SHAPE(2, 12));
    ok(v2 != NULL, "view after double transpose");
    l2_tensor *un = l2_unsqueeze(a, -1);
    check_shape(un, L2_SHAPE(2, 3, 4, 1), "unsqueeze -1");
    l2_tensor *sq = l2_squeeze(un);
    check_shape(sq, L2_SHAPE(2, 3, 4), "squeeze");
    l2_tensor *fl = l2_flatten(a, 1, -1);
    check_shape(fl, L2_SHAPE(2, 12), "flatten");
    l2_tensor *uf = l2_unflatten(fl, 1, 2, (const int64_t[]){3, -1});
    check_shape(uf, L2_SHAPE(2, 3, 4), "unflatten");
    l2_tensor *sl = l2_select(a, 2, 0);
    l2_tensor *ex = l2_expand(sl, L2_SHAPE(5, 2, 3));
    ok(ex && l2_strides(ex)[0] == 0, "expand adds stride-0 dims");
    ok(!l2_expand(a, L2_SHAPE(2, 5, 4)) && l2_last_status() == L2_ERR_SHAPE,
       "expand of non-1 dim: %s", l2_last_error());
    l2_tensor *as = l2_as_strided(a, L2_SHAPE(3, 3), (const int64_t[]){1, 1}, 2); /* overlap */
    is_near(at(as, (const int64_t[]){2, 2}), 6, 0, "as_strided overlapping");
    ok(!l2_as_strided(a, L2_SHAPE(5), (const int64_t[]){10}, 0) &&
           l2_last_status() == L2_ERR_INDEX, "as_strided out of storage");
    l2_tensor *tt[] = {p, rs, v, tr, tr2, sl, v2, un, sq, fl, uf, ex, as, a};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

static void test_copies(void)
{
    l2_tensor *a = ar(L2_SHAPE(2, 3), L2_FLOAT64);
    l2_tensor *b = ar(L2_SHAPE(2, 2), L2_FLOAT64);
    l2_tensor *c = l2_cat(2, (l2_tensor *[]){a, b}, 1);
    check_shape(c, L2_SHAPE(2, 5), "cat dim 1");
    is_near(at(c, (const int64_t[]){1, 4}), 3, 0, "cat value");
    ok(!l2_cat(2, (l2_tensor *[]){a, b}, 0) && l2_last_status() == L2_ERR_SHAPE,
       "cat mismatched sizes: %s", l2_last_error());
    l2_tensor *s = l2_stack(2, (l2_tensor *[]){a, a}, 1);
    check_shape(s, L2_SHAPE(2, 2, 3), "stack dim 1");
    l2_tensor *i64 = l2_to_dtype(a, L2_INT64);
    ok(l2_dtype_of(i64) == L2_INT64, "to_dtype");
    l2_tensor *dst = l2_zeros(L2_SHAPE(3, 2), L2_FLOAT32);
    l2_tensor *dt = l2_t(dst);
    ok(l2_copy_(dt, i64) == L2_OK, "copy_ into a transposed view, converting");
    is_near(at(dst, (const int64_t[]){2, 1}), 5, 0, "copy_ value");
    l2_tensor *row = l2_arange(0, 2, 1, L2_FLOAT64);
    ok(l2_copy_(dst, row) == L2_OK, "copy_ broadcasts");
    is_near(at(dst, (const int64_t[]){2, 1}), 1, 0, "copy_ broadcast value");
    ok(l2_copy_(dst, a) == L2_ERR_SHAPE, "copy_ of a wrong shape: %s", l2_last_error());
    /* Overlapping copy: shift a row within one tensor. */
    l2_tensor *x = ar(L2_SHAPE(6), L2_FLOAT64);
    l2_tensor *lo = l2_slice(x, 0, 0, 5, 1), *hi = l2_slice(x, 0, 1, 6, 1);
    l2_copy_(hi, lo);
    is_near(at(x, (const int64_t[]){5}), 4, 0, "overlapping copy_ goes through a temporary");
    l2_tensor *cl = l2_clone(dt);
    ok(l2_is_contiguous(cl) && !l2_shares_storage(cl, dt), "clone is contiguous and separate");
    l2_tensor *ct = l2_contiguous(a);
    ok(ct == a, "contiguous of a contiguous tensor is itself");
    l2_tensor *tt[] = {a, b, c, s, i64, dst, dt, row, x, lo, hi, cl, ct};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

/* ---- gradients ---- */

static l2_tensor *f_views(l2_tensor *const *in, void *ctx)
{
    /* in[0]: (4, 6). A chain of views and copies ending in a (2, 3) result. */
    l2_scope_begin();
    l2_tensor *t = l2_transpose(in[0], 0, 1);             /* (6, 4) */
    t = l2_slice(t, 0, 1, INT64_MAX, 2);                  /* (3, 4) */
    t = l2_index(t, "..., 1:");                           /* (3, 3) */
    t = l2_reshape(t, L2_SHAPE(9));                       /* copy: not viewable */
    t = l2_narrow(t, 0, 1, 6);                            /* (6,) */
    t = l2_unflatten(t, 0, 2, (const int64_t[]){2, 3});   /* (2, 3) */
    t = l2_expand(l2_unsqueeze(t, 0), L2_SHAPE(4, 2, 3)); /* broadcast: grads sum */
    t = l2_select(t, 0, 1);
    t = l2_keep(l2_clone(t));
    l2_scope_end();
    return t;
}

static l2_tensor *f_cat(l2_tensor *const *in, void *ctx)
{
    l2_scope_begin();
    l2_tensor *a = l2_t(in[0]); /* (3, 2) */
    l2_tensor *r = l2_cat(3, (l2_tensor *[]){a, in[1], a}, 1);
    l2_tensor *s = l2_stack(2, (l2_tensor *[]){r, r}, 0);
    l2_tensor *out = l2_keep(l2_to_dtype(s, L2_FLOAT64));
    l2_scope_end();
    return out;
}

static l2_tensor *f_cat_many(l2_tensor *const *in, void *ctx)
{
    /* 9 inputs: more than one node takes, so cat builds a tree of nodes. */
    l2_tensor *v[9];
    for (int k = 0; k < 9; k++)
        v[k] = in[k % 3];
    return l2_cat(9, v, 0);
}

static l2_tensor *f_strided(l2_tensor *const *in, void *ctx)
{
    /* Overlapping windows: the gradient of element k is the number of windows holding it. */
    return l2_as_strided(in[0], L2_SHAPE(4, 3), (const int64_t[]){2, 1}, 1);
}

static l2_tensor *f_strided_of_overlap(l2_tensor *const *in, void *ctx)
{
    /* as_strided of an input whose elements overlap: x (2,3) strides (1,1) over the leaf's
     * first 4 elements, then every other storage element of x: y = [w0, w2]. */
    (void)ctx;
    l2_tensor *x = l2_as_strided(in[0], L2_SHAPE(2, 3), (const int64_t[]){1, 1}, 0);
    l2_tensor *y = x ? l2_as_strided(x, L2_SHAPE(2), (const int64_t[]){2}, 0) : NULL;
    l2_tensor_release(x);
    return y;
}

static l2_tensor *f_copy(l2_tensor *const *in, void *ctx)
{
    l2_tensor *d = l2_zeros(L2_SHAPE(3, 2), L2_FLOAT64);
    l2_tensor *src = l2_index(in[0], "0");
    l2_copy_(d, src); /* src (2,) broadcast over rows */
    l2_tensor_release(src);
    return d;
}

static void test_grads(void)
{
    l2_manual_seed(1);
    l2_tensor *x = gc_leaf(L2_SHAPE(4, 6), -1, 1);
    ok(gradcheck("views chain", f_views, 1, &x, NULL), "gradcheck: view chain");
    l2_tensor *a = gc_leaf(L2_SHAPE(2, 3), -1, 1), *b = gc_leaf(L2_SHAPE(3, 1), -1, 1);
    ok(gradcheck("cat/stack", f_cat, 2, (l2_tensor *[]){a, b}, NULL), "gradcheck: cat/stack");
    l2_tensor *m[3] = {gc_leaf(L2_SHAPE(2), -1, 1), gc_leaf(L2_SHAPE(1), -1, 1),
                       gc_leaf(L2_SHAPE(3), -1, 1)};
    ok(gradcheck("cat of 9", f_cat_many, 3, m, NULL), "gradcheck: cat of 9 tensors (tree)");
    for (int k = 0; k < 3; k++)
        l2_tensor_release(m[k]);
    l2_tensor *w = gc_leaf(L2_SHAPE(10), -1, 1);
    ok(gradcheck("as_strided", f_strided, 1, &w, NULL), "gradcheck: overlapping as_strided");
    l2_tensor *w2 = gc_leaf(L2_SHAPE(6), -1, 1);
    ok(gradcheck("as_strided of overlap", f_strided_of_overlap, 1, &w2, NULL),
       "gradcheck: as_strided of an overlapping input (torch divides by the overlap count)");
    l2_tensor_release(w2);
    l2_tensor *c = gc_leaf(L2_SHAPE(2, 2), -1, 1);
    ok(gradcheck("copy_", f_copy, 1, &c, NULL), "gradcheck: copy_ with broadcast");
    l2_tensor *y = f_views(&x, NULL);
    is_str(l2_grad_fn_name(y), "clone", "grad_fn name of the last op");
    ok(l2_grad_fn_name(x) == NULL, "leaves have no grad_fn");
    l2_tensor_release(y);
    l2_tensor *leaves[] = {x, a, b, w, c};
    for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++)
        l2_tensor_release(leaves[i]);
}

static void test_inplace_rules(void)
{
    l2_tensor *leaf = gc_leaf(L2_SHAPE(2, 3), -1, 1);
    l2_tensor *src = l2_ones(L2_SHAPE(3), L2_FLOAT64);
    ok(l2_copy_(leaf, src) == L2_ERR_AUTOGRAD, "copy_ into a leaf that requires grad: %s",
       l2_last_error());
    l2_tensor *row = l2_select(leaf, 0, 0);
    ok(l2_copy_(row, src) == L2_ERR_AUTOGRAD, "copy_ into a view of a leaf: %s",
       l2_last_error());
    l2_tensor *nonleaf = l2_clone(leaf), *nrow = l2_select(nonleaf, 0, 0);
    ok(l2_copy_(nrow, src) == L2_ERR_UNSUPPORTED, "copy_ into a view of a non-leaf: %s",
       l2_last_error());
    l2_tensor_release(nrow);
    l2_tensor_release(nonleaf);
    l2_tensor *buf = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT64);
    l2_tensor *brow = l2_select(buf, 0, 1);
    l2_tensor *lrow = l2_select(leaf, 0, 1);
    ok(l2_copy_(brow, lrow) == L2_ERR_UNSUPPORTED, "copy_ of a grad tensor into a view");
    l2_no_grad_begin();
    ok(l2_copy_(row, src) == L2_OK && l2_copy_(brow, lrow) == L2_OK, "allowed under no_grad");
    l2_no_grad_end();
    l2_tensor *tt[] = {leaf, src, row, buf, brow, lrow};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);
}

static void test_broadcast_table(void)
{
    struct {
        int na, nb;
        int64_t a[4], b[4];
        int nr;
        int64_t r[4];
    } cases[] = {
        {0, 0, {0}, {0}, 0, {0}},
        {1, 0, {5}, {0}, 1, {5}},
        {2, 1, {5, 1}, {5}, 2, {5, 5}},
        {3, 3, {10, 1, 5}, {1, 10, 5}, 3, {10, 10, 5}},
        {3, 3, {0, 1, 3}, {0, 10, 3}, 3, {0, 10, 3}},
        {3, 3, {3, 1, 2}, {1, 3, 2}, 3, {3, 3, 2}},
        {1, 3, {1}, {2, 0, 4}, 3, {2, 0, 4}},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        /* Broadcasting is observed through l2_copy_ of b into an expand of a's result shape. */
        l2_tensor *ta = l2_zeros(cases[k].na, cases[k].a, L2_FLOAT32);
        l2_tensor *e = l2_expand(ta, cases[k].nr, cases[k].r);
        l2_tensor *tb = l2_zeros(cases[k].nb, cases[k].b, L2_FLOAT32);
        l2_tensor *eb = l2_expand(tb, cases[k].nr, cases[k].r);
        ok(e && eb, "broadcast case %zu expands both operands to the result shape", k);
        l2_tensor_release(e);
        l2_tensor_release(eb);
        l2_tensor_release(ta);
        l2_tensor_release(tb);
    }
}

/* Graph-level rules found by the graph oracle (issue 13). */
static void test_graph_rules(void)
{
    /* A reshape that had to copy is not a view: in-place ops on it are fine, and x's gradient
     * is the gradient of the copy (torch: y = reshape(t(x), [6]); y.add_(1)). */
    l2_tensor *x = gc_leaf(L2_SHAPE(2, 3), -1, 1);
    l2_tensor *xt = l2_t(x);
    l2_tensor *y = l2_reshape(xt, L2_SHAPE(6));
    ok(y && !l2_shares_storage(y, x), "reshape of a transpose copies");
    ok(l2_add_scalar_(y, 1) == L2_OK, "add_ on a reshape that copied: %s", l2_last_error());
    l2_tensor *w = l2_arange(0, 6, 1, L2_FLOAT64);
    l2_tensor *yw = l2_mul(y, w), *s = l2_sum(yw);
    ok(s && l2_backward(s, NULL, false) == L2_OK, "backward through it");
    /* y[k] = x^T flattened: y[k] = x[k % 2][k / 2], so dx[i][j] = w[2 j + i]. */
    is_near(at(l2_grad(x), (const int64_t[]){1, 2}), 5, 0, "x.grad[1][2] = w[5]");
    is_near(at(l2_grad(x), (const int64_t[]){0, 1}), 2, 0, "x.grad[0][1] = w[2]");
    l2_tensor *tt[] = {xt, y, w, yw, s};
    for (size_t i = 0; i < sizeof tt / sizeof tt[0]; i++)
        l2_tensor_release(tt[i]);

    /* flatten of one dim is t itself (not a view), as torch. */
    l2_tensor *h = l2_mul_scalar(x, 2);
    l2_tensor *v = l2_select(h, 0, 1);
    l2_tensor *f = l2_flatten(v, 0, -1);
    ok(f == v, "flatten of a 1-d tensor returns it");
    l2_tensor_release(f);
    l2_tensor *h1 = l2_reshape(h, L2_SHAPE(6));
    l2_tensor *f1 = l2_flatten(h1, 0, 0);
    ok(f1 == h1 && l2_add_scalar_(f1, 1) == L2_ERR_UNSUPPORTED,
       "flatten(t, 0, 0) is t: still the view it was");
    l2_tensor_release(f1);
    l2_tensor_release(h1);
    l2_tensor_release(v);

    /* copy_ under no_grad into a tensor that requires grad keeps its history. */
    l2_tensor *c = l2_clone(x), *src = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT64);
    l2_set_requires_grad(src, true);
    l2_no_grad_begin();
    ok(l2_copy_(c, src) == L2_OK, "copy_ under no_grad");
    l2_no_grad_end();
    is_str(l2_grad_fn_name(c), "clone", "its history is still clone's");
    l2_set_grad_none(x);
    s = l2_sum(c);
    ok(l2_backward(s, NULL, false) == L2_OK && l2_grad(src) == NULL && l2_grad(x),
       "the gradient reaches x, not src");
    l2_tensor_release(s);
    l2_tensor_release(c);

    /* copy_ keeps an edge to dst's old history (gradient 0), so that a saved tensor modified in
     * place there is still detected, as torch's CopyBackwards. */
    l2_tensor *e = l2_exp(x); /* saves its output */
    ok(l2_add_scalar_(e, 1) == L2_OK, "exp's output modified in place");
    ok(l2_copy_(e, src) == L2_OK, "then overwritten by copy_");
    s = l2_sum(e);
    ok(l2_backward(s, NULL, true) == L2_ERR_AUTOGRAD, "backward reaches exp and refuses: %s",
       l2_last_error());
    l2_tensor_release(s);
    l2_tensor_release(e);
    e = l2_mul_scalar(x, 3);
    ok(l2_copy_(e, src) == L2_OK, "copy_ over a graph that saved nothing");
    l2_set_grad_none(x);
    l2_set_grad_none(src);
    s = l2_sum(e);
    ok(l2_backward(s, NULL, false) == L2_OK, "backward");
    is_near(at(l2_grad(x), (const int64_t[]){1, 1}), 0, 0, "dst's old history gets 0");
    is_near(at(l2_grad(src), (const int64_t[]){1, 1}), 1, 0, "src gets the gradient");
    l2_tensor_release(s);
    l2_tensor_release(e);

    /* An in-place op on a view taking an operand that requires grad is refused (its base
     * would not see the gradient), as copy_ is; under no_grad it is fine. */
    l2_tensor *buf = l2_zeros(L2_SHAPE(2, 3), L2_FLOAT64), *row = l2_select(buf, 0, 1);
    l2_tensor *xrow = l2_select(x, 0, 0);
    ok(l2_mul_(row, xrow) == L2_ERR_UNSUPPORTED, "mul_ of a grad tensor into a view: %s",
       l2_last_error());
    ok(l2_add_scalar_(row, 1) == L2_OK, "a scalar in-place op on that view is fine");
    l2_no_grad_begin();
    ok(l2_add_(row, xrow) == L2_OK, "add_ into the view under no_grad");
    l2_no_grad_end();
    l2_tensor_release(xrow);
    l2_tensor_release(row);
    l2_tensor_release(buf);

    /* A copy onto itself is fine even for an expanded tensor (torch skips it). */
    l2_tensor *one = l2_ones(L2_SHAPE(1), L2_FLOAT64);
    l2_tensor *ex = l2_expand(one, L2_SHAPE(4));
    ok(l2_copy_(ex, ex) == L2_OK, "copy_ of an expanded tensor onto itself: %s", l2_last_error());
    ok(l2_copy_(ex, one) == L2_ERR_ARG, "copy_ of another tensor into it is refused");
    l2_tensor_release(ex);
    l2_tensor_release(one);

    /* cat connects a skipped 1-d empty input: autograd_grad gives it an empty gradient. */
    l2_tensor *empty = l2_zeros(L2_SHAPE(0), L2_FLOAT64);
    l2_set_requires_grad(empty, true);
    l2_tensor *in[2] = {h, empty};
    l2_tensor *cat = l2_cat(2, in, 0);
    s = cat ? l2_sum(cat) : NULL;
    l2_tensor *g[2] = {NULL, NULL};
    ok(s && l2_autograd_grad(1, &s, NULL, 2, (l2_tensor *[]){x, empty}, g, false, false) ==
                L2_OK, "autograd_grad with allow_unused false: %s", l2_last_error());
    ok(g[1] && l2_ndim(g[1]) == 1 && l2_shape(g[1])[0] == 0, "the empty input's grad is [0]");
    is_near(at(g[0], (const int64_t[]){0, 2}), 2, 0, "x's grad through cat");
    l2_tensor_release(g[0]);
    l2_tensor_release(g[1]);
    /* ... and so does a cat of nothing but empty inputs. */
    l2_tensor *e2[2] = {empty, empty};
    l2_tensor *cat0 = l2_cat(2, e2, 0);
    ok(cat0 && l2_requires_grad(cat0) && l2_numel(cat0) == 0,
       "cat of empty inputs that require grad requires grad");
    l2_tensor *up0 = l2_zeros(L2_SHAPE(0), L2_FLOAT64);
    ok(cat0 && l2_backward(cat0, up0, false) == L2_OK && l2_grad(empty) &&
           l2_numel(l2_grad(empty)) == 0, "backward gives the empty input an empty grad");
    l2_tensor_release(up0);
    l2_tensor_release(cat0);
    l2_tensor *rest[] = {s, cat, empty, h, src, x};
    for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
        l2_tensor_release(rest[i]);
}

int main(void)
{
    test_slice();
    test_index_string();
    test_view_size1_stride();
    test_shapes();
    test_copies();
    test_grads();
    test_broadcast_table();
    test_inplace_rules();
    test_graph_rules();
    return tap_done();
}
