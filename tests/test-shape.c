/* test-shape.c: the shape family (issue 14): split, split_with_sizes, chunk, unbind. Piece
 * counts and shapes (uneven last piece, empty dims, torch's chunk counts), the pieces are views
 * (same storage, values), negative dims, non-contiguous input, the count-only query, errors
 * (status, message, out and count untouched), and gradients reaching the input. */
#include <l2.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

static void release_all(l2_tensor **p, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        l2_tensor_release(p[i]);
}

/* The pieces' sizes along dim d are want[0..n). */
static int sizes_are(l2_tensor **p, int64_t n, int d, const int64_t *want)
{
    for (int64_t i = 0; i < n; i++)
        if (!p[i] || l2_shape(p[i])[d] != want[i])
            return 0;
    return 1;
}

static void test_split(void)
{
    l2_tensor *t = ar(L2_SHAPE(2, 7), L2_FLOAT32);
    l2_tensor *p[8] = {0};
    int64_t n = -1;
    ok(l2_split(t, 3, 1, NULL, 0, &n) == L2_OK && n == 3, "split: count-only query 7/3 -> 3");
    ok(l2_split(t, 3, -1, p, 8, &n) == L2_OK && n == 3, "split: 3 pieces along -1");
    ok(sizes_are(p, 3, 1, (const int64_t[]){3, 3, 1}), "split: sizes 3, 3, 1");
    ok(l2_shares_storage(p[2], t), "split: pieces are views");
    is_near(at(p[1], (int64_t[]){1, 2}), 12.0, 0, "split: piece 1 [1, 2] = t[1, 5]");
    is_near(at(p[2], (int64_t[]){0, 0}), 6.0, 0, "split: last piece [0, 0] = t[0, 6]");
    release_all(p, n);
    ok(l2_split(t, 7, 1, p, 8, &n) == L2_OK && n == 1, "split: size = split_size -> 1");
    release_all(p, n);
    ok(l2_split(t, 100, 0, p, 8, &n) == L2_OK && n == 1 && l2_shape(p[0])[0] == 2,
       "split: split_size > size -> the whole");
    release_all(p, n);

    /* errors: nothing written */
    p[0] = NULL;
    n = 42;
    ok(l2_split(t, 3, 1, p, 2, &n) == L2_ERR_ARG && n == 42 && p[0] == NULL &&
           strlen(l2_last_error()) > 0, "split: cap too small fails, writes nothing");
    ok(l2_split(t, 0, 1, p, 8, &n) == L2_ERR_ARG && n == 42, "split: split_size 0 on size 7");
    ok(l2_split(t, -1, 1, p, 8, &n) == L2_ERR_ARG && n == 42, "split: negative split_size");
    ok(l2_split(t, 1, 2, p, 8, &n) == L2_ERR_DIM && n == 42, "split: dim out of range");
    ok(l2_split(NULL, 1, 0, p, 8, &n) == L2_ERR_NULL, "split: NULL t");
    ok(l2_split(t, 1, 0, p, 8, NULL) == L2_ERR_NULL, "split: NULL count");
    l2_tensor *s = l2_scalar(1.0, L2_FLOAT32);
    ok(l2_split(s, 1, 0, p, 8, &n) == L2_ERR_DIM && n == 42, "split: 0-d tensor");
    l2_tensor_release(s);

    /* empty dim: one empty piece; split_size 0 allowed */
    l2_tensor *e = l2_zeros(L2_SHAPE(0, 3), L2_FLOAT64);
    ok(l2_split(e, 2, 0, p, 8, &n) == L2_OK && n == 1 && l2_shape(p[0])[0] == 0,
       "split: size-0 dim -> one empty piece");
    release_all(p, n);
    ok(l2_split(e, 0, 0, p, 8, &n) == L2_OK && n == 1, "split: split_size 0 on an empty dim");
    release_all(p, n);
    l2_tensor_release(e);

    /* non-contiguous input */
    l2_tensor *tt = l2_t(t); /* 7x2 */
    ok(l2_split(tt, 2, 0, p, 8, &n) == L2_OK && n == 4 &&
           sizes_are(p, 4, 0, (const int64_t[]){2, 2, 2, 1}), "split: transposed input");
    is_near(at(p[3], (int64_t[]){0, 1}), 13.0, 0, "split: transposed piece value");
    release_all(p, n);
    l2_tensor_release(tt);
    l2_tensor_release(t);
}

