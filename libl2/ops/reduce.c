/* reduce.c: sum, mean, prod, max/min (all and along a dim, with indices), argmax/argmin, each
 * forward with its backward below it. The machinery is in reduce-plan.c, the forward kernels in
 * reduce-kern.c; var/std, logsumexp, norm, cumsum and all/any in reduce-stats.c. Not here:
 * median, mode, quantiles, cumprod, the nan- variants. */
#include "reduce-impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- sum and mean -------------------------------------------------------------------------- */

l2_tensor *l2_sum_dims(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    L2__HALF_ROUTE(l2_sum_dims(H_[0], ndims, dims, keepdim), t);
    const char *op = "sum";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    if (!l2__rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    rctx c = {.mode = M_OUT};
    l2_tensor *r =
        l2__reduce_new(op, t, &rd, l2__is_float(t->dtype) ? t->dtype : L2_INT64, &l2__rk_sum, &c);
    if (r && l2__reduce_wants_grad(t) && !l2__reduce_record(L2__OP_SUM, r, t, &rd, 0, NULL))
        return NULL;
    return l2__ret(r);
}

l2_tensor *l2_sum(const l2_tensor *t) { return l2_sum_dims(t, 0, NULL, false); }

/* dx = expand(dy): a stride-0 view, no copy. */
l2_status l2__sum_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    gin[0] = l2__expand_grad(n, &rd, gout);
    return gin[0] ? L2_OK : l2_last_status();
}

/* The mean over dims (all of them when ndims is 0). by_dims tells l2_mean_dims from l2_mean:
 * torch 1.13's node for a mean over dims (MeanBackward1) saves its input, the one for a mean of
 * everything (MeanBackward0) saves nothing; libl2 saves nothing in both but marks the first as
 * saving, so that a second backward without retain_graph fails where torch's does. */
static l2_tensor *mean_impl(const l2_tensor *t, int ndims, const int *dims, bool keepdim,
                            bool by_dims)
{
    const char *op = "mean";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: could not infer output dtype. Input dtype must be either a floating point or "
              "complex dtype. Got: %s", op, l2_dtype_name(t->dtype));
    if (!l2__rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    rctx c = {.mode = M_MEAN};
    l2_tensor *r = l2__reduce_new(op, t, &rd, t->dtype, &l2__rk_sum, &c);
    if (r && l2__reduce_wants_grad(t)) {
        l2__node *n = l2__reduce_record(L2__OP_MEAN, r, t, &rd, 0, NULL);
        if (!n)
            return NULL;
        n->torch_saves = by_dims;
    }
    return l2__ret(r);
}

l2_tensor *l2_mean_dims(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    L2__HALF_ROUTE(l2_mean_dims(H_[0], ndims, dims, keepdim), t);
    return mean_impl(t, ndims, dims, keepdim, true);
}

l2_tensor *l2_mean(const l2_tensor *t)
{
    L2__HALF_ROUTE(l2_mean(H_[0]), t);
    return mean_impl(t, 0, NULL, false, false);
}

/* dx = expand(dy / N): dy / N is computed once per output (in the input's dtype, so that the
 * engine need not convert), then viewed with stride 0. */
l2_status l2__mean_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    l2_tensor *g = l2__new("backward", gout->ndim, gout->shape, n->in_dtype[0], false);
    if (!g)
        return l2_last_status();
    l2__copy_kernel(g, gout);
    const double N = (double)rd.nred;
    L2__DISPATCH_FLOAT(g->dtype, {
        T *gd = (T *)l2__data(g);
        for (int64_t o = 0; o < rd.nout; o++)
            gd[o] = (T)((double)gd[o] / N);
    });
    gin[0] = l2__expand_grad(n, &rd, g);
    l2_tensor_release(g);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- prod ---------------------------------------------------------------------------------- */

static l2_tensor *prod_impl(const l2_tensor *t, bool all, int dim, bool keepdim)
{
    const char *op = "prod";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    if (!l2__rdims_parse(op, t, all ? 0 : 1, &dim, keepdim, &rd))
        return NULL;
    rctx c = {.mode = M_OUT};
    l2_tensor *r =
        l2__reduce_new(op, t, &rd, l2__is_float(t->dtype) ? t->dtype : L2_INT64, &l2__rk_prod, &c);
    if (r && l2__reduce_wants_grad(t) && !l2__reduce_record(L2__OP_PROD, r, t, &rd, 1, &t))
        return NULL;
    return l2__ret(r);
}

l2_tensor *l2_prod(const l2_tensor *t)
{
    L2__HALF_ROUTE(l2_prod(H_[0]), t);
    return prod_impl(t, true, 0, false);
}
l2_tensor *l2_prod_dim(const l2_tensor *t, int dim, bool keepdim)
{
    L2__HALF_ROUTE(l2_prod_dim(H_[0], dim, keepdim), t);
    return prod_impl(t, false, dim, keepdim);
}

