/* prelu.c: prelu with a node of its own (issue 12, area speed12): one pass over a contiguous x
 * with each channel's weight hoisted out of the row, instead of the five-op composition (gt,
 * where, mul, where) it replaced; the backward gives dx and dweight (a sum per channel) in one
 * pass. x is viewed as (N, C, I): N = shape[0], C = shape[1], I the product of the rest (rank
 * < 2, or a single weight: one channel of all elements). A segment is one row of I elements of
 * one channel with a scalar weight, or, where I is 1 and C > 1 (x of shape (N, C)), a row of C
 * elements with the weights as a vector; threads split the elements, segments split at the
 * thread's range. */
/* speed12 (issue 12): GCC keeps a select between a value and an FP operation (x > 0 ? x : w x,
 * the clamps' comparisons) out of vector loops while FP operations may trap (-ftrapping-math,
 * the default); libl2 never reads the FP exception flags, so this file drops the assumption and
 * its contiguous loops vectorise. Results are unchanged (no reassociation, NaN and -0.0 kept). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math")
#endif
#include "elementwise-impl.h"
#include "../autograd-impl.h"

/* x as (N, C, I) and the segment layout. */
typedef struct {
    int64_t numel, c, inner;
    bool by_chan; /* segments are rows of C (I == 1, C > 1) */
} prelu_geom;

static prelu_geom prelu_shape(const l2_tensor *x, int64_t nw)
{
    prelu_geom g = {.numel = l2_numel(x), .c = 1, .inner = l2_numel(x)};
    if (nw > 1) {
        g.c = x->shape[1];
        g.inner = 1;
        for (int d = 2; d < x->ndim; d++)
            g.inner *= x->shape[d];
    }
    g.by_chan = g.inner == 1 && g.c > 1;
    return g;
}

/* The channel of the segment starting at element i (a segment of I elements). */
static inline int64_t prelu_chan(const prelu_geom *g, int64_t i)
{
    int64_t r = i / g->inner;
    /* mutation test: the channel taken from the row's batch index instead of its channel */
    return l2__fault("prelu_chan") ? (r / g->c) % g->c : r % g->c;
}

/* Forward over elements [lo, hi): o = x > 0 ? x : w x (NaN: w NaN = NaN, as torch). */
#define PRELU_FWD(SFX, T)                                                                    \
    L2__EW_HOT static void prelu_fwd_##SFX(const prelu_geom *g, T *o, const T *x, const T *w, \
                                           int64_t lo, int64_t hi)                            \
    {                                                                                        \
        int64_t seg = g->by_chan ? g->c : g->inner;                                          \
        for (int64_t i = lo; i < hi;) {                                                      \
            int64_t end = (i / seg + 1) * seg;                                               \
            end = end < hi ? end : hi;                                                       \
            if (g->by_chan) {                                                                \
                const T *wc = w + i % seg, *xi = x + i;                                      \
                T *oi = o + i;                                                               \
                int64_t m = end - i;                                                         \
                L2__SIMD                                                                     \
                for (int64_t k = 0; k < m; k++)                                              \
                    oi[k] = xi[k] > (T)0 ? xi[k] : wc[k] * xi[k];                            \
            } else {                                                                         \
                const T wc = w[prelu_chan(g, i)];                                            \
                L2__SIMD                                                                     \
                for (int64_t k = i; k < end; k++)                                            \
                    o[k] = x[k] > (T)0 ? x[k] : wc * x[k];                                   \
            }                                                                                \
            i = end;                                                                         \
        }                                                                                    \
    }
PRELU_FWD(f32, float)
PRELU_FWD(f64, double)

/* Backward over elements [lo, hi): dx = x > 0 ? dy : w dy (when dx), and part[c] += the sum of
 * (x > 0 ? 0 : dy x) over the channel's elements (in double). */