static void test_split_with_sizes(void)
{
    l2_tensor *t = ar(L2_SHAPE(6, 2), L2_INT64);
    l2_tensor *p[4] = {0};
    int64_t n = -1;
    ok(l2_split_with_sizes(t, 3, (const int64_t[]){1, 0, 5}, 0, p, 4, &n) == L2_OK && n == 3 &&
           sizes_are(p, 3, 0, (const int64_t[]){1, 0, 5}), "split_with_sizes: 1, 0, 5");
    is_near(at(p[2], (int64_t[]){0, 1}), 3.0, 0, "split_with_sizes: piece 2 starts at row 1");
    release_all(p, n);
    n = 7;
    ok(l2_split_with_sizes(t, 2, (const int64_t[]){1, 4}, 0, p, 4, &n) == L2_ERR_ARG && n == 7,
       "split_with_sizes: sum 5 != 6");
    ok(l2_split_with_sizes(t, 2, (const int64_t[]){-1, 7}, 0, p, 4, &n) == L2_ERR_ARG,
       "split_with_sizes: negative size");
    ok(l2_split_with_sizes(t, 2, (const int64_t[]){INT64_MAX, 7}, 0, p, 4, &n) ==
           L2_ERR_OVERFLOW, "split_with_sizes: overflowing sum");
    ok(l2_split_with_sizes(t, 2, NULL, 0, p, 4, &n) == L2_ERR_NULL, "split_with_sizes: NULL");
    l2_tensor_release(t);
}

static void test_chunk(void)
{
    l2_tensor *t = ar(L2_SHAPE(5), L2_FLOAT32);
    l2_tensor *p[8] = {0};
    int64_t n = -1;
    ok(l2_chunk(t, 4, 0, p, 8, &n) == L2_OK && n == 3 &&
           sizes_are(p, 3, 0, (const int64_t[]){2, 2, 1}), "chunk: 5 into 4 -> 2, 2, 1");
    release_all(p, n);
    ok(l2_chunk(t, 6, 0, p, 8, &n) == L2_OK && n == 5, "chunk: more chunks than elements");
    release_all(p, n);
    l2_tensor *e = l2_zeros(L2_SHAPE(2, 0), L2_BOOL);
    ok(l2_chunk(e, 3, 1, p, 8, &n) == L2_OK && n == 3 &&
           sizes_are(p, 3, 1, (const int64_t[]){0, 0, 0}), "chunk: empty dim -> chunks pieces");
    release_all(p, n);
    l2_tensor_release(e);
    n = 9;
    ok(l2_chunk(t, 0, 0, p, 8, &n) == L2_ERR_ARG && n == 9, "chunk: 0 chunks");
    l2_tensor_release(t);
}

static void test_unbind(void)
{
    l2_tensor *t = ar(L2_SHAPE(2, 3), L2_FLOAT64);
    l2_tensor *p[4] = {0};
    int64_t n = -1;
    ok(l2_unbind(t, -1, p, 4, &n) == L2_OK && n == 3 && same_shape(p[2], L2_SHAPE(2)),
       "unbind: dim -1 -> three (2)");
    is_near(at(p[2], (int64_t[]){1}), 5.0, 0, "unbind: value");
    ok(l2_shares_storage(p[0], t), "unbind: views");
    release_all(p, n);
    l2_tensor *e = l2_zeros(L2_SHAPE(0, 3), L2_FLOAT32);
    ok(l2_unbind(e, 0, p, 4, &n) == L2_OK && n == 0, "unbind: size 0 -> no pieces");
    l2_tensor_release(e);
    l2_tensor_release(t);
}

