/* reduce-kern.c: the forward reduction kernels (init per output, a loop per strided row,
 * combine of split ranges, final per output) for sum/mean, var, logsumexp, norm, prod, max/min,
 * all/any and counts. Backward kernels sit beside their ops (reduce.c, reduce-stats.c). */
#include "reduce-impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- kernels ------------------------------------------------------------------------------- */

/* Write output o: v for float outputs, k for int64 and bool. */
void l2__rput(const rctx *c, int64_t o, double v, int64_t k)
{
    switch (c->odt) {
    case L2_FLOAT32: ((float *)c->out)[o] = (float)v; break;
    case L2_FLOAT64: ((double *)c->out)[o] = v; break;
    case L2_INT64: ((int64_t *)c->out)[o] = k; break;
    case L2_BOOL: ((bool *)c->out)[o] = k != 0; break;
    default: break;
    }
}

/* Sum EXPR (of the element value v, a double) over the row in blocks of 256, four lanes each,
 * adding each block to the compensated accumulator: the error stays near a few ulps. */
#define ROW_SUM(T, EXPR)                                                                     \
    do {                                                                                     \
        const char *px_ = ptr[0];                                                            \
        int64_t sx_ = step[0];                                                               \
        for (int64_t b_ = 0; b_ < n; b_ += 256) {                                            \
            int64_t e_ = n - b_ < 256 ? n - b_ : 256, j_ = 0;                                \
            double l_[4] = {0, 0, 0, 0};                                                     \
            if (sx_ == (int64_t)sizeof(T)) {                                                 \
                const T *q_ = (const T *)px_ + b_;                                           \
                for (; j_ + 4 <= e_; j_ += 4)                                                \
                    for (int u_ = 0; u_ < 4; u_++) {                                         \
                        double v = (double)q_[j_ + u_];                                      \
                        l_[u_] += (EXPR);                                                    \
                    }                                                                        \
            } else {                                                                         \
                const char *q_ = px_ + b_ * sx_;                                             \
                for (; j_ + 4 <= e_; j_ += 4)                                                \
                    for (int u_ = 0; u_ < 4; u_++) {                                         \
                        double v = (double)*(const T *)(q_ + (j_ + u_) * sx_);               \
                        l_[u_] += (EXPR);                                                    \
                    }                                                                        \
            }                                                                                \
            for (; j_ < e_; j_++) {                                                          \
                double v = (double)*(const T *)(px_ + (b_ + j_) * sx_);                      \
                l_[0] += (EXPR);                                                             \
            }                                                                                \
            acc_add(a, (l_[0] + l_[1]) + (l_[2] + l_[3]));                                   \
        }                                                                                    \
    } while (0)

/* ROW_SUM with the contiguous case through the vector loop l2__vrow_K_f32 or _f64
 * (reduce-vec.c, parameter M), which computes the same EXPR in L2__REDUCE_VEC_BLOCK float64
 * lanes, in blocks of VROW_BLOCK(T) elements (64 per lane for float64, as deep as ROW_SUM's
 * chains; 256 for float32, whose float64 lanes are exact far beyond its tolerance) added to the
 * compensated accumulator. */