#define PRELU_BWD(SFX, T)                                                                    \
    L2__EW_HOT static void prelu_bwd_##SFX(const prelu_geom *g, T *dx, double *part,         \
                                           const T *dy, const T *x, const T *w, int64_t lo,  \
                                           int64_t hi)                                       \
    {                                                                                        \
        int64_t seg = g->by_chan ? g->c : g->inner;                                          \
        for (int64_t i = lo; i < hi;) {                                                      \
            int64_t end = (i / seg + 1) * seg;                                               \
            end = end < hi ? end : hi;                                                       \
            if (g->by_chan) {                                                                \
                const T *wc = w + i % seg, *xi = x + i, *dyi = dy + i;                       \
                int64_t m = end - i;                                                         \
                if (dx) {                                                                    \
                    T *dxi = dx + i;                                                         \
                    L2__SIMD                                                                 \
                    for (int64_t k = 0; k < m; k++)                                          \
                        dxi[k] = xi[k] > (T)0 ? dyi[k] : wc[k] * dyi[k];                     \
                }                                                                            \
                if (part) {                                                                  \
                    double *pc = part + i % seg;                                             \
                    for (int64_t k = 0; k < m; k++)                                          \
                        pc[k] += xi[k] > (T)0 ? 0.0 : (double)dyi[k] * (double)xi[k];        \
                }                                                                            \
            } else {                                                                         \
                int64_t c = prelu_chan(g, i);                                                \
                const T wc = w[c];                                                           \
                if (dx) {                                                                    \
                    L2__SIMD                                                                 \
                    for (int64_t k = i; k < end; k++)                                        \
                        dx[k] = x[k] > (T)0 ? dy[k] : wc * dy[k];                            \
                }                                                                            \
                if (part) {                                                                  \
                    double s = 0;                                                            \
                    _Pragma("omp simd reduction(+ : s)")                                     \
                    for (int64_t k = i; k < end; k++)                                        \
                        s += x[k] > (T)0 ? 0.0 : (double)dy[k] * (double)x[k];               \
                    part[c] += s;                                                            \
                }                                                                            \
            }                                                                                \
            i = end;                                                                         \
        }                                                                                    \
    }
PRELU_BWD(f32, float)
PRELU_BWD(f64, double)

l2_tensor *l2_prelu(const l2_tensor *x, const l2_tensor *weight)
{
    L2__HALF_ROUTE(l2_prelu(H_[0], H_[1]), x, weight);
    const char *op = "prelu";
    L2__CHECK_T(x, NULL, op);
    L2__CHECK_TN(weight, NULL, op, "weight");
    L2__CHECK(l2__is_float(x->dtype), NULL, L2_ERR_DTYPE, "%s: not implemented for '%s'", op,
              l2_dtype_name(x->dtype));
    L2__CHECK(weight->dtype == x->dtype, NULL, L2_ERR_DTYPE,
              "%s: found dtype %s for weight but expected %s", op,
              l2_dtype_name(weight->dtype), l2_dtype_name(x->dtype));
    L2__CHECK(weight->ndim <= 1, NULL, L2_ERR_SHAPE, "%s: expected `weight` to be a scalar or "
              "1D tensor, but got ndim = %d", op, weight->ndim);
    int64_t c = x->ndim >= 2 ? x->shape[1] : 1, nw = weight->ndim ? weight->shape[0] : 1;
    L2__CHECK(nw == 1 || nw == c, NULL, L2_ERR_SHAPE, "%s: mismatch of parameter numbers and "
              "input channel size: found parameter numbers = %lld and channel size = %lld", op,
              (long long)nw, (long long)c);
    l2_tensor *xc = l2__convert(op, x, x->dtype, true);
    l2_tensor *wc = xc ? l2__convert(op, weight, x->dtype, true) : NULL;
    l2_tensor *out = wc ? l2__new(op, x->ndim, x->shape, x->dtype, false) : NULL;
    if (out && l2__needs_grad(2, (const l2_tensor *[]){x, weight})) {
        const l2_tensor *ins[2] = {x, weight};
        if (!l2__record_save(L2__OP_PRELU, out, 2, ins, 2, ins)) {
            l2_tensor_release(out);
            out = NULL;
        }
    }
    if (out) {
        prelu_geom g = prelu_shape(x, nw);
        int nt = l2__threads_for(g.numel);
        char *po = l2__data(out);
        const char *px = l2__data(xc), *pw = l2__data(wc);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
        for (int k = 0; k < nt; k++) {
            int64_t lo = l2__part(g.numel, k, nt), hi = l2__part(g.numel, k + 1, nt);
            if (x->dtype == L2_FLOAT32)
                prelu_fwd_f32(&g, (float *)po, (const float *)px, (const float *)pw, lo, hi);
            else
                prelu_fwd_f64(&g, (double *)po, (const double *)px, (const double *)pw, lo,
                              hi);
        }
    }
    l2_tensor_release(xc);
    l2_tensor_release(wc);
    return out ? l2__ret(out) : NULL;
}

