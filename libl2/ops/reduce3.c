/* reduce3.c: the reductions of issue 14 (area scan): amax and amin over several dims (the
 * reduction driver's max/min kernel; the backward splits dy evenly among the ties, as torch
 * 1.13), aminmax (amin and amax of one dim or of everything), and the reductions composed of
 * public ops as torch composes them: nansum, nanmean, count_nonzero, var_mean, std_mean. The
 * scans are in scan.c. (First drafted, uncommitted, by the sort helper as sort-reduce.c.) */
#include "reduce-impl.h"

#include <string.h>

/* ---- amax, amin ----------------------------------------------------------------------------- */

/* The reductions that need an element: L2_ERR_ARG for an empty input reduced over every dim or
 * for a reduced dim of size 0 (torch's messages). */
static bool check_nonempty(const char *op, const l2_tensor *t, int ndims, const rdims *rd)
{
    if (l2__numel(t->ndim, t->shape) > 0)
        return true;
    L2__CHECK(ndims > 0, false, L2_ERR_ARG, "%s(): Expected reduction dim to be specified for "
              "input.numel() == 0. Specify the reduction dim with the 'dim' argument.", op);
    for (int d = 0; d < t->ndim; d++)
        L2__CHECK(!rd->red[d] || t->shape[d] > 0, false, L2_ERR_ARG, "%s(): Expected "
                  "reduction dim %d to have non-zero size.", op, d);
    return true;
}

static l2_tensor *ext_dims(const char *op, const l2_tensor *t, int ndims, const int *dims,
                           bool keepdim, bool is_min, l2__op node_op)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    /* torch checks each dim in turn, its range and then its size */
    for (int k = 0; dims && k < ndims && l2__numel(t->ndim, t->shape) == 0; k++) {
        int d = l2__wrap_dim(op, dims[k], t->ndim);
        if (d < 0)
            return NULL;
        L2__CHECK(t->ndim == 0 || t->shape[d] > 0, NULL, L2_ERR_ARG, "%s(): Expected reduction "
                  "dim %d to have non-zero size.", op, dims[k]);
    }
    if (!l2__rdims_parse(op, t, ndims, dims, keepdim, &rd) || !check_nonempty(op, t, ndims, &rd))
        return NULL;
    rctx c = {.mode = M_OUT, .is_min = is_min};
    l2_tensor *r = l2__reduce_new(op, t, &rd, t->dtype, &l2__rk_extv, &c);
    if (r && l2__reduce_wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        if (!l2__reduce_record(node_op, r, t, &rd, 2, save))
            return NULL;
    }
    return l2__ret(r);
}

l2_tensor *l2_amax(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    L2__HALF_ROUTE(l2_amax(H_[0], ndims, dims, keepdim), t);
    return ext_dims("amax", t, ndims, dims, keepdim, false, L2__OP_AMAX);
}

l2_tensor *l2_amin(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    L2__HALF_ROUTE(l2_amin(H_[0], ndims, dims, keepdim), t);
    return ext_dims("amin", t, ndims, dims, keepdim, true, L2__OP_AMIN);
}

/* dx = dy / count where x equals the result (count: how many do, per output), 0 elsewhere. */
static l2_status ext_dims_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    const l2_tensor *x = n->saved[0];
    l2_tensor *m = l2__grad_f64(n->saved[1]);
    l2_tensor *g = m ? l2__grad_f64(gout) : NULL;
    int64_t *cnt = g ? l2__malloc((size_t)(rd.nout ? rd.nout : 1) * sizeof(int64_t), "backward")
                     : NULL;
    gin[0] = NULL;
    if (cnt) {
        rctx c = {.m = (const double *)l2__data(m), .iout = cnt, .mode = 0};
        if (l2__reduce_pass(x, &rd, &l2__rk_count, &c)) {
            rctx cb = {.g = (const double *)l2__data(g), .m = (const double *)l2__data(m),
                       .ip = cnt};
            gin[0] = l2__reduce_map(n, &rd, x, false, &l2__rk_even_bw, &cb);
        }
    }
    l2__free(cnt);
    l2_tensor_release(g);
    l2_tensor_release(m);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__amax_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_dims_backward(n, gout, gin);
}

l2_status l2__amin_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return ext_dims_backward(n, gout, gin);
}

l2_tensor *l2_aminmax(const l2_tensor *t, const int *dim, bool keepdim, l2_tensor **max)
{
    L2__HALF_ROUTE2(max, l2_aminmax(H_[0], dim, keepdim, max), t);
    const char *op = "aminmax";
    if (max)
        *max = NULL;
    L2__CHECK_T(t, NULL, op);
    rdims rd;
    if (!l2__rdims_parse(op, t, dim ? 1 : 0, dim, keepdim, &rd))
        return NULL;
    if (l2__numel(t->ndim, t->shape) == 0) {
        L2__CHECK(dim, NULL, L2_ERR_ARG, "%s(): cannot compute aminmax over an empty dimension "
                  "as the operation has no identity.", op);
        if (!check_nonempty(op, t, 1, &rd))
            return NULL;
    }
    /* torch.aminmax without dim and keepdim gives 0-d results; with keepdim every dim kept */
    l2__enter();
    l2_tensor *lo = ext_dims(op, t, dim ? 1 : 0, dim, keepdim, true, L2__OP_AMIN);
    l2_tensor *hi = lo && max ? ext_dims(op, t, dim ? 1 : 0, dim, keepdim, false, L2__OP_AMAX)
                              : NULL;
    l2__leave();
    if (!lo || (max && !hi)) {
        l2_tensor_release(lo);
        return NULL;
    }
    if (max)
        *max = l2__ret(hi);
    return l2__ret(lo);
}