static void init_prod_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->g[o];
    a->s = c->m[o];
    a->k = c->ip[o];
}

/* With P the product of the non-zero elements and Z the number of zeros in the slice:
 * Z = 0: dx = dy * (P / x);  Z = 1: dx = dy * P at the zero, 0 elsewhere;  Z > 1: dx = 0.
 * P / x first, as torch: dy * P can underflow to 0 where P is subnormal and P / x is not.
 * A 0-d input (ctx mode PROD_BW_0D) gets dy itself, as torch's prod_backward, whatever x is
 * (P / x is NaN at x = inf or NaN; found by the oracle, area opsp). */
enum { PROD_BW_0D = 1 };
static void prod_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                        const void *ctx)
{
    const double g = a->m, P = a->s;
    const int64_t z = a->k;
    const bool id = ((const rctx *)ctx)->mode == PROD_BW_0D;
    MAP_ROW(id ? g : x != 0 ? (z == 0 ? g * (P / x) : 0.0) : (z == 1 ? g * P : 0.0));
}

static const rkern K_PROD_BW = {.init = init_prod_bw, .row = prod_bw_row};

l2_status l2__prod_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    const l2_tensor *x = n->saved[0];
    l2_tensor *g = l2__grad_f64(gout);
    double *pnz = l2__malloc(sizeof(double) * (size_t)(rd.nout + 1), "prod backward");
    int64_t *cnt = l2__malloc(sizeof(int64_t) * (size_t)(rd.nout + 1), "prod backward");
    if (g && pnz && cnt) {
        rctx c = {.dout = pnz, .iout = cnt};
        rctx cb = {.g = (const double *)l2__data(g), .m = pnz, .ip = cnt,
                   .mode = x->ndim == 0 ? PROD_BW_0D : M_OUT};
        if (l2__reduce_pass(x, &rd, &l2__rk_prodnz, &c))
            gin[0] = l2__reduce_map(n, &rd, x, false, &K_PROD_BW, &cb);
    }
    l2_tensor_release(g);
    l2__free(pnz);
    l2__free(cnt);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- max / min ----------------------------------------------------------------------------- */

static l2_tensor *ext_all(const char *op, const l2_tensor *t, bool is_min, l2__op node_op)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__numel(t->ndim, t->shape) > 0, NULL, L2_ERR_ARG,
              "%s: Expected reduction dim to be specified for input.numel() == 0. Specify the "
              "reduction dim with the 'dim' argument.", op);
    l2__rdims_parse(op, t, 0, NULL, false, &rd);
    rctx c = {.mode = M_OUT, .is_min = is_min};
    l2_tensor *r = l2__reduce_new(op, t, &rd, t->dtype, &l2__rk_ext, &c);
    if (r && l2__reduce_wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        if (!l2__reduce_record(node_op, r, t, &rd, 2, save))
            return NULL;
    }
    return l2__ret(r);
}

l2_tensor *l2_max(const l2_tensor *t)
{
    L2__HALF_ROUTE(l2_max(H_[0]), t);
    return ext_all("max", t, false, L2__OP_MAX);
}
l2_tensor *l2_min(const l2_tensor *t)
{
    L2__HALF_ROUTE(l2_min(H_[0]), t);
    return ext_all("min", t, true, L2__OP_MIN);
}

static void init_even_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->m[o];
    a->s = c->g[o] / (double)c->ip[o];
}

/* dx = dy / count where x equals the result (both NaN counts as equal), 0 elsewhere. */
static void even_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                        const void *ctx)
{
    const double m = a->m, s = a->s;
    const bool mnan = isnan(m);
    MAP_ROW(x == m || (mnan && isnan(x)) ? s : 0.0);
}

/* shared with reduce3.c (amax, amin) */
const rkern l2__rk_even_bw = {.init = init_even_bw, .row = even_bw_row};

/* Backward of the all-reduce max/min: dy split evenly among the ties (torch 1.13). */
static l2_status ext_all_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    const l2_tensor *x = n->saved[0];
    double m = l2__get_flat(n->saved[1], 0);
    int64_t cnt = 0;
    rctx c = {.m = &m, .iout = &cnt, .mode = 0};
    if (!l2__reduce_pass(x, &rd, &l2__rk_count, &c))
        return l2_last_status();
    l2_tensor *g = l2__grad_f64(gout);
    if (!g)
        return l2_last_status();
    rctx cb = {.g = (const double *)l2__data(g), .m = &m, .ip = &cnt};
    gin[0] = l2__reduce_map(n, &rd, x, false, &l2__rk_even_bw, &cb);
    l2_tensor_release(g);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__max_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_all_backward(n, gout, gin);
}

l2_status l2__min_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_all_backward(n, gout, gin);
}

/* Check that reducing dim d of t (one dim) is possible for ops that need an element. */
static bool check_nonempty_dim(const char *op, const l2_tensor *t, int d)
{
    L2__CHECK(t->ndim == 0 || t->shape[d] > 0, false, L2_ERR_ARG,
              "%s: Expected reduction dim %d to have non-zero size.", op, d);
    return true;
}

