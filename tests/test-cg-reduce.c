/* test-cg-reduce.c: second derivatives (create_graph, issue 15) of the reductions (mean, max,
 * min, max_dim, min_dim, var, std, logsumexp, cumsum), the scan family's amax, amin, cummax,
 * cummin and the selections sort, topk, kthvalue, median, median_dim, mode: gradgradcheck
 * (tests/gradcheck.h) against central differences of libl2's own first derivative, for the input
 * and the upstream gradient, over dims, keepdim, contiguous and transposed inputs. The values
 * are distinct (no ties: the selections are smooth there). */
#include "tap.h"
#include "gradcheck.h"
#include "testutil.h"

#include <l2.h>
#include <string.h>

enum {
    MEAN, MEAN_DIMS, MAX, MIN, MAX_DIM, MIN_DIM_KEEP, VAR, VAR_ALL, STD, STD_KEEP, LSE, LSE_KEEP,
    CUMSUM, PROD, PROD_DIM, PROD_KEEP, AMAX, AMIN_KEEP, CUMMAX, CUMMIN, LCSE_SCAN, SORT, TOPK, KTH, MEDIAN, MEDIAN_DIM, MODE, N_OPS
};
static const char *names[N_OPS] = {
    "mean", "mean_dims [0] keepdim", "max", "min", "max_dim 1", "min_dim 0 keepdim",
    "var dims [1] correction 1", "var of all, correction 0", "std dims [0] correction 1",
    "std dims [1] keepdim", "logsumexp [1]", "logsumexp [0, 1] keepdim", "cumsum 1", "prod", "prod_dim 1",
    "prod_dim 0 keepdim",
    "amax [1]", "amin [0] keepdim", "cummax 1", "cummin 0", "logcumsumexp 1",
    "sort 1 descending", "topk 2 of dim 1",
    "kthvalue 2 of dim 0", "median", "median_dim 1", "mode 1"};

/* The op k of the enum on in[0] ([3, 4]); outputs that come with indices drop them. */
static l2_tensor *op(l2_tensor *const *in, void *ctx)
{
    const l2_tensor *x = in[0];
    int k = *(int *)ctx;
    l2_tensor *ix = NULL, *r = NULL;
    switch (k) {
    case MEAN: r = l2_mean(x); break;
    case MEAN_DIMS: r = l2_mean_dims(x, 1, (int[]){0}, true); break;
    case MAX: r = l2_max(x); break;
    case MIN: r = l2_min(x); break;
    case MAX_DIM: r = l2_max_dim(x, 1, false, &ix); break;
    case MIN_DIM_KEEP: r = l2_min_dim(x, 0, true, &ix); break;
    case VAR: r = l2_var(x, 1, (int[]){1}, 1, false); break;
    case VAR_ALL: r = l2_var(x, 0, NULL, 0, false); break;
    case STD: r = l2_std(x, 1, (int[]){0}, 1, false); break;
    case STD_KEEP: r = l2_std(x, 1, (int[]){1}, 1, true); break;
    case LSE: r = l2_logsumexp(x, 1, (int[]){1}, false); break;
    case LSE_KEEP: r = l2_logsumexp(x, 2, (int[]){0, 1}, true); break;
    case CUMSUM: r = l2_cumsum(x, 1); break;
    case PROD: r = l2_prod(x); break;
    case PROD_DIM: r = l2_prod_dim(x, 1, false); break;
    case PROD_KEEP: r = l2_prod_dim(x, 0, true); break;
    case AMAX: r = l2_amax(x, 1, (int[]){1}, false); break;
    case AMIN_KEEP: r = l2_amin(x, 1, (int[]){0}, true); break;
    case CUMMAX: r = l2_cummax(x, 1, &ix); break;
    case CUMMIN: r = l2_cummin(x, 0, &ix); break;
    case LCSE_SCAN: r = l2_logcumsumexp(x, 1); break;
    case SORT: r = l2_sort(x, 1, true, false, &ix); break;
    case TOPK: r = l2_topk(x, 2, 1, true, true, &ix); break;
    case KTH: r = l2_kthvalue(x, 2, 0, false, &ix); break;
    case MEDIAN: r = l2_median(x); break;
    case MEDIAN_DIM: r = l2_median_dim(x, 1, false, &ix); break;
    case MODE: r = l2_mode(x, 1, false, &ix); break;
    }
    l2_tensor_release(ix);
    /* a product with x: the second derivative in x is not zero for every op */
    l2_tensor *s = r ? l2_sum(x) : NULL, *p = s ? l2_mul(r, s) : NULL;
    l2_tensor_release(r);
    l2_tensor_release(s);
    return p;
}