/* gin[0] = dx (x's shape), gin[1] = dweight (weight's shape): each when its input has an edge. */
l2_status l2__prelu_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "backward";
    const l2_tensor *x0 = n->saved[0], *w0 = n->saved[1];
    bool need_x = n->next[0].fn || n->next[0].leaf, need_w = n->next[1].fn || n->next[1].leaf;
    l2_dtype dt = x0->dtype;
    int64_t nw = w0->ndim ? w0->shape[0] : 1;
    prelu_geom g = prelu_shape(x0, nw);
    int nt = l2__threads_for(g.numel);
    l2_tensor *dy = l2__convert(op, gout, dt, true);
    l2_tensor *x = dy ? l2__convert(op, x0, dt, true) : NULL;
    l2_tensor *w = x ? l2__convert(op, w0, dt, true) : NULL;
    l2_tensor *dx = w && need_x ? l2__new(op, x0->ndim, x0->shape, dt, false) : NULL;
    l2_tensor *dw = w && need_w ? l2__new(op, w0->ndim, w0->shape, dt, false) : NULL;
    size_t np = (size_t)nt * (size_t)nw;
    double *part = dw ? l2__calloc((np ? np : 1) * sizeof(double), op) : NULL;
    l2_status st = L2_ERR_NOMEM;
    if (w && (!need_x || dx) && (!need_w || part)) {
        char *pdx = dx ? l2__data(dx) : NULL;
        const char *pdy = l2__data(dy), *px = l2__data(x), *pw = l2__data(w);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
        for (int k = 0; k < nt; k++) {
            int64_t lo = l2__part(g.numel, k, nt), hi = l2__part(g.numel, k + 1, nt);
            double *pk = part ? part + (size_t)k * (size_t)nw : NULL;
            if (dt == L2_FLOAT32)
                prelu_bwd_f32(&g, (float *)pdx, pk, (const float *)pdy, (const float *)px,
                              (const float *)pw, lo, hi);
            else
                prelu_bwd_f64(&g, (double *)pdx, pk, (const double *)pdy, (const double *)px,
                              (const double *)pw, lo, hi);
        }
        if (dw) {
            char *pd = l2__data(dw);
            for (int64_t ch = 0; ch < nw; ch++) {
                double s = 0;
                for (int k = 0; k < nt; k++)
                    s += part[(size_t)k * (size_t)nw + (size_t)ch];
                if (dt == L2_FLOAT32)
                    ((float *)pd)[ch] = (float)s;
                else
                    ((double *)pd)[ch] = s;
            }
        }
        st = L2_OK;
    }
    l2__free(part);
    l2_tensor_release(dy);
    l2_tensor_release(x);
    l2_tensor_release(w);
    if (st != L2_OK) {
        l2_tensor_release(dx);
        l2_tensor_release(dw);
        dx = dw = NULL;
    }
    gin[0] = dx;
    gin[1] = dw;
    return st;
}