#define VROW_BLOCK(T) (int64_t)(sizeof(T) == sizeof(float) ? 256 : 64) * L2__REDUCE_VEC_BLOCK
#define ROW_SUM_V(T, EXPR, K, M)                                                             \
    do {                                                                                     \
        if (step[0] != (int64_t)sizeof(T)) {                                                 \
            ROW_SUM(T, EXPR);                                                                \
            break;                                                                           \
        }                                                                                    \
        const T *q_ = (const T *)ptr[0];                                                     \
        const int64_t bs_ = VROW_BLOCK(T);                                                   \
        for (int64_t b_ = 0; b_ < n; b_ += bs_) {                                            \
            int64_t e_ = n - b_ < bs_ ? n - b_ : bs_;                                        \
            acc_add(a, sizeof(T) == sizeof(float)                                            \
                           ? l2__vrow_##K##_f32((const float *)(const void *)(q_ + b_), e_, M) \
                           : l2__vrow_##K##_f64((const double *)(const void *)(q_ + b_), e_, M)); \
        }                                                                                    \
    } while (0)

void l2__rinit_zero(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
}

/* Zeroed, with the per-output parameter m[o]. */
void l2__rinit_param(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->m = ((const rctx *)ctx)->m[o];
}

void l2__rcombine_sum(racc *a, const racc *b, const void *ctx)
{
    acc_add(a, b->s);
    a->c += b->c;
    a->k = (int64_t)((uint64_t)a->k + (uint64_t)b->k);
}

/* sum: float inputs into a compensated float64 sum, bool/int64 into a wrapping int64. */
static void sum_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                    const void *ctx)
{
    const rctx *c = ctx;
    uint64_t k = 0;
    switch (c->dt) {
    case L2_FLOAT32: ROW_SUM_V(float, v, sum, 0.0); return;
    case L2_FLOAT64: ROW_SUM_V(double, v, sum, 0.0); return;
    case L2_INT64:
        for (int64_t j = 0; j < n; j++)
            k += (uint64_t) * (const int64_t *)(ptr[0] + j * step[0]);
        break;
    case L2_BOOL:
        for (int64_t j = 0; j < n; j++)
            k += *(const bool *)(ptr[0] + j * step[0]);
        break;
    default: break;
    }
    a->k = (int64_t)((uint64_t)a->k + k);
}

/* M_OUT: the sum; M_MEAN: sum / n; M_DOUT: sum / n into dout (the mean pass of var). */
static void sum_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    double v = sum_value(a);
    if (c->mode == M_OUT && c->odt == L2_FLOAT32) { /* the common case, without l2__rput */
        ((float *)c->out)[o] = (float)v;
        return;
    }
    if (c->mode == M_DOUT)
        c->dout[o] = v / c->n;
    else
        l2__rput(c, o, c->mode == M_MEAN ? v / c->n : v, a->k);
}

/* sum for a block of outputs that are neighbours in memory: n reduced positions, each adding nb
 * values (contiguous when ostep is one element) into per-output float64 or int64 partials. */
static void sum_cols(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *unused,
                     const void *vcc)
{
    const colctx *cc = vcc;
    const rctx *c = cc->ctx;
    const int64_t nb = cc->nb, os = cc->ostep;
    if (l2__is_float(c->dt)) {
        double s[TILE_OUT];
        memset(s, 0, sizeof(double) * (size_t)nb);
        if (os == (int64_t)l2__esize(c->dt)) { /* contiguous outputs: the vector loop */
            if (c->dt == L2_FLOAT32)
                l2__vcols_sum_f32(ptr[0], step[0], n, nb, s);
            else
                l2__vcols_sum_f64(ptr[0], step[0], n, nb, s);
            if (pos == 0) /* the first tile into zeroed sums: what acc_add would give */
                for (int64_t j = 0; j < nb; j++)
                    cc->acc[j].s = s[j];
            else
                for (int64_t j = 0; j < nb; j++)
                    acc_add(&cc->acc[j], s[j]);
            return;
        }
        L2__DISPATCH_FLOAT(c->dt, {
            for (int64_t i = 0; i < n; i++) {
                const char *q = ptr[0] + i * step[0];
                if (os == (int64_t)sizeof(T))
                    for (int64_t j = 0; j < nb; j++)
                        s[j] += (double)((const T *)q)[j];
                else
                    for (int64_t j = 0; j < nb; j++)
                        s[j] += (double)*(const T *)(q + j * os);
            }
        });
        for (int64_t j = 0; j < nb; j++)
            acc_add(&cc->acc[j], s[j]);
        return;
    }
    uint64_t k[TILE_OUT] = {0};
    for (int64_t i = 0; i < n; i++) {
        const char *q = ptr[0] + i * step[0];
        for (int64_t j = 0; j < nb; j++)
            k[j] += c->dt == L2_INT64 ? (uint64_t) * (const int64_t *)(q + j * os)
                                      : *(const bool *)(q + j * os);
    }
    for (int64_t j = 0; j < nb; j++)
        cc->acc[j].k = (int64_t)((uint64_t)cc->acc[j].k + k[j]);
}

/* float32 sums run long cols tiles (issue 12): their float64 partials (sum_cols) are exact
 * far beyond float32's tolerance, so the compensated step per tile buys nothing there. */