/* A float64 leaf [c, r] laid out as the transpose of a contiguous [r, c]. */
static l2_tensor *leaf_t(int64_t r, int64_t c)
{
    l2_tensor *t = l2_uniform(2, (int64_t[]){r, c}, -2, 2, L2_FLOAT64);
    l2_tensor *tt = t ? l2_t(t) : NULL, *d = tt ? l2_detach(tt) : NULL;
    l2_tensor_release(t);
    l2_tensor_release(tt);
    if (d)
        l2_set_requires_grad(d, true);
    return d;
}

int main(void)
{
    int64_t live0 = l2_live_tensors();
    l2_manual_seed(15);
    for (int k = 0; k < N_OPS; k++) {
        for (int layout = 0; layout < 2; layout++) {
            l2_tensor *x = layout ? leaf_t(4, 3) : gc_leaf(2, (int64_t[]){3, 4}, -2, 2);
            char name[96];
            snprintf(name, sizeof name, "%s (%s)", names[k],
                     layout ? "transposed input" : "contiguous");
            ok(gradgradcheck(name, op, 1, &x, &k), "gradgradcheck %s", name);
            l2_tensor_release(x);
        }
    }
    /* 0-d and single-element inputs */
    {
        int ks[] = {CUMSUM, MEAN, LSE};
        for (size_t i = 0; i < 3; i++) {
            l2_tensor *x = gc_leaf(2, (int64_t[]){1, 1}, -2, 2);
            char name[96];
            snprintf(name, sizeof name, "%s of a [1, 1] input", names[ks[i]]);
            ok(gradgradcheck(name, op, 1, &x, &ks[i]), "gradgradcheck %s", name);
            l2_tensor_release(x);
        }
    }
    /* prod with zeros in the input (torch's exclusive-cumprod form): one zero in a row, two
     * zeros in a row, and the prod of everything */
    {
        int ks[] = {PROD_DIM, PROD_DIM, PROD, PROD_KEEP};
        int64_t zs[4][2][2] = {{{1, 2}, {1, 2}}, {{1, 0}, {1, 3}}, {{2, 1}, {2, 1}},
                               {{0, 1}, {2, 1}}};
        for (int i = 0; i < 4; i++) {
            l2_tensor *x = gc_leaf(2, (int64_t[]){3, 4}, -2, 2);
            l2_no_grad_begin();
            l2_set(x, zs[i][0], 0);
            l2_set(x, zs[i][1], 0);
            l2_no_grad_end();
            char name[96];
            snprintf(name, sizeof name, "%s with zeros (case %d)", names[ks[i]], i);
            ok(gradgradcheck(name, op, 1, &x, &ks[i]), "gradgradcheck %s", name);
            l2_tensor_release(x);
        }
    }
    {
        const char *ops[] = {"mean", "prod", "max", "min", "max_dim", "min_dim", "var", "std",
                             "logsumexp", "cumsum", "amax", "amin", "cummax", "cummin", "logcumsumexp", "sort",
                             "topk", "kthvalue", "median", "median_dim", "mode"};
        int all = 1;
        for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
            all &= l2_has_double_backward(ops[i]);
        ok(all, "l2_has_double_backward for the 21 ops");
    }
    is_int(l2_live_tensors(), live0, "no tensor leaked");
    return tap_done();
}
