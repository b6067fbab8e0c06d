/* scan-cg.c: the differentiable backward (create_graph, issue 15) of cumprod (scan.c), with
 * recorded public ops: torch 1.13's cumprod_backward, whose double backward is autograd of the
 * formula it runs with grad mode on. Not here: cummax, cummin, logcumsumexp (sort-cg.c). */
#include "reduce-impl.h"

/* Release the n tensors of ts (NULLs allowed). */
static void drop(int n, l2_tensor **ts)
{
    for (int i = 0; i < n; i++)
        l2_tensor_release(ts[i]);
}

/* The omitted products of a row x of n elements along dim d (torch's grad-mode branch):
 *   dx_j = sum_{k >= j} dy_k prod_{i <= k, i != j} x_i
 * evaluated on x seen with one more dim at d (j) and the row at d + 1 (i, then k): x with its
 * j-th element replaced by 1, cumprod along d + 1, times dy, the terms k < j dropped, summed
 * over d + 1. No division: zeros are fine. Memory: n times the input. New reference or NULL. */
static l2_tensor *omitted_products(const l2_tensor *x, const l2_tensor *g, int d)
{
    const int nd = x->ndim;
    const int64_t n = x->shape[d];
    int64_t esh[L2_MAX_DIMS + 1];
    for (int k = 0; k <= nd; k++)
        esh[k] = k == d || k == d + 1 ? n : 1;
    l2_tensor *t[14] = {NULL}, *r = NULL;
    /* t[1]: i == j; t[5]: k >= j (upper triangle, rows j, columns k) */
    if ((t[0] = l2_eye(n, n, x->dtype)) && (t[1] = l2_ne_scalar(t[0], 0)) &&
        (t[2] = l2_reshape(t[1], nd + 1, esh)) &&
        (t[3] = l2_ones(2, (int64_t[]){n, n}, x->dtype)) &&
        (t[4] = l2_triu(t[3], 0)) && (t[5] = l2_ne_scalar(t[4], 0)) &&
        (t[6] = l2_reshape(t[5], nd + 1, esh)) && (t[7] = l2_scalar(1, x->dtype)) &&
        (t[8] = l2_unsqueeze(x, d)) && (t[9] = l2_where(t[2], t[7], t[8])) &&
        (t[10] = l2_cumprod(t[9], d + 1)) && (t[11] = l2_unsqueeze(g, d)) &&
        (t[12] = l2_mul(t[10], t[11])) && (t[13] = l2_scalar(0, x->dtype))) {
        l2_tensor *m = l2_where(t[6], t[12], t[13]);
        r = m ? l2_sum_dims(m, 1, (int[]){d + 1}, false) : NULL;
        l2_tensor_release(m);
    }
    drop(14, t);
    return r;
}

/* torch 1.13's cumprod_backward: dy itself when x has at most one element or dim has size 1;
 * without a zero anywhere in x, dx = reversed_cumsum(out dy) / x (out recomputed from the
 * attached x: the graph goes through cumprod again); with zeros, the omitted products. */
l2_status l2__cumprod_backward_cg(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    if (n->in_ndim[0] == 0 || l2__numel(n->in_ndim[0], n->in_shape[0]) <= 1 ||
        n->in_shape[0][d] == 1) {
        gin[0] = l2_tensor_ref((l2_tensor *)gout);
        return L2_OK;
    }
    l2_tensor *x = l2__saved_graph(n, 0), *t[6] = {NULL};
    l2_status st = x ? L2_OK : l2_last_status();
    double zeros = 0;
    if (st == L2_OK) {
        l2_tensor *z = l2_eq_scalar(n->saved[0], 0), *a = z ? l2_any(z) : NULL;
        if (!a || l2_item(a, &zeros) != L2_OK)
            st = l2_last_status();
        l2_tensor_release(z);
        l2_tensor_release(a);
    }
    if (st != L2_OK) {
    } else if (zeros == 0) {
        if (!(t[0] = l2_cumprod(x, d)) || !(t[1] = l2_mul(t[0], gout)) ||
            !(t[2] = l2_flip(t[1], 1, &d)) || !(t[3] = l2_cumsum(t[2], d)) ||
            !(t[4] = l2_flip(t[3], 1, &d)) || !(gin[0] = l2_div(t[4], x)))
            st = l2_last_status();
    } else if (!(gin[0] = omitted_products(x, gout, d))) {
        st = l2_last_status();
    }
    drop(6, t);
    l2_tensor_release(x);
    return st;
}