static int64_t sum_cols_red(const void *ctx)
{
    return ((const rctx *)ctx)->dt == L2_FLOAT32 ? L2__REDUCE_COLS32_RED : TILE_RED;
}

/* sum and mean of float32 rows into float32 outputs (issue 12, bcast): sum_row's contiguous
 * float32 case and sum_final in one loop over the outputs, without the calls and switches per
 * output; the same blocks into the same compensated accumulator, so bitwise the same results. */
static bool sum_rows(const char *base, int64_t ostep, int64_t rstep, int64_t n, int64_t ob,
                     int64_t oe, void *ctx)
{
    const rctx *c = ctx;
    if (c->dt != L2_FLOAT32 || c->odt != L2_FLOAT32 || rstep != (int64_t)sizeof(float) ||
        (c->mode != M_OUT && c->mode != M_MEAN))
        return false;
    const int64_t bs = VROW_BLOCK(float);
    /* mutation test: a row longer than one block keeps only its first block */
    const int64_t nb = l2__fault("sumrows_block") && n > bs ? bs : n;
    float *out = (float *)c->out;
    for (int64_t o = ob; o < oe; o++) {
        const float *q = (const float *)(const void *)(base + (o - ob) * ostep);
        racc a = {0};
        for (int64_t b = 0; b < nb; b += bs)
            acc_add(&a, l2__vrow_sum_f32(q + b, nb - b < bs ? nb - b : bs, 0.0));
        double v = sum_value(&a);
        out[o] = (float)(c->mode == M_MEAN ? v / c->n : v);
    }
    return true;
}

const rkern l2__rk_sum = {.init = l2__rinit_zero,
                          .row = sum_row,
                          .combine = l2__rcombine_sum,
                          .final = sum_final,
                          .cols = sum_cols,
                          .cols_red = sum_cols_red,
                          .rows = sum_rows};

/* sum((x - m)^2), m the per-output mean (var's second pass). */
static void sqdev_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                      const void *ctx)
{
    const double m = a->m;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, ROW_SUM_V(T, (v - m) * (v - m), sqdev, m));
}

/* var = ss / max(n - correction, 0); std = sqrt(var). */
static void sqdev_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    double den = c->n - c->p > 0 ? c->n - c->p : 0;
    double v = sum_value(a) / den;
    l2__rput(c, o, c->mode == M_STD ? sqrt(v) : v, 0);
}

const rkern l2__rk_sqdev = {
    .init = l2__rinit_param, .row = sqdev_row, .combine = l2__rcombine_sum, .final = sqdev_final};

/* sum(exp(x - m)), m the per-output shift (logsumexp's second pass). */
static void sumexp_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const double m = a->m;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, ROW_SUM(T, exp(v - m)));
}

static void sumexp_final(const racc *a, int64_t o, void *ctx)
{
    l2__rput(ctx, o, log(sum_value(a)) + a->m, 0);
}

const rkern l2__rk_sumexp = {
    .init = l2__rinit_param, .row = sumexp_row, .combine = l2__rcombine_sum, .final = sumexp_final};

/* sum |x|^p (p = 1, 2 and general are separate loops). */
static void pow_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                    const void *ctx)
{
    const rctx *c = ctx;
    const double p = c->p;
    if (p == 1) {
        L2__DISPATCH_FLOAT(c->dt, ROW_SUM(T, fabs(v)));
    } else if (p == 2) {
        L2__DISPATCH_FLOAT(c->dt, ROW_SUM_V(T, v * v, sq, 0.0));
    } else {
        L2__DISPATCH_FLOAT(c->dt, ROW_SUM(T, pow(fabs(v), p)));
    }
}

static void pow_final(const racc *a, int64_t o, void *ctx)
{
    const rctx *c = ctx;
    double s = sum_value(a);
    l2__rput(c, o, c->p == 1 ? s : c->p == 2 ? sqrt(s) : pow(s, 1 / c->p), 0);
}

const rkern l2__rk_pow = {
    .init = l2__rinit_zero, .row = pow_row, .combine = l2__rcombine_sum, .final = pow_final};

