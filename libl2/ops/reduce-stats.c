/* reduce-stats.c: var/std, logsumexp, norm, the scan cumsum and all/any, each forward with its
 * backward below it (machinery in reduce-plan.c, forward kernels in reduce-kern.c). */
#include "reduce-impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- var / std ----------------------------------------------------------------------------- */

/* Two passes: the mean per output (float64), then sum((x - mean)^2). */
static l2_tensor *var_impl(const char *op, const l2_tensor *t, int ndims, const int *dims,
                           double correction, bool keepdim, bool is_std)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: std and var only support floating point dtypes (got %s)", op,
              l2_dtype_name(t->dtype));
    L2__CHECK(!isnan(correction), NULL, L2_ERR_ARG, "%s: correction is NaN", op);
    if (!l2__rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    double *mean = l2__malloc(sizeof(double) * (size_t)(rd.nout + 1), op);
    if (!mean)
        return NULL;
    rctx c = {.mode = M_DOUT, .dout = mean, .n = (double)rd.nred};
    rctx c2 = {.mode = is_std ? M_STD : M_OUT, .m = mean, .p = correction};
    l2_tensor *r = NULL;
    if (l2__reduce_pass(t, &rd, &l2__rk_sum, &c))
        r = l2__reduce_new(op, t, &rd, t->dtype, &l2__rk_sqdev, &c2);
    l2__free(mean);
    if (r && l2__reduce_wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        l2__node *n =
            l2__reduce_record(is_std ? L2__OP_STD : L2__OP_VAR, r, t, &rd, is_std ? 2 : 1, save);
        if (!n)
            return NULL;
        n->f[0] = correction;
    }
    return l2__ret(r);
}

l2_tensor *l2_var(const l2_tensor *t, int ndims, const int *dims, double correction, bool keepdim)
{
    L2__HALF_ROUTE(l2_var(H_[0], ndims, dims, correction, keepdim), t);
    return var_impl("var", t, ndims, dims, correction, keepdim, false);
}

l2_tensor *l2_std(const l2_tensor *t, int ndims, const int *dims, double correction, bool keepdim)
{
    L2__HALF_ROUTE(l2_std(H_[0], ndims, dims, correction, keepdim), t);
    return var_impl("std", t, ndims, dims, correction, keepdim, true);
}

static void init_var_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->m[o]; /* mean */
    /* var: dx = dy * 2 (x - mean) / (N - correction)
     * std: dx = dy / (2 std) * 2 (x - mean) / (N - correction), std from the forward (c->dout);
     *      0 where std is 0 (torch 1.13's masked_fill in std_backward) */
    a->s = 2 * c->g[o] / (c->n - c->p);
    if (c->mode == M_STD)
        a->s = c->dout[o] == 0 ? 0 : a->s / (2 * c->dout[o]);
}

static void var_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const double m = a->m, s = a->s;
    MAP_ROW(s * (x - m));
}

static const rkern K_VAR_BW = {.init = init_var_bw, .row = var_bw_row};

static l2_status var_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin, bool is_std)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    const l2_tensor *x = n->saved[0];
    l2_tensor *g = l2__grad_f64(gout), *sd = is_std ? l2__grad_f64(n->saved[1]) : NULL;
    double *mean = l2__malloc(sizeof(double) * (size_t)(rd.nout + 1), "var backward");
    if (g && mean && (!is_std || sd)) {
        rctx c = {.mode = M_DOUT, .dout = mean, .n = (double)rd.nred};
        rctx cb = {.m = mean, .g = (const double *)l2__data(g), .p = n->f[0],
                   .mode = is_std ? M_STD : M_OUT, .dout = sd ? (double *)l2__data(sd) : NULL};
        if (l2__reduce_pass(x, &rd, &l2__rk_sum, &c))
            gin[0] = l2__reduce_map(n, &rd, x, false, &K_VAR_BW, &cb);
    }
    l2_tensor_release(g);
    l2_tensor_release(sd);
    l2__free(mean);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__var_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return var_backward(n, gout, gin, false);
}

l2_status l2__std_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return var_backward(n, gout, gin, true);
}

/* ---- logsumexp ----------------------------------------------------------------------------- */

