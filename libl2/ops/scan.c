/* scan.c: the scans of issue 14 (area scan) beside cumsum (reduce-stats.c): cumprod, cummax,
 * cummin and logcumsumexp. Forward through the reduction driver (one reduced dim walked in order,
 * outputs split over threads, as cumsum); backward row by row on contiguous float64 copies of
 * the operands (rows split over threads from L2__GRAIN_REDUCE). Not here: cumsum, the reverse
 * and the dtype options of torch's scans. */
#include "reduce-impl.h"

#include <float.h>
#include <math.h>

/* What the forward row loops read: operand 0 is the result (written), operand 1 the input. */
typedef struct {
    l2_dtype dt, odt;  /* input and result dtypes */
    const char *vbase; /* the result's data: fresh and contiguous */
    int64_t *ibase;    /* cummax/cummin: the indices, contiguous with the result's shape */
    bool is_min;
} sctx;

/* Run the scan K of src along dim d into dst (same shape, fresh, contiguous). */
static bool scan_run(l2_tensor *dst, const l2_tensor *src, int d, const rkern *K, sctx *c)
{
    bool red[L2_MAX_DIMS] = {false};
    if (dst->ndim > 0)
        red[d] = true;
    const l2_tensor *ops[2] = {dst, src};
    rplan p;
    l2__rplan_init(&p, red, 2, ops, false);
    c->dt = src->dtype;
    c->odt = dst->dtype;
    c->vbase = l2__data(dst);
    return l2__reduce_run(&p, K, c, (int64_t)l2__esize(dst->dtype));
}

/* ---- cumprod ------------------------------------------------------------------------------- */

static void init_one(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->s = 1;
    a->k = 1;
}

/* Running product: floats in float64 (s), int64/bool in wrapping int64 (k). */
static void cumprod_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                        const void *ctx)
{
    const sctx *c = ctx;
    if (c->odt == L2_INT64) {
        uint64_t k = (uint64_t)a->k;
        for (int64_t j = 0; j < n; j++) {
            const char *q = ptr[1] + j * step[1];
            k *= c->dt == L2_INT64 ? (uint64_t) * (const int64_t *)q : *(const bool *)q;
            *(int64_t *)(ptr[0] + j * step[0]) = (int64_t)k;
        }
        a->k = (int64_t)k;
        return;
    }
    double s = a->s;
    L2__DISPATCH_FLOAT(c->dt, {
        for (int64_t j = 0; j < n; j++) {
            s *= (double)*(const T *)(ptr[1] + j * step[1]);
            *(T *)(ptr[0] + j * step[0]) = (T)s;
        }
    });
    a->s = s;
}

static const rkern K_CUMPROD = {.init = init_one, .row = cumprod_row, .ordered = true,
                                .scan = true};

/* The common front of the scans: check t, wrap dim (-1 and error set on failure). */
static int scan_dim(const char *op, const l2_tensor *t, int dim)
{
    L2__CHECK_T(t, -1, op);
    return l2__wrap_dim(op, dim, t->ndim);
}

/* Record node op on r (input t, dim d), saving save; releases r and returns NULL on failure. */
static l2_tensor *scan_record(l2__op op, l2_tensor *r, const l2_tensor *t, int d,
                              const l2_tensor *save)
{
    if (!l2__reduce_wants_grad(t))
        return r;
    l2__node *n = l2__record_save(op, r, 1, &t, 1, &save);
    if (!n) {
        l2_tensor_release(r);
        return NULL;
    }
    n->i[0] = d;
    n->ni = 1;
    return r;
}

l2_tensor *l2_cumprod(const l2_tensor *t, int dim)
{
    L2__HALF_ROUTE(l2_cumprod(H_[0], dim), t);
    const char *op = "cumprod";
    int d = scan_dim(op, t, dim);
    if (d < 0)
        return NULL;
    l2_tensor *r = l2__new(op, t->ndim, t->shape, l2__is_float(t->dtype) ? t->dtype : L2_INT64,
                           false);
    sctx c = {0};
    if (r && !scan_run(r, t, d, &K_CUMPROD, &c)) {
        l2_tensor_release(r);
        return NULL;
    }
    return r ? l2__ret(scan_record(L2__OP_CUMPROD, r, t, d, t)) : NULL;
}

/* ---- the backward rows --------------------------------------------------------------------- */

/* A gradient computed on contiguous float64 rows: the input's shape seen as (outer, n, inner)
 * around the scanned dim; row r = (o, i) starts at o n inner + i with stride inner. */