/* d/dx of sum_i (i + 1) * sum(piece i): each element's gradient is its piece's number + 1. */
static void test_grad(void)
{
    l2_tensor *x = ar(L2_SHAPE(3, 5), L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *p[4] = {0};
    int64_t n = 0;
    ok(l2_split(x, 2, 1, p, 4, &n) == L2_OK && n == 3, "grad: split");
    l2_tensor *loss = NULL;
    for (int64_t i = 0; i < n; i++) {
        l2_tensor *s = l2_sum(p[i]);
        l2_tensor *w = l2_mul_scalar(s, (double)(i + 1));
        l2_tensor *nl = loss ? l2_add(loss, w) : l2_keep(w);
        l2_tensor_release(s);
        l2_tensor_release(w);
        if (loss)
            l2_tensor_release(loss);
        loss = nl;
    }
    ok(loss && l2_backward(loss, NULL, false) == L2_OK, "grad: backward");
    const l2_tensor *g = l2_grad(x);
    is_near(at(g, (int64_t[]){2, 1}), 1.0, 0, "grad: column 1 in piece 0");
    is_near(at(g, (int64_t[]){0, 3}), 2.0, 0, "grad: column 3 in piece 1");
    is_near(at(g, (int64_t[]){1, 4}), 3.0, 0, "grad: column 4 in piece 2");
    l2_tensor_release(loss);
    release_all(p, n);

    l2_tensor *q[4] = {0};
    ok(l2_unbind(x, 0, q, 4, &n) == L2_OK && n == 3, "grad: unbind");
    l2_tensor *s = l2_sum(q[1]);
    ok(l2_backward(s, NULL, false) == L2_OK, "grad: unbind backward");
    is_near(at(g, (int64_t[]){1, 0}), 2.0, 0, "grad: unbind row 1 accumulates");
    is_near(at(g, (int64_t[]){0, 0}), 1.0, 0, "grad: unbind row 0 unchanged");
    l2_tensor_release(s);
    release_all(q, n);
    l2_tensor_release(x);
}

/* The ops of the second half (tensor_split .. meshgrid): values against hand-computed ones,
 * views where torch has views, and a gradient each. Runs inside a scope. */
static void test_more(void)
{
    l2_scope_begin();
    l2_tensor *t = ar(L2_SHAPE(3, 4), L2_FLOAT64); /* t[i][j] = 4 i + j */
    l2_tensor *p[8] = {0};
    int64_t n = -1;
    ok(l2_tensor_split(t, 3, 1, p, 8, &n) == L2_OK && n == 3 &&
           sizes_are(p, 3, 1, (const int64_t[]){2, 1, 1}), "tensor_split: 4 in 3 -> 2, 1, 1");
    is_near(at(p[2], (int64_t[]){2, 0}), 11.0, 0, "tensor_split: last piece value");
    ok(l2_tensor_split_indices(t, 2, (const int64_t[]){-1, 1}, 1, p, 8, &n) == L2_OK &&
           n == 3 && sizes_are(p, 3, 1, (const int64_t[]){3, 0, 3}),
       "tensor_split: indices -1, 1 -> 3, 0 (end before start), 3");
    ok(l2_shares_storage(p[2], t), "tensor_split: views");

    l2_tensor *m = l2_movedim(ar(L2_SHAPE(2, 3, 4), L2_FLOAT32), 1, (const int[]){0},
                              (const int[]){-1});
    ok(m && same_shape(m, 3, (const int64_t[]){3, 4, 2}), "movedim: (2,3,4) 0 -> -1: (3,4,2)");
    is_near(at(m, (int64_t[]){1, 2, 1}), 18.0, 0, "movedim: value");

    l2_tensor *f = l2_flip(t, 2, (const int[]){0, -1});
    is_near(at(f, (int64_t[]){0, 0}), 11.0, 0, "flip: both dims");
    ok(!l2_shares_storage(f, t), "flip: a copy");
    l2_tensor *r = l2_roll(t, 1, (const int64_t[]){-5}, 1, (const int[]){1});
    is_near(at(r, (int64_t[]){1, 0}), 5.0, 0, "roll: by -5 along 4 -> [1][0] = t[1][1]");
    l2_tensor *rf = l2_roll(t, 1, (const int64_t[]){1}, 0, NULL);
    is_near(at(rf, (int64_t[]){0, 0}), 11.0, 0, "roll: flattened, last first");
    is_near(at(rf, (int64_t[]){1, 0}), 3.0, 0, "roll: flattened, row wraps");

    l2_tensor *lo = l2_tril(t, -1), *up = l2_triu(t, 1);
    ok(at(lo, (int64_t[]){1, 0}) == 4.0 && at(lo, (int64_t[]){1, 1}) == 0.0 &&
           at(up, (int64_t[]){1, 2}) == 6.0 && at(up, (int64_t[]){1, 1}) == 0.0,
       "tril -1 / triu 1");
    l2_tensor *dg = l2_diagonal(t, 1, 0, 1);
    ok(dg && same_shape(dg, 1, (const int64_t[]){3}) && l2_shares_storage(dg, t) &&
           at(dg, (int64_t[]){2}) == 11.0, "diagonal: offset 1 of 3x4 is (1, 6, 11), a view");
    l2_tensor *dv = l2_diag(l2_diagonal(t, 0, 0, 1), -1);
    ok(dv && same_shape(dv, 2, (const int64_t[]){4, 4}) && at(dv, (int64_t[]){2, 1}) == 5.0 &&
           at(dv, (int64_t[]){1, 1}) == 0.0, "diag: (0, 5, 10) on diagonal -1 of 4x4");
    l2_tensor *rp = l2_repeat(t, 3, (const int64_t[]){2, 1, 2});
    ok(rp && same_shape(rp, 3, (const int64_t[]){2, 3, 8}) &&
           at(rp, (int64_t[]){1, 2, 5}) == 9.0, "repeat: (2,1,2) of (3,4)");
    l2_tensor *tl = l2_tile(t, 1, (const int64_t[]){2});
    ok(tl && same_shape(tl, 2, (const int64_t[]){3, 8}), "tile: reps (2) -> (3, 8)");
    l2_tensor *ri = l2_repeat_interleave(t, 2, (const int[]){0});
    ok(ri && same_shape(ri, 2, (const int64_t[]){6, 4}) && at(ri, (int64_t[]){3, 0}) == 4.0,
       "repeat_interleave: 2 along 0");
    l2_tensor *rt = l2_repeat_interleave_tensor(t, l2_from_data((const int64_t[]){0, 3, 1}, 1,
                                                                (const int64_t[]){3}, L2_INT64),
                                                (const int[]){0});
    ok(rt && same_shape(rt, 2, (const int64_t[]){4, 4}) && at(rt, (int64_t[]){3, 0}) == 8.0,
       "repeat_interleave: counts 0, 3, 1");
    l2_tensor *ro = l2_rot90(t, 1, (const int[]){0, 1});
    ok(ro && same_shape(ro, 2, (const int64_t[]){4, 3}) && at(ro, (int64_t[]){0, 0}) == 3.0 &&
           at(ro, (int64_t[]){3, 2}) == 8.0, "rot90: k 1 (numpy's counterclockwise)");
    l2_tensor *g[2];
    l2_tensor *a = ar(L2_SHAPE(2), L2_FLOAT32), *b = ar(L2_SHAPE(3), L2_FLOAT32);
    ok(l2_meshgrid(2, (l2_tensor *const[]){a, b}, "xy", g, 2, &n) == L2_OK && n == 2 &&
           same_shape(g[0], 2, (const int64_t[]){3, 2}) && at(g[0], (int64_t[]){2, 1}) == 1.0 &&
           at(g[1], (int64_t[]){2, 1}) == 2.0, "meshgrid: xy gives (3, 2)");

    /* gradients: diagonal's own node, and ops composed of index_select and where */
    l2_tensor *x = ar(L2_SHAPE(3, 4), L2_FLOAT64);
    l2_set_requires_grad(x, true);
    l2_tensor *loss = l2_add(l2_sum(l2_diagonal(x, -1, 1, 0)), l2_sum(l2_tril(x, 0)));
    loss = l2_add(loss, l2_sum(l2_mul(l2_roll(x, 1, (const int64_t[]){1}, 0, NULL), x)));
    ok(loss && l2_backward(loss, NULL, false) == L2_OK, "grad: backward");
    const l2_tensor *gx = l2_grad(x);
    /* d/dx[i][j]: diagonal -1 of the (4,3) view = x[i][i+1]; tril 0: j <= i; roll: x[prev] +
     * x[next] of the flattened order */
    is_near(at(gx, (int64_t[]){0, 1}), 1.0 + 0.0 + 0.0 + 2.0, 0, "grad: x[0][1]");
    is_near(at(gx, (int64_t[]){1, 1}), 0.0 + 1.0 + 4.0 + 6.0, 0, "grad: x[1][1]");
    is_near(at(gx, (int64_t[]){0, 0}), 0.0 + 1.0 + 11.0 + 1.0, 0, "grad: x[0][0] wraps");
    ok(strcmp(l2_grad_fn_name(l2_diagonal(x, 0, 0, 1)), "diagonal") == 0,
       "grad: diagonal's node");
    l2_scope_end();
}

int main(void)
{
    test_split();
    test_split_with_sizes();
    test_chunk();
    test_unbind();
    test_grad();
    test_more();
    return tap_done();
}
