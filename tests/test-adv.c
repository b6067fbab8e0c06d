/* test-adv.c: advanced indexing l2_index_tensors (libl2/ops/index-adv.c): hand-checked values
 * for int64 indices (negative, broadcast, adjacent and separated advanced dims), bool masks,
 * full slices, every dtype, the error paths, finite-difference gradients with repeated indices
 * and an out-of-memory sweep. */
#include <l2.h>
#include <stdint.h>
#include <string.h>

#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"
#include "adv-util.h"

static void test_values(l2_dtype dt)
{
    char nm[128];
    const char *dn = l2_dtype_name(dt);
    l2_tensor *a = ar(L2_SHAPE(2, 3, 4), L2_FLOAT64); /* x[i][j][k] = 12i + 4j + k */
    l2_tensor *x = l2_to_dtype(a, dt);
    l2_tensor *i1 = ix(L2_SHAPE(2), (const int64_t[]){-1, 0});
    l2_tensor *j1 = ix(L2_SHAPE(2, 1), (const int64_t[]){2, 1});
    double w[64];
#define V(v) ((dt) == L2_BOOL ? ((v) != 0) : (v))
    /* x[i1]: (2, 3, 4), rows 1 then 0 */
    for (int k = 0; k < 24; k++)
        w[k] = V(k < 12 ? 12 + k : k - 12);
    snprintf(nm, sizeof nm, "x[i] with a negative index (%s)", dn);
    is_vals(l2_index_tensors(x, 1, (const l2_tensor *[]){i1}), L2_SHAPE(2, 3, 4), w, nm);
    /* x[:, j1, i1] (adjacent, broadcast to (2, 2)) -> (2, 2, 2, 4)? no: dims 1, 2 -> (2, 2, 2) */
    int q = 0;
    for (int i = 0; i < 2; i++)
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 2; c++) {
                int64_t jj = r == 0 ? 2 : 1, kk = c == 0 ? 3 : 0;
                w[q++] = V(12 * i + 4 * jj + kk);
            }
    snprintf(nm, sizeof nm, "x[:, j, i] adjacent, broadcast (%s)", dn);
    is_vals(l2_index_tensors(x, 3, (const l2_tensor *[]){NULL, j1, i1}), L2_SHAPE(2, 2, 2), w,
            nm);
    /* x[i1, :, i1'] separated: (2,) at front then the 3 of dim 1: x[i1[b], j, k1[b]] */
    l2_tensor *k1 = ix(L2_SHAPE(2), (const int64_t[]){1, -2});
    q = 0;
    for (int b = 0; b < 2; b++)
        for (int j = 0; j < 3; j++)
            w[q++] = V(12 * (b == 0 ? 1 : 0) + 4 * j + (b == 0 ? 1 : 2));
    snprintf(nm, sizeof nm, "x[i, :, k] separated dims go first (%s)", dn);
    is_vals(l2_index_tensors(x, 3, (const l2_tensor *[]){i1, NULL, k1}), L2_SHAPE(2, 3), w, nm);
    /* a 2-d bool mask over dims 0, 1: true at (0, 1) and (1, 2) -> (2, 4) */
    bool mv[6] = {false, true, false, false, false, true};
    l2_tensor *m = l2_from_data(mv, L2_SHAPE(2, 3), L2_BOOL);
    for (int k = 0; k < 8; k++)
        w[k] = V(k < 4 ? 4 + k : 12 + 8 + k - 4);
    snprintf(nm, sizeof nm, "x[mask] with a 2-d mask (%s)", dn);
    is_vals(l2_index_tensors(x, 1, (const l2_tensor *[]){m}), L2_SHAPE(2, 4), w, nm);
    /* a 1-d mask on the last dim after a slice: x[:, :, mask4] with mask4 = [1,0,0,1] */
    bool m4v[4] = {true, false, false, true};
    l2_tensor *m4 = l2_from_data(m4v, L2_SHAPE(4), L2_BOOL);
    for (int k = 0; k < 12; k++)
        w[k] = V(4 * (k / 2) + (k % 2 ? 3 : 0));
    snprintf(nm, sizeof nm, "x[:, :, mask] (%s)", dn);
    is_vals(l2_index_tensors(x, 3, (const l2_tensor *[]){NULL, NULL, m4}), L2_SHAPE(2, 3, 2), w,
            nm);
    /* only slices: a copy */
    for (int k = 0; k < 24; k++)
        w[k] = V(k);
    snprintf(nm, sizeof nm, "x[:] (%s)", dn);
    is_vals(l2_index_tensors(x, 1, (const l2_tensor *[]){NULL}), L2_SHAPE(2, 3, 4), w, nm);
    /* an empty index */
    l2_tensor *e = l2_zeros(L2_SHAPE(0), L2_INT64);
    snprintf(nm, sizeof nm, "x[:, empty] (%s)", dn);
    is_vals(l2_index_tensors(x, 2, (const l2_tensor *[]){NULL, e}), L2_SHAPE(2, 0, 4), w, nm);
    /* a 0-d index drops the dim */
    l2_tensor *z = l2_scalar(-1, L2_INT64);
    for (int k = 0; k < 8; k++)
        w[k] = V(12 * (k / 4) + 8 + k % 4);
    snprintf(nm, sizeof nm, "x[:, 0-d] (%s)", dn);
    is_vals(l2_index_tensors(x, 2, (const l2_tensor *[]){NULL, z}), L2_SHAPE(2, 4), w, nm);