typedef struct {
    int64_t outer, n, inner;
    const double *x, *g; /* input and upstream gradient (or NULL) */
    const int64_t *idx;  /* cummax/cummin's indices (or NULL) */
    double *dx;          /* the result */
} brows;

typedef void (*brow_fn)(const brows *b, int64_t base);

static void brows_init(brows *b, const l2__node *nd)
{
    const int d = (int)nd->i[0], nd0 = nd->in_ndim[0];
    const int64_t *sh = nd->in_shape[0];
    b->outer = b->n = b->inner = 1;
    for (int k = 0; k < nd0; k++) {
        if (k < d)
            b->outer *= sh[k];
        else if (k == d)
            b->n = sh[k];
        else
            b->inner *= sh[k];
    }
}

/* Run f over every row; rows split over threads when there is a grain's work or more. */
static void brows_run(const brows *b, brow_fn f)
{
    const int64_t rows = l2__mul_sat(b->outer, b->inner);
    const int nt = rows > 1 && l2__mul_sat(rows, b->n) >= L2__GRAIN_REDUCE ? l2__num_threads() : 1;
    /* mutation test: the threaded split leaves each thread's last row out */
    const int64_t drop = nt > 1 && l2__fault("scan_bw_rows");
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int t = 0; t < nt; t++) {
        const int64_t rb = l2__part(rows, t, nt), re = l2__part(rows, t + 1, nt) - drop;
        for (int64_t r = rb; r < re; r++)
            f(b, r / b->inner * b->n * b->inner + r % b->inner);
    }
}

/* The gradient of node nd from the float64 rows in dx: a new tensor of the input's dtype. */
static l2_tensor *brows_out(const l2__node *nd, l2_tensor *dx)
{
    if (nd->in_dtype[0] == L2_FLOAT64)
        return l2_tensor_ref(dx);
    l2_tensor *r = l2__new("backward", nd->in_ndim[0], nd->in_shape[0], nd->in_dtype[0], false);
    if (r)
        l2__copy_kernel(r, dx);
    return r;
}

/* As torch 1.13's cumprod_backward, with z1 the row's first zero and z2 its second (n if none)
 * and y the running product:
 *   j < z1:  dx_j = (sum_{k = j}^{z1-1} dy_k y_k) / x_j   (y_k = 0 from z1 on)
 *   j = z1:  dx_j = y_{z1-1} sum_{k = z1}^{z2-1} dy_k prod_{z1 < i <= k} x_i
 *   j > z1:  dx_j = 0   (every product of k >= j holds x_z1 = 0)
 * and a row of one element passes dy through (torch: whatever x is). */
static void cumprod_bw_row(const brows *b, int64_t base)
{
    const int64_t n = b->n, st = b->inner;
    const double *x = b->x + base, *g = b->g + base;
    double *dx = b->dx + base;
    if (n == 1) {
        dx[0] = g[0];
        return;
    }
    int64_t z = 0;
    double y = 1;
    for (; z < n && x[z * st] != 0; z++) {
        y *= x[z * st];
        dx[z * st] = y; /* y_z for now */
    }
    const double yz = z > 0 ? dx[(z - 1) * st] : 1.0;
    double acc = 0;
    for (int64_t j = z - 1; j >= 0; j--) {
        acc += g[j * st] * dx[j * st];
        dx[j * st] = acc / x[j * st];
    }
    if (z == n)
        return;
    double p = 1, s = g[z * st];
    int64_t k = z + 1;
    for (; k < n && x[k * st] != 0; k++) {
        p *= x[k * st];
        s += g[k * st] * p;
    }
    if (k < n) /* torch sums p * 0 beyond z2 (its masked dy): NaN where p overflowed */
        s += p * 0.0;
    dx[z * st] = s * yz;
    for (int64_t j = z + 1; j < n; j++)
        dx[j * st] = 0;
}

/* The shared backward: x (saved[0], when given) and g as contiguous float64 rows, f per row. */
static l2_status scan_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin, brow_fn f,
                               bool with_x)
{
    brows b;
    brows_init(&b, nd);
    l2_tensor *g = l2__grad_f64(gout);
    l2_tensor *x = g && with_x ? l2__grad_f64(nd->saved[0]) : NULL;
    l2_tensor *dx = g && (x || !with_x) ? l2__new("backward", nd->in_ndim[0], nd->in_shape[0],
                                                  L2_FLOAT64, false)
                                        : NULL;
    if (dx) {
        b.g = (const double *)l2__data(g);
        b.x = x ? (const double *)l2__data(x) : NULL;
        b.idx = with_x ? NULL : (const int64_t *)l2__data(nd->saved[0]);
        b.dx = (double *)l2__data(dx);
        brows_run(&b, f);
        gin[0] = brows_out(nd, dx);
    }
    l2_tensor_release(g);
    l2_tensor_release(x);
    l2_tensor_release(dx);
    return gin[0] ? L2_OK : l2_last_status();
}