/* max |x| (the infinity norm); NaN propagates. */
static void absmax_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    double s = a->s;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, {
        for (int64_t j = 0; j < n; j++) {
            double w = fabs((double)*(const T *)(ptr[0] + j * step[0]));
            if (w > s || isnan(w))
                s = w;
            if (isnan(s))
                break;
        }
    });
    a->s = s;
}

static void absmax_combine(racc *a, const racc *b, const void *ctx)
{
    if (!isnan(a->s) && (b->s > a->s || isnan(b->s)))
        a->s = b->s;
}

static void absmax_final(const racc *a, int64_t o, void *ctx) { l2__rput(ctx, o, a->s, 0); }

const rkern l2__rk_absmax = {
    .init = l2__rinit_zero, .row = absmax_row, .combine = absmax_combine, .final = absmax_final};

/* prod: float64 product for floats, wrapping int64 product for bool/int64. */
static void init_prod(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->s = 1;
    a->k = 1;
}

static void prod_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                     const void *ctx)
{
    const rctx *c = ctx;
    if (l2__is_float(c->dt)) {
        double s = a->s;
        L2__DISPATCH_FLOAT(c->dt, {
            for (int64_t j = 0; j < n; j++)
                s *= (double)*(const T *)(ptr[0] + j * step[0]);
        });
        a->s = s;
        return;
    }
    uint64_t k = (uint64_t)a->k;
    if (c->dt == L2_INT64)
        for (int64_t j = 0; j < n; j++)
            k *= (uint64_t) * (const int64_t *)(ptr[0] + j * step[0]);
    else
        for (int64_t j = 0; j < n; j++)
            k *= *(const bool *)(ptr[0] + j * step[0]);
    a->k = (int64_t)k;
}

static void prod_final(const racc *a, int64_t o, void *ctx) { l2__rput(ctx, o, a->s, a->k); }

/* No combine: a product is not split across threads (each output runs in order on one thread).
 * Partial products of one output could be 0 (underflow) and inf (overflow), whose product is
 * NaN where the one-thread product is 0 or inf: results would depend on the thread count. */
const rkern l2__rk_prod = {.init = init_prod, .row = prod_row, .final = prod_final};

/* For prod's backward: the product of the non-zero elements (s) and the number of zeros (k). */
static void prodnz_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    double s = a->s;
    int64_t k = a->k;
    L2__DISPATCH_FLOAT(((const rctx *)ctx)->dt, {
        for (int64_t j = 0; j < n; j++) {
            double v = (double)*(const T *)(ptr[0] + j * step[0]);
            if (v != 0)
                s *= v;
            else
                k++;
        }
    });
    a->s = s;
    a->k = k;
}

static void prodnz_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    c->dout[o] = a->s;
    c->iout[o] = a->k;
}

static void init_prodnz(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->s = 1;
}

/* No combine, as l2__rk_prod. */
const rkern l2__rk_prodnz = {.init = init_prodnz, .row = prodnz_row, .final = prodnz_final};

/* max / min with the position of the first extreme element (the first NaN if any). Float values
 * in s, int64/bool values in k; i < 0 while no element was seen. */
static void init_ext(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->i = -1;
}

static void ext_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                    const void *ctx)
{
    const rctx *c = ctx;
    const bool mn = c->is_min;
    int64_t bi = a->i;
    if (l2__is_float(c->dt)) {
        double best = a->s;
        if (bi >= 0 && isnan(best))
            return;
        if (c->dt == L2_FLOAT32 && step[0] == (int64_t)sizeof(float)) {
            const float *q = (const float *)(const void *)ptr[0];
            int64_t j = l2__vrow_ext_f32(q, n, mn);
            if (j >= 0) {
                double v = q[j];
                if (bi < 0 || isnan(v) || (mn ? v < best : v > best)) {
                    a->s = v;
                    a->i = pos + j;
                }
                return;
            }
        }
        L2__DISPATCH_FLOAT(c->dt, {
            for (int64_t j = 0; j < n; j++) {
                double v = (double)*(const T *)(ptr[0] + j * step[0]);
                if (isnan(v)) {
                    best = v;
                    bi = pos + j;
                    break;
                }
                if (bi < 0 || (mn ? v < best : v > best)) {
                    best = v;
                    bi = pos + j;
                }
            }
        });
        a->s = best;
    } else {
        int64_t best = a->k;
        for (int64_t j = 0; j < n; j++) {
            const char *q = ptr[0] + j * step[0];
            int64_t v = c->dt == L2_INT64 ? *(const int64_t *)q : (int64_t) * (const bool *)q;
            if (bi < 0 || (mn ? v < best : v > best)) {
                best = v;
                bi = pos + j;
            }
        }
        a->k = best;
    }
    a->i = bi;
}