/* out = m + log(sum(exp(x - m))), m the maximum (0 where it is infinite or the slice is empty). */
l2_tensor *l2_logsumexp(const l2_tensor *t, int ndims, const int *dims, bool keepdim)
{
    L2__HALF_ROUTE(l2_logsumexp(H_[0], ndims, dims, keepdim), t);
    const char *op = "logsumexp";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: expected a floating point input (got %s)", op, l2_dtype_name(t->dtype));
    if (!l2__rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    double *shift = l2__malloc(sizeof(double) * (size_t)(rd.nout + 1), op);
    if (!shift)
        return NULL;
    rctx c = {.mode = M_DOUT, .dout = shift};
    rctx c2 = {.m = shift};
    l2_tensor *r = NULL;
    if (l2__reduce_pass(t, &rd, &l2__rk_ext, &c))
        r = l2__reduce_new(op, t, &rd, t->dtype, &l2__rk_sumexp, &c2);
    l2__free(shift);
    if (r && l2__reduce_wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        if (!l2__reduce_record(L2__OP_LOGSUMEXP, r, t, &rd, 2, save))
            return NULL;
    }
    return l2__ret(r);
}

static void init_gm(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    memset(a, 0, sizeof *a);
    a->m = c->m[o];
    a->s = c->g[o];
}

/* dx = dy * exp(x - out) */
static void lse_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const double m = a->m, s = a->s;
    MAP_ROW(s * exp(x - m));
}

static const rkern K_LSE_BW = {.init = init_gm, .row = lse_bw_row};

l2_status l2__logsumexp_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    l2_tensor *g = l2__grad_f64(gout), *out = l2__grad_f64(n->saved[1]);
    if (g && out) {
        rctx c = {.g = (const double *)l2__data(g), .m = (const double *)l2__data(out)};
        gin[0] = l2__reduce_map(n, &rd, n->saved[0], false, &K_LSE_BW, &c);
    }
    l2_tensor_release(g);
    l2_tensor_release(out);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- norm ---------------------------------------------------------------------------------- */

l2_tensor *l2_norm(const l2_tensor *t, double p, int ndims, const int *dims, bool keepdim)
{
    L2__HALF_ROUTE(l2_norm(H_[0], p, ndims, dims, keepdim), t);
    const char *op = "norm";
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: input dtype should be floating point. Got %s instead.", op,
              l2_dtype_name(t->dtype));
    L2__CHECK(p > 0, NULL, L2_ERR_ARG, "%s: p must be > 0 (got %g)", op, p);
    /* torch checks an inf norm's dims for emptiness in list order, before wrapping the later
     * ones: dims {1, 4} of a (1, 0, 3) tensor is the empty-dim error, not dim 4's range. */
    for (int k = 0; isinf(p) && ndims > 0 && dims && k < ndims; k++) {
        int d = l2__wrap_dim(op, dims[k], t->ndim);
        if (d < 0)
            return NULL;
        L2__CHECK(t->ndim == 0 || t->shape[d] != 0, NULL, L2_ERR_ARG,
                  "%s: cannot compute the inf norm on dim %d because it is empty and the "
                  "operation has no identity", op, d);
    }
    if (!l2__rdims_parse(op, t, ndims, dims, keepdim, &rd))
        return NULL;
    for (int d = 0; d < t->ndim && isinf(p); d++)
        L2__CHECK(!(rd.red[d] && t->shape[d] == 0), NULL, L2_ERR_ARG,
                  "%s: cannot compute the inf norm on dim %d because it is empty and the "
                  "operation has no identity", op, d);
    rctx c = {.p = p};
    l2_tensor *r =
        l2__reduce_new(op, t, &rd, t->dtype, isinf(p) ? &l2__rk_absmax : &l2__rk_pow, &c);
    if (r && l2__reduce_wants_grad(t)) {
        const l2_tensor *save[2] = {t, r};
        l2__node *n = l2__reduce_record(L2__OP_NORM, r, t, &rd, 2, save);
        if (!n)
            return NULL;
        n->f[0] = p;
    }
    return l2__ret(r);
}

/* Per output: m = the norm, s = the factor of the formula below (as torch 1.13's norm_backward). */
static void init_norm_bw(racc *a, int64_t o, const void *ctx)
{
    const rctx *c = ctx;
    const double p = c->p, nv = c->m[o], g = c->g[o];
    memset(a, 0, sizeof *a);
    a->m = nv;
    if (isinf(p))
        a->s = g / (double)c->ip[o];
    else if (p == 1)
        a->s = g;
    else if (p < 1)
        a->s = g * pow(nv, 1 - p);
    else
        a->s = nv == 0 ? 0 : g / pow(nv, p - 1);
}

static inline double sgn(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x; }