#undef V
    l2_tensor *all[] = {a, x, i1, j1, k1, m, m4, e, z};
    for (int k = 0; k < 9; k++)
        l2_tensor_release(all[k]);
}

static void test_errors(void)
{
    l2_tensor *x = ar(L2_SHAPE(2, 3), L2_FLOAT32);
    l2_tensor *big = ix(L2_SHAPE(1), (const int64_t[]){2});
    l2_tensor *neg = ix(L2_SHAPE(1), (const int64_t[]){-3});
    l2_tensor *i32 = l2_zeros(L2_SHAPE(1), L2_FLOAT32);
    l2_tensor *mb = l2_zeros(L2_SHAPE(3), L2_BOOL);
    l2_tensor *b2 = ix(L2_SHAPE(2), (const int64_t[]){0, 1});
    l2_tensor *b3 = ix(L2_SHAPE(3), (const int64_t[]){0, 1, 1});
    is_err(l2_index_tensors(NULL, 0, NULL), L2_ERR_NULL, "NULL", "NULL x");
    is_err(l2_index_tensors(x, 1, NULL), L2_ERR_NULL, "indices", "NULL indices");
    is_err(l2_index_tensors(x, -1, NULL), L2_ERR_ARG, "n must", "n < 0");
    is_err(l2_index_tensors(x, 1, (const l2_tensor *[]){big}), L2_ERR_INDEX, "out of bounds",
           "index 2 for size 2");
    is_err(l2_index_tensors(x, 1, (const l2_tensor *[]){neg}), L2_ERR_INDEX, "out of bounds",
           "index -3 for size 2");
    is_err(l2_index_tensors(x, 1, (const l2_tensor *[]){i32}), L2_ERR_DTYPE, "long or bool",
           "float32 index");
    is_err(l2_index_tensors(x, 1, (const l2_tensor *[]){mb}), L2_ERR_INDEX, "shape of the mask",
           "mask of the wrong size");
    is_err(l2_index_tensors(x, 3, (const l2_tensor *[]){NULL, NULL, NULL}), L2_ERR_INDEX,
           "too many indices", "too many indices");
    is_err(l2_index_tensors(x, 2, (const l2_tensor *[]){b2, b3}), L2_ERR_SHAPE, "",
           "indices that do not broadcast");
    l2_tensor *all[] = {x, big, neg, i32, mb, b2, b3};
    for (int k = 0; k < 7; k++)
        l2_tensor_release(all[k]);
}

static l2_tensor *f_adv(l2_tensor *const *in, void *ctx)
{
    return l2_index_tensors(in[0], 3, (const l2_tensor *const *)ctx);
}

static void test_grads(void)
{
    l2_tensor *x = gc_leaf(L2_SHAPE(3, 2, 4), -1, 1);
    l2_tensor *i = ix(L2_SHAPE(3), (const int64_t[]){0, -1, 0}); /* repeated: accumulates */
    l2_tensor *k = ix(L2_SHAPE(2, 1), (const int64_t[]){3, 1});
    const l2_tensor *sep[] = {i, NULL, k}, *adj[] = {NULL, NULL, k};
    gradcheck("index_tensors gradient, separated dims, repeated indices", f_adv, 1, &x,
              (void *)sep);
    gradcheck("index_tensors gradient, one index", f_adv, 1, &x, (void *)adj);
    /* the exact gradient: ones through x[i, :, k] counts each position's uses */
    l2_set_grad_none(x);
    l2_tensor *r = l2_index_tensors(x, 3, sep);
    l2_tensor *g = r ? l2_ones_like(r) : NULL;
    ok(g && l2_backward(r, g, false) == L2_OK, "backward runs");
    double want[24] = {0};
    int64_t iv[3] = {0, 2, 0}, kv[2] = {3, 1};
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++)
            for (int j = 0; j < 2; j++)
                want[iv[b] * 8 + j * 4 + kv[a]] += 1;
    l2_tensor *gf = l2_grad(x) ? l2_reshape(l2_grad(x), 1, (const int64_t[]){24}) : NULL;
    ok(gf && holds(gf, 24, want), "gradient counts repeated positions");
    l2_tensor_release(gf);
    l2_tensor_release(g);
    l2_tensor_release(r);
    oom_check("index_tensors", f_adv, 1, &x, (void *)sep);
    l2_tensor_release(x);
    l2_tensor_release(i);
    l2_tensor_release(k);
}

int main(void)
{
    const l2_dtype dts[] = {L2_FLOAT32, L2_FLOAT64, L2_INT64, L2_BOOL};
    for (int k = 0; k < 4; k++)
        test_values(dts[k]);
    test_errors();
    test_grads();
    return tap_done();
}