static l2_tensor *ext_dim(const char *op, const l2_tensor *t, int dim, bool keepdim,
                          l2_tensor **indices, bool is_min, l2__op node_op)
{
    rdims rd;
    if (indices)
        *indices = NULL;
    L2__CHECK_T(t, NULL, op);
    if (!l2__rdims_parse(op, t, 1, &dim, keepdim, &rd))
        return NULL;
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (!check_nonempty_dim(op, t, d))
        return NULL;
    l2_tensor *idx = l2__new(op, rd.out_ndim, rd.out_shape, L2_INT64, false);
    if (!idx)
        return NULL;
    rctx c = {.mode = M_OUT, .is_min = is_min, .iout = (int64_t *)l2__data(idx)};
    l2_tensor *r = l2__reduce_new(op, t, &rd, t->dtype, &l2__rk_ext, &c);
    if (r && l2__reduce_wants_grad(t)) {
        const l2_tensor *save[1] = {idx};
        if (!l2__reduce_record(node_op, r, t, &rd, 1, save))
            r = NULL;
    }
    if (!r || !indices) {
        l2_tensor_release(idx);
        return l2__ret(r);
    }
    *indices = l2__ret(idx);
    return l2__ret(r);
}

l2_tensor *l2_max_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices)
{
    L2__HALF_ROUTE2(indices, l2_max_dim(H_[0], dim, keepdim, indices), t);
    return ext_dim("max", t, dim, keepdim, indices, false, L2__OP_MAX_DIM);
}

l2_tensor *l2_min_dim(const l2_tensor *t, int dim, bool keepdim, l2_tensor **indices)
{
    L2__HALF_ROUTE2(indices, l2_min_dim(H_[0], dim, keepdim, indices), t);
    return ext_dim("min", t, dim, keepdim, indices, true, L2__OP_MIN_DIM);
}

static void init_scatter_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->g[o];
    a->k = c->ip[o];
}

/* dx = dy at the selected index along dim, 0 elsewhere (gin starts zeroed). */
static void scatter_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                           const void *ctx)
{
    if (a->k < pos || a->k >= pos + n)
        return;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt,
                       *(T *)(ptr[0] + (a->k - pos) * step[0]) = (T)a->m);
}

static const rkern K_SCATTER_BW = {.init = init_scatter_bw, .row = scatter_bw_row, .ordered = true};

static l2_status ext_dim_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    l2_tensor *g = l2__grad_f64(gout);
    if (!g)
        return l2_last_status();
    rctx c = {.g = (const double *)l2__data(g), .ip = (const int64_t *)l2__data(n->saved[0])};
    gin[0] = l2__reduce_map(n, &rd, NULL, true, &K_SCATTER_BW, &c);
    l2_tensor_release(g);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__max_dim_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_dim_backward(n, gout, gin);
}

l2_status l2__min_dim_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_dim_backward(n, gout, gin);
}

/* ---- argmax / argmin (not differentiable) -------------------------------------------------- */

static l2_tensor *arg_impl(const char *op, const l2_tensor *t, bool all, int dim, bool keepdim,
                           bool is_min)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: \"%s_cpu\" not implemented for 'Bool'",
              op, op);
    if (all) {
        L2__CHECK(l2__numel(t->ndim, t->shape) > 0, NULL, L2_ERR_ARG,
                  "%s: Expected reduction dim to be specified for input.numel() == 0.", op);
        l2__rdims_parse(op, t, 0, NULL, false, &rd);
    } else {
        if (!l2__rdims_parse(op, t, 1, &dim, keepdim, &rd))
            return NULL;
        if (!check_nonempty_dim(op, t, l2__wrap_dim(op, dim, t->ndim)))
            return NULL;
    }
    rctx c = {.mode = M_ARG, .is_min = is_min};
    return l2__ret(l2__reduce_new(op, t, &rd, L2_INT64, &l2__rk_ext, &c));
}

l2_tensor *l2_argmax(const l2_tensor *t)
{
    L2__HALF_ROUTE(l2_argmax(H_[0]), t);
    return arg_impl("argmax", t, true, 0, false, false);
}
l2_tensor *l2_argmin(const l2_tensor *t)
{
    L2__HALF_ROUTE(l2_argmin(H_[0]), t);
    return arg_impl("argmin", t, true, 0, false, true);
}
l2_tensor *l2_argmax_dim(const l2_tensor *t, int dim, bool keepdim)
{
    L2__HALF_ROUTE(l2_argmax_dim(H_[0], dim, keepdim), t);
    return arg_impl("argmax", t, false, dim, keepdim, false);
}
l2_tensor *l2_argmin_dim(const l2_tensor *t, int dim, bool keepdim)
{
    L2__HALF_ROUTE(l2_argmin_dim(H_[0], dim, keepdim), t);
    return arg_impl("argmin", t, false, dim, keepdim, true);
}
