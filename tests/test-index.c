/* test-index.c: index_select, gather, scatter_add, embedding and one_hot: hand-checked values in
 * float32, float64 and int64, strided and negative indices, the error paths, and finite-difference
 * gradients on contiguous, transposed, stepped-slice and broadcast inputs. */
#include <l2.h>
#include <stdint.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static l2_tensor *idx_of(int ndim, const int64_t *shape, const int64_t *v)
{
    return l2_from_data(v, ndim, shape, L2_INT64);
}

static void test_index_select(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    l2_tensor *t = ar(L2_SHAPE(3, 4), dt); /* t[i][j] = 4i + j */
    l2_tensor *ix = idx_of(L2_SHAPE(3), (const int64_t[]){3, 0, 3});
    l2_tensor *r = l2_index_select(t, 1, ix);
    ok(same_shape(r, L2_SHAPE(3, 3)), "index_select dim 1 shape (%s)", dn);
    int good = 1;
    const int64_t cols[3] = {3, 0, 3};
    for (int64_t i = 0; i < 3; i++)
        for (int64_t k = 0; k < 3; k++)
            good &= at(r, (const int64_t[]){i, k}) == (double)(4 * i + cols[k]);
    ok(good, "index_select dim 1 values, repeated columns (%s)", dn);
    l2_tensor_release(r);

    /* dim 0 on a transposed input: tt[j][i] = 4i + j, rows 2 and 0. */
    l2_tensor *tt = l2_t(t);
    l2_tensor *ix0 = idx_of(L2_SHAPE(2), (const int64_t[]){2, 0});
    r = l2_index_select(tt, 0, ix0);
    ok(same_shape(r, L2_SHAPE(2, 3)), "index_select of a transposed input: shape (%s)", dn);
    good = 1;
    for (int64_t i = 0; i < 3; i++) {
        good &= at(r, (const int64_t[]){0, i}) == (double)(4 * i + 2);
        good &= at(r, (const int64_t[]){1, i}) == (double)(4 * i + 0);
    }
    ok(good, "index_select of a transposed input: values (%s)", dn);
    l2_tensor_release(r);

    /* A 0-d index keeps the dim with size 1; a stepped-slice index works. */
    l2_tensor *s0 = l2_scalar(1, L2_INT64);
    r = l2_index_select(t, 0, s0);
    ok(same_shape(r, L2_SHAPE(1, 4)) && at(r, (const int64_t[]){0, 3}) == 7,
       "index_select with a 0-d index (%s)", dn);
    l2_tensor_release(r);
    l2_tensor *big = idx_of(L2_SHAPE(4), (const int64_t[]){1, 9, 2, 9});
    l2_tensor *step = l2_slice(big, 0, 0, 4, 2); /* [1, 2] */
    r = l2_index_select(t, -1, step);
    ok(r && at(r, (const int64_t[]){2, 0}) == 9 && at(r, (const int64_t[]){2, 1}) == 10,
       "index_select with a stepped-slice index and dim -1 (%s)", dn);
    l2_tensor_release(r);
    /* An empty index gives an empty dim. */
    int64_t none = 0;
    l2_tensor *empty = l2_empty(1, &none, L2_INT64);
    r = l2_index_select(t, 1, empty);
    ok(same_shape(r, L2_SHAPE(3, 0)), "index_select with an empty index (%s)", dn);
    l2_tensor_release(r);
    l2_tensor *tt_list[] = {t, ix, tt, ix0, s0, big, step, empty};
    for (size_t i = 0; i < sizeof tt_list / sizeof tt_list[0]; i++)
        l2_tensor_release(tt_list[i]);
}