/* dy itself as the gradient of a 0-d input (torch 1.13's cumprod and logcumsumexp backward). */
static l2_status pass_grad(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = l2__new("backward", 0, NULL, n->in_dtype[0], false);
    if (gin[0])
        l2__copy_kernel(gin[0], gout);
    return gin[0] ? L2_OK : l2_last_status();
}

l2_status l2__cumprod_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (n->in_ndim[0] == 0)
        return pass_grad(n, gout, gin);
    return scan_backward(n, gout, gin, cumprod_bw_row, true);
}

/* ---- cummax, cummin ------------------------------------------------------------------------ */

/* The running extreme with its index, as torch 1.13's cummax_cummin_helper: an element replaces
 * the extreme when it is NaN, or when the extreme is not NaN and x >= it (cummax; <= cummin):
 * ties and later NaN move the index forward. Floats in s, int64/bool in k; i < 0 before the
 * first element. The index goes to the same element offset of the indices as of the result. */
#define CUMEXT_LOOP(T, V, ISNAN)                                                             \
    do {                                                                                     \
        T best = (T)(V);                                                                     \
        for (int64_t j = 0; j < n; j++) {                                                    \
            T x = *(const T *)(ptr[1] + j * step[1]);                                        \
            if (bi < 0 || ISNAN(x) || (!ISNAN(best) && (mn ? x <= best : x >= best))) {      \
                best = x;                                                                    \
                bi = pos + j;                                                                \
            }                                                                                \
            char *q = ptr[0] + j * step[0];                                                  \
            *(T *)q = best;                                                                  \
            c->ibase[(q - c->vbase) / (int64_t)sizeof(T)] = bi;                              \
        }                                                                                    \
        V = best;                                                                            \
    } while (0)

#define NOT_NAN(x) false

static void init_cumext(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->i = -1;
}

static void cumext_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const sctx *c = ctx;
    const bool mn = c->is_min;
    int64_t bi = a->i;
    switch (c->dt) {
    case L2_FLOAT32: CUMEXT_LOOP(float, a->s, isnan); break;
    case L2_FLOAT64: CUMEXT_LOOP(double, a->s, isnan); break;
    case L2_INT64: CUMEXT_LOOP(int64_t, a->k, NOT_NAN); break;
    case L2_BOOL: {
        bool v = a->k != 0;
        CUMEXT_LOOP(bool, v, NOT_NAN);
        a->k = v;
        break;
    }
    default: break;
    }
    a->i = bi;
}

static const rkern K_CUMEXT = {.init = init_cumext, .row = cumext_row, .ordered = true,
                               .scan = true};

static l2_tensor *cumext(const char *op, const l2_tensor *t, int dim, l2_tensor **indices,
                         bool is_min)
{
    if (indices)
        *indices = NULL;
    L2__CHECK_T(t, NULL, op);
    /* torch 1.13 checks dim only for an input with elements and at least one dim */
    int d = t->ndim == 0 || l2__numel(t->ndim, t->shape) == 0 ? 0 : scan_dim(op, t, dim);
    if (d < 0)
        return NULL;
    l2_tensor *r = l2__new(op, t->ndim, t->shape, t->dtype, false);
    l2_tensor *ix = r ? l2__new(op, t->ndim, t->shape, L2_INT64, false) : NULL;
    sctx c = {.is_min = is_min, .ibase = ix ? (int64_t *)l2__data(ix) : NULL};
    if (!ix || !scan_run(r, t, d, &K_CUMEXT, &c) ||
        !(r = scan_record(is_min ? L2__OP_CUMMIN : L2__OP_CUMMAX, r, t, d, ix))) {
        l2_tensor_release(r);
        l2_tensor_release(ix);
        return NULL;
    }
    if (indices)
        *indices = l2__ret(ix);
    else
        l2_tensor_release(ix);
    return l2__ret(r);
}

l2_tensor *l2_cummax(const l2_tensor *t, int dim, l2_tensor **indices)
{
    L2__HALF_ROUTE2(indices, l2_cummax(H_[0], dim, indices), t);
    return cumext("cummax", t, dim, indices, false);
}