/* p = 1:   dx = dy sgn(x)  (0 * dy at NaN)
 * p < 1:   dx = dy sgn(x) |x|^(p-1) norm^(1-p)      (0 where x = 0)
 * p >= 1:  dx = dy x |x|^(p-2) / norm^(p-1)          (0 where the norm is 0)
 * p = inf: dx = dy sgn(x) / count where |x| = norm, 0 elsewhere (NaN included) */
static void norm_bw_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                        const void *ctx)
{
    const double p = ((const rctx *)ctx)->p, m = a->m, s = a->s;
    if (isinf(p)) {
        MAP_ROW(fabs(x) == m ? s * sgn(x) : 0.0); /* 0 at NaN, as torch 1.13 */
    } else if (p == 1) { /* torch: sign(NaN) is 0 here */
        MAP_ROW(s * (isnan(x) ? 0.0 : sgn(x)));
    } else if (p == 2) {
        MAP_ROW(s * x);
    } else if (p < 1) {
        MAP_ROW(x == 0 ? 0.0 : s * sgn(x) * pow(fabs(x), p - 1));
    } else {
        MAP_ROW(s * sgn(x) * pow(fabs(x), p - 1));
    }
}

static const rkern K_NORM_BW = {.init = init_norm_bw, .row = norm_bw_row};

l2_status l2__norm_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    rdims rd;
    l2__node_rdims(n, &rd);
    const double p = n->f[0];
    const l2_tensor *x = n->saved[0];
    l2_tensor *g = l2__grad_f64(gout), *nv = l2__grad_f64(n->saved[1]);
    int64_t *cnt = l2__malloc(sizeof(int64_t) * (size_t)(rd.nout + 1), "norm backward");
    if (g && nv && cnt) {
        const double *m = (const double *)l2__data(nv);
        rctx c = {.m = m, .iout = cnt, .mode = 1};
        rctx cb = {.g = (const double *)l2__data(g), .m = m, .ip = cnt, .p = p};
        if (!isinf(p) || l2__reduce_pass(x, &rd, &l2__rk_count, &c))
            gin[0] = l2__reduce_map(n, &rd, x, false, &K_NORM_BW, &cb);
    }
    l2_tensor_release(g);
    l2_tensor_release(nv);
    l2__free(cnt);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- cumsum -------------------------------------------------------------------------------- */

/* Running sum along the one reduced dim: operand 0 is written, operand 1 read. Float sums run in
 * float64 (s), int64/bool in int64 (k). */
static void cumsum_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const rctx *c = ctx;
    if (c->odt == L2_INT64) {
        uint64_t k = (uint64_t)a->k;
        if (c->dt == L2_INT64) {
            for (int64_t j = 0; j < n; j++) {
                k += (uint64_t) * (const int64_t *)(ptr[1] + j * step[1]);
                *(int64_t *)(ptr[0] + j * step[0]) = (int64_t)k;
            }
        } else {
            for (int64_t j = 0; j < n; j++) {
                k += *(const bool *)(ptr[1] + j * step[1]);
                *(int64_t *)(ptr[0] + j * step[0]) = (int64_t)k;
            }
        }
        a->k = (int64_t)k;
        return;
    }
    double s = a->s;
    /* Float cumsum keeps the dtype: the output type TO is T. */
    L2__DISPATCH_FLOAT(c->dt, {
        typedef T TO;
        for (int64_t j = 0; j < n; j++) {
            s += (double)*(const T *)(ptr[1] + j * step[1]);
            *(TO *)(ptr[0] + j * step[0]) = (TO)s;
        }
    });
    a->s = s;
}

/* cumsum for a block of nb outputs that are neighbours in memory (a scan over an outer dim):
 * position by position, each adds nb values to nb running sums. */
static void cumsum_cols(char *const *ptr, const int64_t *step, int64_t n, int64_t pos,
                        racc *unused, const void *vcc)
{
    const colctx *cc = vcc;
    const rctx *c = cc->ctx;
    const int64_t nb = cc->nb, os0 = cc->ostep, os1 = cc->ostep1;
    if (c->odt == L2_INT64) {
        for (int64_t j = 0; j < nb; j++) {
            uint64_t k = (uint64_t)cc->acc[j].k;
            for (int64_t i = 0; i < n; i++) {
                const char *q = ptr[1] + i * step[1] + j * os1;
                k += c->dt == L2_INT64 ? (uint64_t) * (const int64_t *)q : *(const bool *)q;
                *(int64_t *)(ptr[0] + i * step[0] + j * os0) = (int64_t)k;
            }
            cc->acc[j].k = (int64_t)k;
        }
        return;
    }
    double s[TILE_OUT];
    for (int64_t j = 0; j < nb; j++)
        s[j] = cc->acc[j].s;
    L2__DISPATCH_FLOAT(c->dt, { /* float cumsum keeps the dtype: TO is T */
        typedef T TO;
        for (int64_t i = 0; i < n; i++) {
            const char *q = ptr[1] + i * step[1];
            char *d = ptr[0] + i * step[0];
            if (os0 == (int64_t)sizeof(TO) && os1 == (int64_t)sizeof(T)) {
                for (int64_t j = 0; j < nb; j++) {
                    s[j] += (double)((const T *)q)[j];
                    ((TO *)d)[j] = (TO)s[j];
                }
            } else {
                for (int64_t j = 0; j < nb; j++) {
                    s[j] += (double)*(const T *)(q + j * os1);
                    *(TO *)(d + j * os0) = (TO)s[j];
                }
            }
        }
    });
    for (int64_t j = 0; j < nb; j++)
        cc->acc[j].s = s[j];
}