static void test_gather_scatter(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    l2_tensor *t = ar(L2_SHAPE(3, 4), dt); /* t[i][j] = 4i + j */
    const int64_t iv[6] = {0, 3, 3, 2, 2, 1};
    l2_tensor *ix = idx_of(L2_SHAPE(2, 3), iv);
    /* dim 1: out[i][j] = t[i][ix[i][j]] = 4i + ix */
    l2_tensor *r = l2_gather(t, 1, ix);
    int good = same_shape(r, L2_SHAPE(2, 3));
    for (int64_t i = 0; good && i < 2; i++)
        for (int64_t j = 0; j < 3; j++) {
            int64_t c = iv[i * 3 + j] < 0 ? iv[i * 3 + j] + 4 : iv[i * 3 + j];
            good &= at(r, (const int64_t[]){i, j}) == (double)(4 * i + c);
        }
    ok(good, "gather dim 1 (%s)", dn);
    l2_tensor_release(r);
    /* dim 0: out[i][j] = t[ix[i][j]][j] = 4 ix + j; index rows wrap against 3 */
    const int64_t iv0[6] = {0, 2, 2, 1, 1, 0};
    l2_tensor *ix0 = idx_of(L2_SHAPE(2, 3), iv0);
    r = l2_gather(t, 0, ix0);
    good = same_shape(r, L2_SHAPE(2, 3));
    for (int64_t i = 0; good && i < 2; i++)
        for (int64_t j = 0; j < 3; j++) {
            int64_t c = iv0[i * 3 + j] < 0 ? iv0[i * 3 + j] + 3 : iv0[i * 3 + j];
            good &= at(r, (const int64_t[]){i, j}) == (double)(4 * c + j);
        }
    ok(good, "gather dim 0 (%s)", dn);
    l2_tensor_release(r);
    /* gather from a transposed tensor: tt[j][i] = 4i + j, dim 1 picks i. */
    l2_tensor *tt = l2_t(t);
    l2_tensor *ixt = idx_of(L2_SHAPE(2, 2), (const int64_t[]){2, 0, 1, 1});
    r = l2_gather(tt, 1, ixt);
    ok(r && at(r, (const int64_t[]){0, 0}) == 8 && at(r, (const int64_t[]){0, 1}) == 0 &&
           at(r, (const int64_t[]){1, 0}) == 5 && at(r, (const int64_t[]){1, 1}) == 5,
       "gather from a transposed tensor (%s)", dn);
    l2_tensor_release(r);

    /* scatter_add, the torch documentation example: ones (2,5) into zeros (3,5) along dim 0. */
    l2_tensor *z = l2_zeros(L2_SHAPE(3, 5), dt);
    l2_tensor *src = l2_ones(L2_SHAPE(2, 5), dt);
    l2_tensor *si = idx_of(L2_SHAPE(2, 5), (const int64_t[]){0, 1, 2, 0, 0, 2, 0, 0, 1, 2});
    r = l2_scatter_add(z, 0, si, src);
    const double want[15] = {1, 1, 1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
    good = same_shape(r, L2_SHAPE(3, 5));
    for (int64_t k = 0; good && k < 15; k++)
        good &= at(r, (const int64_t[]){k / 5, k % 5}) == want[k];
    ok(good, "scatter_add torch example (%s)", dn);
    double z00 = at(z, (const int64_t[]){0, 0});
    ok(z00 == 0, "scatter_add leaves its input alone (%s)", dn);
    l2_tensor_release(r);
    /* Repeated positions add up; src larger than index; t = arange. dim 1:
     * out[i][ix[i][j]] += src[i][j]; index [[1, 1, 3]] on row 0 of t (3, 4), src 10 * arange. */
    l2_tensor *src2 = ar(L2_SHAPE(2, 4), dt);
    l2_tensor *si2 = idx_of(L2_SHAPE(1, 3), (const int64_t[]){1, 1, 3});
    r = l2_scatter_add(t, 1, si2, src2);
    ok(r && at(r, (const int64_t[]){0, 0}) == 0 && at(r, (const int64_t[]){0, 1}) == 1 + 0 + 1 &&
           at(r, (const int64_t[]){0, 3}) == 3 + 2 && at(r, (const int64_t[]){1, 1}) == 5 &&
           at(r, (const int64_t[]){2, 3}) == 11,
       "scatter_add with repeated positions (%s)", dn);
    l2_tensor_release(r);
    l2_tensor *list[] = {t, ix, ix0, tt, ixt, z, src, si, src2, si2};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

static void test_embedding_one_hot(l2_dtype dt)
{
    const char *dn = l2_dtype_name(dt);
    l2_tensor *w = ar(L2_SHAPE(4, 3), dt); /* w[v][d] = 3v + d */
    const int64_t iv[4] = {1, 3, 3, 0};
    l2_tensor *ix = idx_of(L2_SHAPE(2, 2), iv);
    l2_tensor *r = l2_embedding(w, ix);
    int good = same_shape(r, L2_SHAPE(2, 2, 3));
    for (int64_t k = 0; good && k < 4; k++) {
        int64_t v = iv[k] < 0 ? iv[k] + 4 : iv[k];
        for (int64_t d = 0; d < 3; d++)
            good &= at(r, (const int64_t[]){k / 2, k % 2, d}) == (double)(3 * v + d);
    }
    ok(good, "embedding (2,2) indices into (4,3) (%s)", dn);
    l2_tensor_release(r);
    l2_tensor *s = l2_scalar(2, L2_INT64);
    r = l2_embedding(w, s);
    ok(same_shape(r, L2_SHAPE(3)) && at(r, (const int64_t[]){1}) == 7,
       "embedding with a 0-d index gives one row (%s)", dn);
    l2_tensor_release(r);
    l2_tensor_release(s);
    l2_tensor_release(ix);
    l2_tensor_release(w);
}

static void test_one_hot(void)
{
    l2_tensor *ix = idx_of(L2_SHAPE(3), (const int64_t[]){0, 2, 1});
    l2_tensor *r = l2_one_hot(ix, -1);
    int good = same_shape(r, L2_SHAPE(3, 3)) && l2_dtype_of(r) == L2_INT64;
    for (int64_t i = 0; good && i < 3; i++)
        for (int64_t c = 0; c < 3; c++) {
            int64_t v = -7;
            l2_get_int64(r, (const int64_t[]){i, c}, &v);
            good &= v == (c == (i == 0 ? 0 : i == 1 ? 2 : 1));
        }
    ok(good, "one_hot with inferred classes");
    l2_tensor_release(r);
    l2_tensor *ix2 = idx_of(L2_SHAPE(2, 1), (const int64_t[]){3, 0});
    r = l2_one_hot(ix2, 5);
    ok(same_shape(r, L2_SHAPE(2, 1, 5)) && at(r, (const int64_t[]){0, 0, 3}) == 1 &&
           at(r, (const int64_t[]){0, 0, 4}) == 0 && at(r, (const int64_t[]){1, 0, 0}) == 1,
       "one_hot with 5 classes on a (2,1) tensor");
    double sum = 0;
    for (int64_t k = 0; r && k < 10; k++)
        sum += at(r, (const int64_t[]){k / 5, 0, k % 5});
    is_near(sum, 2, 0, "one_hot has exactly one 1 per index");
    l2_tensor_release(r);
    is_err(l2_one_hot(ix2, 3), L2_ERR_INDEX, "class value 3", "one_hot: index >= num_classes");
    l2_tensor *neg = idx_of(L2_SHAPE(2), (const int64_t[]){1, -1});
    is_err(l2_one_hot(neg, 3), L2_ERR_INDEX, "non-negative", "one_hot: negative index");
    int64_t none = 0;
    l2_tensor *empty = l2_empty(1, &none, L2_INT64);
    is_err(l2_one_hot(empty, -1), L2_ERR_ARG, "empty", "one_hot: -1 on an empty tensor");
    r = l2_one_hot(empty, 4);
    ok(same_shape(r, L2_SHAPE(0, 4)), "one_hot of an empty tensor with 4 classes");
    l2_tensor_release(r);
    is_err(l2_one_hot(ix, -2), L2_ERR_ARG, "num_classes", "one_hot: num_classes -2");
    l2_tensor *f = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
    is_err(l2_one_hot(f, 3), L2_ERR_DTYPE, "int64", "one_hot: float indices");
    is_err(l2_one_hot(NULL, 3), L2_ERR_NULL, "indices", "one_hot: NULL");
    l2_tensor_release(f);
    l2_tensor_release(empty);
    l2_tensor_release(neg);
    l2_tensor_release(ix2);
    l2_tensor_release(ix);
}

static void test_errors(void)
{
    l2_tensor *t = ar(L2_SHAPE(3, 4), L2_FLOAT32);
    l2_tensor *ix = idx_of(L2_SHAPE(2), (const int64_t[]){0, 4});
    is_err(l2_index_select(t, 1, ix), L2_ERR_INDEX, "index 4 is out of bounds for dimension 1 "
           "with size 4", "index_select: index 4 of size 4");
    l2_tensor *ixn = idx_of(L2_SHAPE(1), (const int64_t[]){-4});
    is_err(l2_index_select(t, 0, ixn), L2_ERR_INDEX, "index -4 is out of bounds for dimension 0 "
           "with size 3", "index_select: index -4 of size 3");
    is_err(l2_index_select(t, 2, ixn), L2_ERR_DIM, "dim 2", "index_select: bad dim");
    is_err(l2_index_select(NULL, 0, ixn), L2_ERR_NULL, "'t'", "index_select: NULL t");
    is_err(l2_index_select(t, 0, NULL), L2_ERR_NULL, "'index'", "index_select: NULL index");
    l2_tensor *fi = l2_zeros(L2_SHAPE(2), L2_FLOAT32);
    is_err(l2_index_select(t, 0, fi), L2_ERR_DTYPE, "int64", "index_select: float index");
    l2_tensor *i2 = l2_zeros(L2_SHAPE(1, 1), L2_INT64);
    is_err(l2_index_select(t, 0, i2), L2_ERR_SHAPE, "vector", "index_select: 2-D index");

    l2_tensor *ix2d = idx_of(L2_SHAPE(1, 2), (const int64_t[]){0, 4});
    is_err(l2_gather(t, 1, ix2d), L2_ERR_INDEX, "index 4 is out of bounds for dimension 1 with "
           "size 4", "gather: index out of range");
    is_err(l2_gather(t, 0, ixn), L2_ERR_SHAPE, "same number of dimensions", "gather: rank");
    l2_tensor *wide = l2_zeros(L2_SHAPE(1, 5), L2_INT64);
    is_err(l2_gather(t, 0, wide), L2_ERR_SHAPE, "dimension 1", "gather: index too wide");
    l2_tensor *ok_i = l2_zeros(L2_SHAPE(5, 1), L2_INT64); /* dim 0 may be larger than t's */
    l2_tensor *g = l2_gather(t, 0, ok_i);
    ok(same_shape(g, L2_SHAPE(5, 1)), "gather: index may exceed t's size along dim");
    l2_tensor_release(g);

    l2_tensor *src = l2_ones(L2_SHAPE(3, 4), L2_FLOAT32);
    l2_tensor *src64 = l2_ones(L2_SHAPE(3, 4), L2_FLOAT64);
    is_err(l2_scatter_add(t, 0, i2, src64), L2_ERR_DTYPE, "src.dtype", "scatter_add: dtypes");
    is_err(l2_scatter_add(t, 0, ok_i, src), L2_ERR_SHAPE, "src", "scatter_add: index > src");
    l2_tensor *i22 = idx_of(L2_SHAPE(1, 2), (const int64_t[]){1, 3});
    is_err(l2_scatter_add(t, 0, i22, src), L2_ERR_INDEX, "index 3 is out of bounds for "
           "dimension 0 with size 3", "scatter_add: index out of range");
    is_err(l2_scatter_add(t, 0, i22, NULL), L2_ERR_NULL, "'src'", "scatter_add: NULL src");

    l2_tensor *w1 = l2_zeros(L2_SHAPE(4), L2_FLOAT32);
    is_err(l2_embedding(w1, ix), L2_ERR_SHAPE, "2-D", "embedding: 1-D weight");
    l2_tensor *w = l2_zeros(L2_SHAPE(4, 2), L2_FLOAT32);
    is_err(l2_embedding(w, ix), L2_ERR_INDEX, "index 4 is out of bounds for dimension 0 with "
           "size 4", "embedding: index 4 of 4 rows");
    is_err(l2_embedding(w, fi), L2_ERR_DTYPE, "indices", "embedding: float indices");
    l2_tensor *list[] = {t, ix, ix2d, ixn, fi, i2, wide, ok_i, src, src64, i22, w1, w};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- gradients ---- */

/* How the float input reaches the op: as is, transposed, a stepped slice or broadcast. */
enum { AS_IS, TRANSPOSED, STEPPED, BROADCAST };

typedef struct {
    int layout;
    l2_tensor *index;
} gctx;

/* in[0] shaped so that every layout yields a (3, 4) operand:
 * AS_IS (3,4); TRANSPOSED (4,3); STEPPED (3,8) sliced ::2; BROADCAST (1,4) expanded. */
static l2_tensor *operand(l2_tensor *x, int layout)
{
    switch (layout) {
    case TRANSPOSED: return l2_t(x);
    case STEPPED: return l2_slice(x, 1, 0, INT64_MAX, 2);
    case BROADCAST: return l2_expand(x, L2_SHAPE(3, 4));
    default: return l2_tensor_ref(x);
    }
}

static l2_tensor *leaf_for(int layout)
{
    switch (layout) {
    case TRANSPOSED: return gc_leaf(L2_SHAPE(4, 3), -1, 1);
    case STEPPED: return gc_leaf(L2_SHAPE(3, 8), -1, 1);
    case BROADCAST: return gc_leaf(L2_SHAPE(1, 4), -1, 1);
    default: return gc_leaf(L2_SHAPE(3, 4), -1, 1);
    }
}

static l2_tensor *f_index_select(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *x = operand(in[0], c->layout);
    l2_tensor *r = l2_index_select(x, 1, c->index);
    l2_tensor_release(x);
    return r;
}

static l2_tensor *f_gather(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *x = operand(in[0], c->layout);
    l2_tensor *r = l2_gather(x, 0, c->index);
    l2_tensor_release(x);
    return r;
}

static l2_tensor *f_scatter_add(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *x = operand(in[0], c->layout);
    l2_tensor *src = l2_t(in[1]); /* (4, 3) leaf, transposed to (3, 4) */
    l2_tensor *r = l2_scatter_add(x, 1, c->index, src);
    l2_tensor_release(src);
    l2_tensor_release(x);
    return r;
}

static l2_tensor *f_embedding(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    l2_tensor *x = operand(in[0], c->layout);
    l2_tensor *r = l2_embedding(x, c->index);
    l2_tensor_release(x);
    return r;
}

static void test_grads(void)
{
    static const char *names[] = {"contiguous", "transposed", "stepped slice", "broadcast"};
    l2_manual_seed(7);
    /* Repeated indices, so that gradients must accumulate. */
    l2_tensor *isel = idx_of(L2_SHAPE(5), (const int64_t[]){3, 0, 1, 1, 3});
    l2_tensor *igat = idx_of(L2_SHAPE(4, 3), (const int64_t[]){0, 2, 1, 2, 2, 0, 1, 0, 0, 2, 1, 1});
    l2_tensor *isc = idx_of(L2_SHAPE(3, 2), (const int64_t[]){1, 1, 3, 0, 2, 2});
    l2_tensor *iemb = idx_of(L2_SHAPE(2, 3), (const int64_t[]){2, 0, 2, 1, 1, 2});
    for (int layout = AS_IS; layout <= BROADCAST; layout++) {
        l2_tensor *x = leaf_for(layout);
        gctx c = {layout, isel};
        ok(gradcheck("index_select", f_index_select, 1, &x, &c), "gradcheck: index_select (%s)",
           names[layout]);
        c.index = igat;
        ok(gradcheck("gather", f_gather, 1, &x, &c), "gradcheck: gather (%s)", names[layout]);
        c.index = isc;
        l2_tensor *src = gc_leaf(L2_SHAPE(4, 3), -1, 1); /* t -> (3, 4): larger than index */
        ok(gradcheck("scatter_add", f_scatter_add, 2, (l2_tensor *[]){x, src}, &c),
           "gradcheck: scatter_add, t and src (%s)", names[layout]);
        c.index = iemb;
        ok(gradcheck("embedding", f_embedding, 1, &x, &c), "gradcheck: embedding (%s)",
           names[layout]);
        l2_tensor_release(src);
        l2_tensor_release(x);
    }
    /* grad_fn names and an index_select of a 0-d tensor. */
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 4), -1, 1);
    l2_tensor *r = l2_index_select(x, 0, igat);
    ok(r == NULL, "index_select refuses a 2-D index even with grad");
    r = l2_embedding(x, iemb);
    is_str(l2_grad_fn_name(r), "embedding", "grad_fn of embedding");
    l2_tensor_release(r);
    r = l2_gather(x, 0, igat);
    is_str(l2_grad_fn_name(r), "gather", "grad_fn of gather");
    l2_tensor_release(r);
    l2_tensor *s = gc_leaf(0, NULL, -1, 1);
    l2_tensor *one = idx_of(L2_SHAPE(1), (const int64_t[]){0});
    r = l2_index_select(s, 0, one);
    ok(r && l2_ndim(r) == 0 && l2_backward(r, NULL, false) == L2_OK && l2_grad(s) &&
           at(l2_grad(s), NULL) == 1,
       "index_select of a 0-d tensor and its gradient");
    l2_tensor_release(r);
    l2_tensor *list[] = {isel, igat, isc, iemb, x, s, one};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

/* ---- out of memory ---- */

static l2_tensor *f_scatter_add_direct(l2_tensor *const *in, void *vctx)
{
    const gctx *c = vctx;
    return l2_scatter_add(in[0], 1, c->index, in[1]);
}

static void test_oom(void)
{
    l2_tensor *isel = idx_of(L2_SHAPE(3), (const int64_t[]){3, 0, 1});
    l2_tensor *igat = idx_of(L2_SHAPE(2, 3), (const int64_t[]){0, 2, 1, 2, 2, 0});
    l2_tensor *isc = idx_of(L2_SHAPE(3, 2), (const int64_t[]){1, 1, 3, 0, 2, 2});
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 4), -1, 1), *src = gc_leaf(L2_SHAPE(3, 4), -1, 1);
    gctx c = {AS_IS, isel};
    oom_check("index_select", f_index_select, 1, &x, &c);
    c.index = igat;
    oom_check("gather", f_gather, 1, &x, &c);
    oom_check("embedding", f_embedding, 1, &x, &c);
    c.index = isc;
    oom_check("scatter_add", f_scatter_add_direct, 2, (l2_tensor *[]){x, src}, &c);
    l2_tensor *list[] = {isel, igat, isc, x, src};
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        l2_tensor_release(list[i]);
}

