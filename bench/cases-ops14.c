/* cases-ops14.c: the ops issue 14 added in session 7 (sorting and selection, scans, activations,
 * shape ops, indexing, transposed convolution), forward and forward + backward, float32, in the
 * full profile only. One table row per case: the op's name parts, its input and the call; the
 * torch twins are in bench/torch_ops14.py (same names). */
#include "cases.h"

enum {
    O_SORT,
    O_TOPK,
    O_CUMPROD,
    O_CUMMAX,
    O_LOGCUMSUMEXP,
    O_AMAX,
    O_NANSUM,
    O_HARDSWISH,
    O_MISH,
    O_FLIP,
    O_ROLL,
    O_TRIL,
    O_REPEAT,
    O_INDEX_ADD,
    O_MASKED_SELECT,
    O_TAKE,
    O_CONV_T,
    O_COUNT
};

static const struct {
    const char *op, *variant, *shape;
    int64_t out[4]; /* the result's shape (the backward's ones) */
    int out_ndim;
} rows[O_COUNT] = {
    [O_SORT] = {"sort", "dim1", "1024x1024", {1024, 1024}, 2},
    [O_TOPK] = {"topk", "k10", "1024x1024", {1024, 10}, 2},
    [O_CUMPROD] = {"cumprod", "dim1", "1024x1024", {1024, 1024}, 2},
    [O_CUMMAX] = {"cummax", "dim1", "1024x1024", {1024, 1024}, 2},
    [O_LOGCUMSUMEXP] = {"logcumsumexp", "dim1", "1024x1024", {1024, 1024}, 2},
    [O_AMAX] = {"amax", "dim0", "1024x1024", {1024}, 1},
    [O_NANSUM] = {"nansum", "dim1", "1024x1024", {1024}, 1},
    [O_HARDSWISH] = {"hardswish", "contig", "1024x1024", {1024, 1024}, 2},
    [O_MISH] = {"mish", "contig", "1024x1024", {1024, 1024}, 2},
    [O_FLIP] = {"flip", "dim0", "1024x1024", {1024, 1024}, 2},
    [O_ROLL] = {"roll", "s1d1", "1024x1024", {1024, 1024}, 2},
    [O_TRIL] = {"tril", "d0", "1024x1024", {1024, 1024}, 2},
    [O_REPEAT] = {"repeat", "2x2", "512x512", {1024, 1024}, 2},
    [O_INDEX_ADD] = {"index_add", "dim0", "4096x256-1024x256", {4096, 256}, 2},
    [O_MASKED_SELECT] = {"masked_select", "half", "1024x1024", {0}, 1},
    [O_TAKE] = {"take", "perm", "1024x1024", {1024, 1024}, 2},
    [O_CONV_T] = {"conv_transpose2d", "s2p1", "8x32x16x16-32x16x4x4", {8, 16, 32, 32}, 4},
};

/* t[0] the input (requires grad in a backward case); t[1..] the op's other operands. */
static void *setup_ops14(const bench_case *c)
{
    bdata *d = bdata_new(c);
    if (!d)
        return NULL;
    int k = (int)c->p[5], n = 1;
    l2_manual_seed(1);
    switch (k) {
    case O_REPEAT: d->t[0] = l2_randn(L2_SHAPE(512, 512), L2_FLOAT32); break;
    case O_INDEX_ADD: {
        d->t[0] = l2_randn(L2_SHAPE(4096, 256), L2_FLOAT32);
        d->t[1] = l2_randint(0, 4096, L2_SHAPE(1024));
        d->t[2] = l2_randn(L2_SHAPE(1024, 256), L2_FLOAT32);
        n = 3;
        break;
    }
    case O_MASKED_SELECT: {
        d->t[0] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        l2_tensor *r = l2_rand(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[1] = r ? l2_lt_scalar(r, 0.5) : NULL;
        l2_tensor_release(r);
        n = 2;
        break;
    }
    case O_TAKE: {
        d->t[0] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32);
        d->t[1] = l2_randint(0, 1024 * 1024, L2_SHAPE(1024, 1024));
        n = 2;
        break;
    }
    case O_CONV_T:
        d->t[0] = l2_randn(L2_SHAPE(8, 32, 16, 16), L2_FLOAT32);
        d->t[1] = l2_randn(L2_SHAPE(32, 16, 4, 4), L2_FLOAT32);
        d->t[2] = l2_randn(L2_SHAPE(16), L2_FLOAT32);
        n = 3;
        break;
    default: d->t[0] = l2_randn(L2_SHAPE(1024, 1024), L2_FLOAT32); break;
    }
    if (k == O_MASKED_SELECT) { /* the result's length is the mask's count */
        l2_tensor *cnt = d->t[1] ? l2_sum(d->t[1]) : NULL;
        double v = 0;
        int64_t len = cnt && l2_item(cnt, &v) == L2_OK ? (int64_t)v : 0;
        l2_tensor_release(cnt);
        return grad_epilogue(d, n, 0, 0, 1, &len);
    }
    int last = k == O_INDEX_ADD || k == O_CONV_T ? 2 : 0;
    return grad_epilogue(d, n, 0, last, rows[k].out_ndim, rows[k].out);
}