l2_tensor *l2_cummin(const l2_tensor *t, int dim, l2_tensor **indices)
{
    L2__HALF_ROUTE2(indices, l2_cummin(H_[0], dim, indices), t);
    return cumext("cummin", t, dim, indices, true);
}

/* dx_j = sum of dy_k over the k whose index is j (torch's scatter_add of dy into the indices). */
static void cumext_bw_row(const brows *b, int64_t base)
{
    const int64_t n = b->n, st = b->inner;
    const double *g = b->g + base;
    const int64_t *ix = b->idx + base;
    double *dx = b->dx + base;
    for (int64_t j = 0; j < n; j++)
        dx[j * st] = 0;
    for (int64_t k = 0; k < n; k++)
        dx[ix[k * st] * st] += g[k * st];
}

l2_status l2__cummax_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return scan_backward(n, gout, gin, cumext_bw_row, false);
}

l2_status l2__cummin_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return scan_backward(n, gout, gin, cumext_bw_row, false);
}

/* ---- logcumsumexp -------------------------------------------------------------------------- */

/* log(exp(x) + exp(y)) as torch 1.13's CPU kernel: NaN propagates; two equal infinities give
 * x (-inf + -inf stays -inf, inf + inf inf). */
static inline double log_add_exp(double x, double y)
{
    double lo = isnan(y) ? y : fmin(x, y), hi = isnan(y) ? y : fmax(x, y);
    if (isnan(x)) /* std::min/max return their first argument when one is NaN */
        lo = hi = x;
    if (lo != hi || isfinite(lo))
        return log1p(exp(lo - hi)) + hi;
    return x;
}

static void init_neginf(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->s = -INFINITY;
}

static void lcse_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                     const void *ctx)
{
    const sctx *c = ctx;
    double s = a->s;
    L2__DISPATCH_FLOAT(c->dt, {
        for (int64_t j = 0; j < n; j++) {
            s = log_add_exp((double)*(const T *)(ptr[1] + j * step[1]), s);
            *(T *)(ptr[0] + j * step[0]) = (T)s;
        }
    });
    a->s = s;
}

static const rkern K_LCSE = {.init = init_neginf, .row = lcse_row, .ordered = true, .scan = true};

l2_tensor *l2_logcumsumexp(const l2_tensor *t, int dim)
{
    L2__HALF_ROUTE(l2_logcumsumexp(H_[0], dim), t);
    const char *op = "logcumsumexp";
    int d = scan_dim(op, t, dim);
    if (d < 0)
        return NULL;
    L2__CHECK(l2__is_float(t->dtype), NULL, L2_ERR_DTYPE,
              "%s: \"logcumsumexp_out_cpu\" not implemented for '%s'", op,
              l2_dtype_name(t->dtype));
    l2_tensor *r = l2__new(op, t->ndim, t->shape, t->dtype, false);
    sctx c = {0};
    if (r && !scan_run(r, t, d, &K_LCSE, &c)) {
        l2_tensor_release(r);
        return NULL;
    }
    return r ? l2__ret(scan_record(L2__OP_LOGCUMSUMEXP, r, t, d, t)) : NULL;
}

/* With y the running logcumsumexp (recomputed in float64), as torch 1.13's backward:
 *   dx_j = exp(x_j + L+_j) - exp(x_j + L-_j),  L+-_j = log sum_{k >= j} exp(log(+-dy_k) - y_k)
 * over the k with +-dy_k > 0 (the others enter as the lowest double), each sum a reverse
 * logcumsumexp; mathematically dx_j = sum_{k >= j} dy_k exp(x_j - y_k). */
static void lcse_bw_row(const brows *b, int64_t base)
{
    const int64_t n = b->n, st = b->inner;
    const double *x = b->x + base, *g = b->g + base;
    double *dx = b->dx + base;
    double y = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        y = log_add_exp(x[j * st], y);
        dx[j * st] = y; /* y_j for now */
    }
    double lp = -INFINITY, ln = -INFINITY;
    for (int64_t j = n - 1; j >= 0; j--) {
        const double gj = g[j * st], lg = log(fabs(gj)), yj = dx[j * st];
        lp = log_add_exp((gj > 0 ? lg : -DBL_MAX) - yj, lp);
        ln = log_add_exp((gj < 0 ? lg : -DBL_MAX) - yj, ln);
        dx[j * st] = exp(lp + x[j * st]) - exp(ln + x[j * st]);
    }
}

l2_status l2__logcumsumexp_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (n->in_ndim[0] == 0)
        return pass_grad(n, gout, gin);
    return scan_backward(n, gout, gin, lcse_bw_row, true);
}