int main(void)
{
    test_index_select(L2_FLOAT32);
    test_index_select(L2_FLOAT64);
    test_index_select(L2_INT64);
    test_gather_scatter(L2_FLOAT32);
    test_gather_scatter(L2_FLOAT64);
    test_gather_scatter(L2_INT64);
    test_embedding_one_hot(L2_FLOAT32);
    test_embedding_one_hot(L2_FLOAT64);
    test_one_hot();
    test_errors();
    test_grads();
    test_oom();
    {
        /* torch 1.13 refuses negative indices in all four ops. */
        l2_tensor *t = ar(L2_SHAPE(2, 3), L2_FLOAT32);
        l2_tensor *neg = idx_of(L2_SHAPE(1), (const int64_t[]){-1});
        l2_tensor *neg2 = idx_of(L2_SHAPE(2, 1), (const int64_t[]){-1, 0});
        l2_tensor *src = l2_ones(L2_SHAPE(2, 1), L2_FLOAT32);
        l2_tensor *r;
        ok(!(r = l2_index_select(t, 1, neg)) && l2_last_status() == L2_ERR_INDEX,
           "index_select refuses -1: %s", l2_last_error());
        l2_tensor_release(r);
        ok(!(r = l2_gather(t, 1, neg2)) && l2_last_status() == L2_ERR_INDEX,
           "gather refuses -1: %s", l2_last_error());
        l2_tensor_release(r);
        ok(!(r = l2_scatter_add(t, 1, neg2, src)) && l2_last_status() == L2_ERR_INDEX,
           "scatter_add refuses -1");
        l2_tensor_release(r);
        ok(!(r = l2_embedding(t, neg)) && l2_last_status() == L2_ERR_INDEX, "embedding refuses -1");
        l2_tensor_release(r);
        l2_tensor *all[] = {t, neg, neg2, src};
        for (int k = 0; k < 4; k++)
            l2_tensor_release(all[k]);
    }
    return tap_done();
}