static const rkern K_CUMSUM = {
    .init = l2__rinit_zero, .row = cumsum_row, .ordered = true, .scan = true, .cols = cumsum_cols};

/* Run the scan of src along dim d into dst (same shape), one row per output in order;
 * reverse: from the end of the dim (the plan walks it with negated strides). */
static bool run_scan(l2_tensor *dst, const l2_tensor *src, int d, bool reverse)
{
    bool red[L2_MAX_DIMS] = {false};
    if (dst->ndim > 0)
        red[d] = true;
    const l2_tensor *ops[2] = {dst, src};
    rplan p;
    l2__rplan_init(&p, red, 2, ops, false);
    if (reverse && p.nrd == 1) {
        for (int k = 0; k < 2; k++) {
            p.data[k] += (p.rsh[0] - 1) * p.rst[k][0];
            p.rst[k][0] = -p.rst[k][0];
        }
    }
    rctx c = {.dt = src->dtype, .odt = dst->dtype};
    return l2__reduce_run(&p, &K_CUMSUM, &c, (int64_t)l2__esize(dst->dtype));
}

l2_tensor *l2_cumsum(const l2_tensor *t, int dim)
{
    L2__HALF_ROUTE(l2_cumsum(H_[0], dim), t);
    const char *op = "cumsum";
    L2__CHECK_T(t, NULL, op);
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0)
        return NULL;
    l2_tensor *r = l2__new(op, t->ndim, t->shape, l2__is_float(t->dtype) ? t->dtype : L2_INT64,
                           false);
    if (!r)
        return NULL;
    if (!run_scan(r, t, d, false)) {
        l2_tensor_release(r);
        return NULL;
    }
    if (l2__reduce_wants_grad(t)) {
        l2__node *n = l2__record(L2__OP_CUMSUM, r, 1, &t);
        if (!n) {
            l2_tensor_release(r);
            return NULL;
        }
        n->i[0] = d;
        n->ni = 1;
    }
    return l2__ret(r);
}

/* dx = reverse cumsum of dy along dim. */
l2_status l2__cumsum_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    l2_dtype dt = l2__is_float(gout->dtype) ? gout->dtype : n->in_dtype[0];
    l2_tensor *r = l2__new("backward", n->in_ndim[0], n->in_shape[0], dt, false);
    if (!r)
        return l2_last_status();
    if (!run_scan(r, gout, (int)n->i[0], true)) {
        l2_tensor_release(r);
        return l2_last_status();
    }
    gin[0] = r;
    return L2_OK;
}

/* ---- all / any (not differentiable) -------------------------------------------------------- */

static l2_tensor *allany_impl(const char *op, const l2_tensor *t, bool all, int dim,
                              bool keepdim, int mode)
{
    rdims rd;
    L2__CHECK_T(t, NULL, op);
    if (!l2__rdims_parse(op, t, all ? 0 : 1, &dim, keepdim, &rd))
        return NULL;
    rctx c = {.mode = mode};
    return l2__ret(l2__reduce_new(op, t, &rd, L2_BOOL, &l2__rk_allany, &c));
}

l2_tensor *l2_all(const l2_tensor *t) { return allany_impl("all", t, true, 0, false, 0); }
l2_tensor *l2_any(const l2_tensor *t) { return allany_impl("any", t, true, 0, false, 1); }
l2_tensor *l2_all_dim(const l2_tensor *t, int dim, bool keepdim)
{
    return allany_impl("all", t, false, dim, keepdim, 0);
}
l2_tensor *l2_any_dim(const l2_tensor *t, int dim, bool keepdim)
{
    return allany_impl("any", t, false, dim, keepdim, 1);
}