static void ext_combine(racc *a, const racc *b, const void *ctx)
{
    const rctx *c = ctx;
    if (b->i < 0)
        return;
    if (a->i < 0) {
        *a = *b;
        return;
    }
    if (l2__is_float(c->dt)) {
        if (!isnan(a->s) && (isnan(b->s) || (c->is_min ? b->s < a->s : b->s > a->s)))
            *a = *b;
    } else if (c->is_min ? b->k < a->k : b->k > a->k) {
        *a = *b;
    }
}

/* M_OUT: value (and index into iout if set); M_ARG: index into out; M_DOUT: the shift for
 * logsumexp (the maximum, 0 when it is infinite or there are no elements). */
static void ext_final(const racc *a, int64_t o, void *ctx)
{
    rctx *c = ctx;
    if (c->mode == M_ARG) {
        ((int64_t *)c->out)[o] = a->i;
    } else if (c->mode == M_DOUT) {
        c->dout[o] = a->i < 0 || isinf(a->s) ? 0 : a->s;
    } else {
        l2__rput(c, o, a->s, a->k);
        if (c->iout)
            c->iout[o] = a->i;
    }
}

const rkern l2__rk_ext = {
    .init = init_ext, .row = ext_row, .combine = ext_combine, .final = ext_final, .ordered = true};
/* values only (speed11, issue 12): outer dims by the cols loop of reduce-extcols.c */
const rkern l2__rk_extv = {
    .init = init_ext, .row = ext_row, .combine = ext_combine, .final = ext_final,
    .cols = l2__ext_cols};

/* all / any: k starts at 1 (all) or 0 (any). */
static void init_all(racc *a, int64_t o, const void *ctx)
{
    memset(a, 0, sizeof *a);
    a->k = ((const rctx *)ctx)->mode == 0;
}

static void allany_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                       const void *ctx)
{
    const rctx *c = ctx;
    bool any = c->mode == 1, r = a->k != 0;
    if (r == any) /* decided */
        return;
    L2__DISPATCH(c->dt, {
        for (int64_t j = 0; j < n; j++)
            if ((*(const T *)(ptr[0] + j * step[0]) != 0) == any) {
                r = any;
                break;
            }
    });
    a->k = r;
}

static void allany_combine(racc *a, const racc *b, const void *ctx)
{
    if (((const rctx *)ctx)->mode == 1)
        a->k = a->k || b->k;
    else
        a->k = a->k && b->k;
}

static void allany_final(const racc *a, int64_t o, void *ctx) { l2__rput(ctx, o, 0, a->k); }

const rkern l2__rk_allany = {
    .init = init_all, .row = allany_row, .combine = allany_combine, .final = allany_final};

/* Count the elements equal to m (or NaN when m is NaN); mode 1 compares |x|, and counts NaN
 * elements always (the infinity norm's backward). */
static void count_row(char *const *ptr, const int64_t *step, int64_t n, int64_t pos, racc *a,
                      const void *ctx)
{
    const rctx *c = ctx;
    const double m = a->m;
    const bool absm = c->mode == 1, mnan = isnan(m);
    int64_t k = 0;
    L2__DISPATCH_FLOAT(c->dt, {
        for (int64_t j = 0; j < n; j++) {
            double v = (double)*(const T *)(ptr[0] + j * step[0]);
            if (absm)
                v = fabs(v);
            k += v == m || (isnan(v) && (mnan || absm));
        }
    });
    a->k += k;
}

static void count_final(const racc *a, int64_t o, void *ctx)
{
    ((rctx *)ctx)->iout[o] = a->k;
}

const rkern l2__rk_count = {
    .init = l2__rinit_param, .row = count_row, .combine = l2__rcombine_sum, .final = count_final};