/* ---- composed: nansum, nanmean, count_nonzero, var_mean, std_mean ---------------------------- */

/* t with its NaN set to 0 (masked_fill: no gradient there), or t itself (one more reference)
 * when it is not a float tensor. */
static l2_tensor *nan_to_zero(const l2_tensor *t)
{
    if (!l2__is_float(t->dtype))
        return l2_tensor_ref((l2_tensor *)t);
    l2_tensor *isnan_ = l2_ne(t, t);
    l2_tensor *r = isnan_ ? l2_masked_fill(t, isnan_, 0.0) : NULL;
    l2_tensor_release(isnan_);
    return r;
}

l2_tensor *l2_nansum(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    L2__HALF_ROUTE(l2_nansum(H_[0], ndims, dims, keepdim), t);
    const char *op = "nansum";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    if (!l2__rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    if (l2__is_float(t->dtype) && !l2__reduce_wants_grad(t)) { /* one pass (speed11) */
        rctx c = {.dt = t->dtype, .mode = M_OUT};
        return l2__ret(l2__reduce_new(op, t, &rd, t->dtype, &l2__rk_nansum, &c));
    }
    l2__enter();
    l2_tensor *z = nan_to_zero(t);
    l2_tensor *r = z ? l2_sum_dims(z, ndims, dims, keepdim) : NULL;
    l2_tensor_release(z);
    l2__leave();
    return r ? l2__ret(r) : NULL;
}

l2_tensor *l2_nanmean(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    L2__HALF_ROUTE(l2_nanmean(H_[0], ndims, dims, keepdim), t);
    const char *op = "nanmean";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE, "%s(): expected input to have floating "
              "point dtype but got %s", op, l2_dtype_name(t->dtype));
    if (!l2__rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    if (!l2__reduce_wants_grad(t)) { /* one pass (speed11) */
        rctx c = {.dt = t->dtype, .mode = M_MEAN};
        return l2__ret(l2__reduce_new(op, t, &rd, t->dtype, &l2__rk_nansum, &c));
    }
    /* torch: nansum(t) / (~isnan(t)).sum() */
    l2__enter();
    l2_tensor *z = nan_to_zero(t);
    l2_tensor *s = z ? l2_sum_dims(z, ndims, dims, keepdim) : NULL;
    l2_tensor *num = s ? l2_eq(t, t) : NULL;
    l2_tensor *cnt = num ? l2_sum_dims(num, ndims, dims, keepdim) : NULL;
    l2_tensor *r = cnt ? l2_div(s, cnt) : NULL;
    l2_tensor *list[] = {z, s, num, cnt};
    for (int i = 0; i < 4; i++)
        l2_tensor_release(list[i]);
    l2__leave();
    return r ? l2__ret(r) : NULL;
}

l2_tensor *l2_count_nonzero(const l2_tensor *t, int ndims, const int *dims)
{
    L2__HALF_ROUTE(l2_count_nonzero(H_[0], ndims, dims), t);
    const char *op = "count_nonzero";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    if (!l2__rdims_parse(op, t, ndims, dims, false, &rd))
        return NULL;
    l2__enter();
    l2_tensor *nz = l2_ne_scalar(t, 0.0);
    l2_tensor *r = nz ? l2_sum_dims(nz, ndims, dims, false) : NULL;
    l2_tensor_release(nz);
    l2__leave();
    return r ? l2__ret(r) : NULL;
}

/* var_mean / std_mean: the variance (or standard deviation) and the mean over the same dims,
 * each with its own node (torch's one VarMeanBackward0 computes the same sum of the two). */
static l2_tensor *moments(const char *op, const l2_tensor *t, int ndims, const int *dims,
                          double correction, bool keepdim, bool sd, l2_tensor **mean)
{
    if (mean)
        *mean = NULL;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE, "%s only support floating point and "
              "complex dtypes", op);
    l2__enter();
    l2_tensor *v = sd ? l2_std(t, ndims, dims, correction, keepdim)
                      : l2_var(t, ndims, dims, correction, keepdim);
    l2_tensor *m = v && mean ? l2_mean_dims(t, ndims, dims, keepdim) : NULL;
    l2__leave();
    if (!v || (mean && !m)) {
        l2_tensor_release(v);
        return NULL;
    }
    if (mean)
        *mean = l2__ret(m);
    return l2__ret(v);
}

l2_tensor *l2_var_mean(const l2_tensor *t, int ndims, const int *dims, double correction,
                       bool keepdim, l2_tensor **mean)
{
    L2__HALF_ROUTE2(mean, l2_var_mean(H_[0], ndims, dims, correction, keepdim, mean), t);
    return moments("var_mean", t, ndims, dims, correction, keepdim, false, mean);
}

l2_tensor *l2_std_mean(const l2_tensor *t, int ndims, const int *dims, double correction,
                       bool keepdim, l2_tensor **mean)
{
    L2__HALF_ROUTE2(mean, l2_std_mean(H_[0], ndims, dims, correction, keepdim, mean), t);
    return moments("std_mean", t, ndims, dims, correction, keepdim, true, mean);
}