static l2_tensor *ops14_of(bdata *d)
{
    l2_tensor **t = d->t;
    static const int64_t s2[2] = {2, 2}, p1[2] = {1, 1}, op0[2] = {0, 0}, d1[2] = {1, 1};
    switch (d->c->p[5]) {
    case O_SORT: {
        l2_tensor *idx = NULL, *y = l2_sort(t[0], 1, false, false, &idx);
        l2_tensor_release(idx);
        return y;
    }
    case O_TOPK: {
        l2_tensor *idx = NULL, *y = l2_topk(t[0], 10, 1, true, true, &idx);
        l2_tensor_release(idx);
        return y;
    }
    case O_CUMPROD: return l2_cumprod(t[0], 1);
    case O_CUMMAX: {
        l2_tensor *idx = NULL, *y = l2_cummax(t[0], 1, &idx);
        l2_tensor_release(idx);
        return y;
    }
    case O_LOGCUMSUMEXP: return l2_logcumsumexp(t[0], 1);
    case O_AMAX: return l2_amax(t[0], 1, (const int[]){0}, false);
    case O_NANSUM: return l2_nansum(t[0], 1, (const int[]){1}, false);
    case O_HARDSWISH: return l2_hardswish(t[0]);
    case O_MISH: return l2_mish(t[0]);
    case O_FLIP: return l2_flip(t[0], 1, (const int[]){0});
    case O_ROLL: return l2_roll(t[0], 1, (const int64_t[]){1}, 1, (const int[]){1});
    case O_TRIL: return l2_tril(t[0], 0);
    case O_REPEAT: return l2_repeat(t[0], 2, (const int64_t[]){2, 2});
    case O_INDEX_ADD: return l2_index_add(t[0], 0, t[1], t[2], 1.0);
    case O_MASKED_SELECT: return l2_masked_select(t[0], t[1]);
    case O_TAKE: return l2_take(t[0], t[1]);
    default: return l2_conv_transpose2d(t[0], t[1], t[2], s2, p1, op0, 1, d1);
    }
}

static int run_ops14(void *p) { return bench_consume(ops14_of(p)); }

static int run_ops14_bwd(void *p)
{
    bdata *d = p;
    int k = (int)d->c->p[5];
    return nn_finish_bwd(d, ops14_of(d), 0, k == O_INDEX_ADD || k == O_CONV_T ? 2 : 0);
}

void bench_cases_ops14(void)
{
    if (!bench_full_profile())
        return;
    for (int grad = 0; grad < 2; grad++)
        for (int k = 0; k < O_COUNT; k++) {
            bench_case c = nn_case(rows[k].op, grad, rows[k].variant, rows[k].shape,
                                   setup_ops14, grad ? run_ops14_bwd : run_ops14);
            c.p[5] = k;
            c.items = k == O_INDEX_ADD ? 1024.0 * 256 : k == O_CONV_T ? 8.0 * 16 * 32 * 32
                                                                      : 1024.0 * 1024;
            c.bytes = 8.0 * c.items;
            bench_add(c, NULL);
        }
}
