/* scatter.c: out-of-place scatter (of a src tensor or of a scalar value) and scatter_reduce
 * (sum, prod, mean, amax, amin, with or without self's values) along one dim by an int64 index
 * (issue 14, area uniq), each with its backward below it. torch's deprecated reduce= argument of
 * scatter is not provided: scatter_reduce does what it did. Positions may collide and are
 * applied in the index's row-major order, on one thread. The index checks, the walk over the
 * index's positions and torch's shape rules are shared with gather (index-impl.h). */
#include "index-impl.h"

#include <math.h>
#include <string.h>

/* ---- shared pieces ------------------------------------------------------------------------ */

/* The number of positions a walk visits. */
static int64_t walk_count(const gs_walk *w)
{
    int64_t n = 1;
    for (int d = 0; d < w->nd; d++)
        n = l2__mul_sat(n, w->shape[d]);
    return n;
}

/* The common front: t (and src when has_src) checked, dim wrapped into *d, the shape rules,
 * the index loaded (contiguous, in range). NULL with the error set otherwise. */
static l2_tensor *front(const char *op, const l2_tensor *t, int dim, const l2_tensor *index,
                        const l2_tensor *src, bool has_src, int *d)
{
    L2__CHECK_T(t, NULL, op);
    if (has_src) {
        L2__CHECK_T(src, NULL, op);
        L2__CHECK(src->dtype == t->dtype, NULL, L2_ERR_DTYPE, "%s: expected self.dtype to be "
                  "equal to src.dtype (got %s and %s)", op, l2_dtype_name(t->dtype),
                  l2_dtype_name(src->dtype));
    }
    if (!check_index(op, "index", index))
        return NULL;
    *d = l2__wrap_dim(op, dim, t->ndim);
    if (*d < 0 || !check_gs_shapes(op, t, *d, index, has_src ? src : NULL))
        return NULL;
    return load_index(op, index, *d, t->ndim > 0 ? t->shape[*d] : 1);
}

/* a[... idx[c] ...] = b[c] (val NULL) or = *val for every index position, in order; elements
 * moved as integers of their size (issue 12: a memcpy call per element cost most of the time). */
#define SCATTER_AS(T)                                                                        \
    do {                                                                                     \
        if (val) {                                                                           \
            T v_;                                                                            \
            memcpy(&v_, val, sizeof v_);                                                     \
            GS_WALK(w, 0, n, *(T *)pa = v_);                                                 \
        } else {                                                                             \
            GS_WALK(w, 0, n, *(T *)pa = *(const T *)pb);                                     \
        }                                                                                    \
    } while (0)
static void scatter_kernel(const gs_walk *w, size_t esize, const void *val)
{
    int64_t n = walk_count(w);
    switch (esize) {
    case 1: SCATTER_AS(uint8_t); break;
    case 4: SCATTER_AS(uint32_t); break;
    default: SCATTER_AS(uint64_t); break;
    }
}

/* A contiguous copy of gout (t's shape) with the scattered positions zeroed, or NULL. */
static l2_tensor *grad_zeroed(const char *op, const l2_tensor *gout, const l2_tensor *idx,
                              int d)
{
    l2_tensor *dx = l2__new(op, gout->ndim, gout->shape, gout->dtype, false);
    if (!dx)
        return NULL;
    l2__copy_kernel(dx, gout);
    if (l2__fault("scatter_grad_self")) /* fault: the scattered positions keep dy */
        return dx;
    gs_walk w;
    walk_init(&w, d, idx, dx, idx);
    char zero[8] = {0};
    scatter_kernel(&w, l2__esize(dx->dtype), zero);
    return dx;
}

/* gout.gather(d, idx) in zeros of src's shape (shape, ndim). */
static l2_tensor *grad_gather(const char *op, const l2_tensor *gout, const l2_tensor *idx, int d,
                              int ndim, const int64_t *shape)
{
    l2_tensor *ds = l2__new(op, ndim, shape, gout->dtype, true);
    if (!ds)
        return NULL;
    gs_walk w;
    walk_init(&w, d, idx, gout, ds);
    gather_kernel(&w, l2__esize(ds->dtype));
    return ds;
}

/* ---- scatter ------------------------------------------------------------------------------ */

/* scatter with src (value unused) or with value (src NULL). */
static l2_tensor *scatter_any(const char *op, const l2_tensor *t, int dim,
                              const l2_tensor *index, const l2_tensor *src, double value)
{
    int d;
    bool has_src = op[7] != '_'; /* "scatter" or "scatter_value" */
    l2_tensor *idx = front(op, t, dim, index, src, has_src, &d);
    if (!idx)
        return NULL;
    if (!has_src) {
        bool fits = true;
        if (t->dtype == L2_INT64)
            fits = value >= -9.2233720368547758e18 && value < 9.2233720368547758e18;
        else if (t->dtype == L2_FLOAT32)
            fits = !isfinite(value) || isfinite((float)value);
        if (!fits) {
            l2_tensor_release(idx);
            l2__fail(L2_ERR_ARG, "%s: value %g cannot be converted to type %s without "
                     "overflow", op, value, l2_dtype_name(t->dtype));
            return NULL;
        }
    }
    l2_tensor *r = l2__new(op, t->ndim, t->shape, t->dtype, false);
    if (!r) {
        l2_tensor_release(idx);
        return NULL;
    }
    l2__copy_kernel(r, t);
    gs_walk w;
    walk_init(&w, d, idx, r, has_src ? src : idx);
    char val[8];
    if (!has_src)
        l2__store(val, t->dtype, value);
    scatter_kernel(&w, l2__esize(t->dtype), has_src ? NULL : val);
    const l2_tensor *in[2] = {t, src};
    int nin = has_src ? 2 : 1;
    if (l2__is_float(t->dtype) && l2__needs_grad(nin, in)) {
        const l2_tensor *save[1] = {idx};
        l2__node *node = l2__record_save(has_src ? L2__OP_SCATTER : L2__OP_SCATTER_VALUE, r, nin,
                                         in, 1, save);
        if (!node) {
            l2_tensor_release(r);
            l2_tensor_release(idx);
            return NULL;
        }
        node->i[0] = d;
        node->ni = 1;
    }
    l2_tensor_release(idx);
    return l2__ret(r);
}

l2_tensor *l2_scatter(const l2_tensor *t, int dim, const l2_tensor *index, const l2_tensor *src)
{
    return scatter_any("scatter", t, dim, index, src, 0);
}

/* dt = dy with the scattered positions zeroed; dsrc = dy.gather(dim, index) (zero where the
 * index does not reach). */
l2_status l2__scatter_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    int d = (int)n->i[0];
    if (n->next[0].fn || n->next[0].leaf) {
        gin[0] = grad_zeroed("scatter", gout, n->saved[0], d);
        if (!gin[0])
            return l2_last_status();
    }
    if (n->next[1].fn || n->next[1].leaf) {
        gin[1] = grad_gather("scatter", gout, n->saved[0], d, n->in_ndim[1], n->in_shape[1]);
        if (!gin[1])
            return l2_last_status();
    }
    return L2_OK;
}

l2_tensor *l2_scatter_value(const l2_tensor *t, int dim, const l2_tensor *index, double value)
{
    return scatter_any("scatter_value", t, dim, index, NULL, value);
}

/* dt = dy with the scattered positions zeroed (the value is a constant). */
l2_status l2__scatter_value_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = grad_zeroed("scatter", gout, n->saved[0], (int)n->i[0]);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- scatter_reduce ----------------------------------------------------------------------- */

/* Wrapping int64 arithmetic (torch's integer overflow wraps around). */
static inline int64_t add_i64(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}
static inline int64_t mul_i64(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a * (uint64_t)b);
}
static inline double add_f64(double a, double b) { return a + b; }
static inline double mul_f64(double a, double b) { return a * b; }
static inline double div_f64(double a, int64_t c) { return a / (double)c; }
/* torch's integer mean divides with rounding toward -inf (c > 0). */
static inline int64_t div_i64(int64_t a, int64_t c)
{
    int64_t q = a / c;
    return (a % c != 0 && a < 0) ? q - 1 : q;
}

#define ISNAN_(x) ((x) != (x))

/* x rounded to float32 when f (a float32 operation on float32 operands, done in float64). */
static inline double rnd(bool f, double x)
{
    return f ? (double)(float)x : x;
}

/* amax (amax true) or amin of r (contiguous, t's values and dtype, the walk's a) with the walk's
 * b at the index positions; without self, the reached positions start from the identity (LOW
 * for amax, HIGH for amin). NaN propagates as torch's std::max/min with a NaN test on src. Exact
 * in any dtype, so float32 runs in float32 (issue 12: no float64 copies). */
#define DEF_EXTREME(NM, T, LOW, HIGH)                                                        \
    static void extreme_##NM(const gs_walk *w, bool amax, bool self)                         \
    {                                                                                        \
        int64_t n = walk_count(w);                                                           \
        if (!self) {                                                                         \
            T id = l2__fault("sred_ident") ? (T)0 : amax ? LOW : HIGH; /* mutation test */  \
            GS_WALK(w, 0, n, *(T *)pa = id);                                                 \
        }                                                                                    \
        if (amax)                                                                            \
            GS_WALK(w, 0, n, {                                                               \
                T s_ = *(const T *)pb, v_ = *(T *)pa;                                        \
                *(T *)pa = ISNAN_(s_) ? s_ : (v_ < s_ ? s_ : v_);                            \
            });                                                                              \
        else                                                                                 \
            GS_WALK(w, 0, n, {                                                               \
                T s_ = *(const T *)pb, v_ = *(T *)pa;                                        \
                *(T *)pa = ISNAN_(s_) ? s_ : (s_ < v_ ? s_ : v_);                            \
            });                                                                              \
    }
DEF_EXTREME(f32, float, -INFINITY, INFINITY)
DEF_EXTREME(f64, double, -INFINITY, INFINITY)
DEF_EXTREME(i64, int64_t, INT64_MIN, INT64_MAX)

/* r (contiguous, t's values and dtype, the walk's a) reduced with the walk's b at the index
 * positions, in order; cnt: int64 scratch of r's numel for mean (else unused). */
#define DEF_REDUCE(NM, T)                                                                    \
    static void reduce_##NM(const gs_walk *w, int64_t numel, int mode, bool self,            \
                            int64_t *cnt)                                                    \
    {                                                                                        \
        if (mode == L2_SCATTER_AMAX || mode == L2_SCATTER_AMIN) {                            \
            extreme_##NM(w, mode == L2_SCATTER_AMAX, self);                                  \
            return;                                                                          \
        }                                                                                    \
        int64_t n = walk_count(w);                                                           \
        T *base = (T *)w->a;                                                                 \
        if (!self) {                                                                         \
            T id = mode == L2_SCATTER_PROD ? (T)1 : (T)0;                                    \
            GS_WALK(w, 0, n, *(T *)pa = id);                                                 \
        }                                                                                    \
        if (mode == L2_SCATTER_PROD)                                                         \
            GS_WALK(w, 0, n, *(T *)pa = mul_##NM(*(T *)pa, *(const T *)pb));                 \
        else                                                                                 \
            GS_WALK(w, 0, n, *(T *)pa = add_##NM(*(T *)pa, *(const T *)pb));                 \
        if (mode != L2_SCATTER_MEAN)                                                         \
            return;                                                                          \
        for (int64_t k = 0; k < numel; k++)                                                  \
            cnt[k] = self ? 1 : 0;                                                           \
        GS_WALK(w, 0, n, cnt[(T *)pa - base]++);                                             \
        for (int64_t k = 0; k < numel; k++)                                                  \
            base[k] = div_##NM(base[k], cnt[k] > 0 ? cnt[k] : 1);                            \
    }
DEF_REDUCE(f64, double)
DEF_REDUCE(i64, int64_t)

/* A new contiguous tensor: t reduced with src (t's dtype, any layout) at the loaded index idx
 * along d. float32 sums, means and products are reduced in float64 and rounded once (many terms
 * stay within the accumulation tolerance); amax and amin are exact and run in t's dtype. NULL
 * (error set) on out of memory. */
static l2_tensor *reduce_new(const char *op, const l2_tensor *t, int d, const l2_tensor *idx,
                             const l2_tensor *src, int mode, bool self)
{
    bool ext = mode == L2_SCATTER_AMAX || mode == L2_SCATTER_AMIN;
    l2_dtype ct = t->dtype == L2_FLOAT32 && !ext ? L2_FLOAT64 : t->dtype;
    l2_tensor *r = l2__new(op, t->ndim, t->shape, ct, false);
    l2_tensor *s = r ? l2__convert(op, src, ct, false) : NULL;
    int64_t numel = l2__numel(t->ndim, t->shape), *cnt = NULL;
    l2_tensor *c = NULL, *out = NULL;
    if (s && mode == L2_SCATTER_MEAN) {
        c = l2__new(op, t->ndim, t->shape, L2_INT64, false);
        cnt = c ? (int64_t *)l2__data(c) : NULL;
    }
    if (!s || (mode == L2_SCATTER_MEAN && !c))
        goto done;
    l2__copy_kernel(r, t);
    gs_walk w;
    walk_init(&w, d, idx, r, s);
    if (ct == L2_FLOAT32)
        extreme_f32(&w, mode == L2_SCATTER_AMAX, self);
    else if (ct == L2_FLOAT64)
        reduce_f64(&w, numel, mode, self, cnt);
    else
        reduce_i64(&w, numel, mode, self, cnt);
    if (ct == t->dtype) {
        out = r;
        r = NULL;
    } else {
        out = l2__new(op, t->ndim, t->shape, t->dtype, false);
        if (out)
            l2__copy_kernel(out, r);
    }
done:
    l2_tensor_release(c);
    l2_tensor_release(s);
    l2_tensor_release(r);
    return out;
}

l2_tensor *l2_scatter_reduce(const l2_tensor *t, int dim, const l2_tensor *index,
                             const l2_tensor *src, l2_scatter_mode reduce, bool include_self)
{
    const char *op = "scatter_reduce";
    int d;
    L2__CHECK((int)reduce >= 0 && (int)reduce <= L2_SCATTER_AMIN, NULL, L2_ERR_ARG,
              "%s: reduce argument must be one of sum, prod, mean, amax, amin (got %d)", op,
              (int)reduce);
    if (t && src && t->dtype == src->dtype)
        L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: dtype bool is not supported",
                  op);
    l2_tensor *idx = front(op, t, dim, index, src, true, &d);
    if (!idx)
        return NULL;
    l2_tensor *r = reduce_new(op, t, d, idx, src, (int)reduce, include_self);
    const l2_tensor *in[2] = {t, src};
    if (r && l2__is_float(t->dtype) && l2__needs_grad(2, in)) {
        /* the result too, as torch saves it (changing it in place then fails backward);
         * amax and amin's backward reads it */
        const l2_tensor *save[4] = {idx, t, src, r};
        l2__node *node = l2__record_save(L2__OP_SCATTER_REDUCE, r, 2, in, 4, save);
        if (!node) {
            l2_tensor_release(r);
            l2_tensor_release(idx);
            return NULL;
        }
        node->i[0] = d;
        node->i[1] = (int64_t)reduce;
        node->i[2] = include_self;
        node->ni = 3;
    }
    l2_tensor_release(idx);
    return r ? l2__ret(r) : NULL;
}

/* The backward of amax and amin in t's dtype from the saved result R (the walk's a: R, b: src,
 * both contiguous; g, tv: dy and t, contiguous of t's shape; gs: dt out; gsrc: dsrc out,
 * contiguous of src's shape; dq: scratch of t's shape for N and dy / N without include_self,
 * where gs is zeroed at the reached positions in the walk that reads dy / N; with include_self
 * gs is that scratch). The formula is the one below; N[q] counts in t's dtype and dy / N
 * divides once in it, as torch computes them. */
#define DEF_EXTREME_BWD(NM, T)                                                               \
    static void extreme_bwd_##NM(const gs_walk *w, int64_t numel, bool self, const T *g,     \
                                 const T *tv, T *gs, T *gsrc, T *dq)                         \
    {                                                                                        \
        int64_t n = walk_count(w);                                                           \
        const T *rv = (const T *)w->a;                                                       \
        T *dv = self ? gs : dq;                                                              \
        const char *ra = w->a, *sa = w->b; /* a position's byte offset from these is also */ \
        char *db = (char *)dv, *gb = (char *)gs, *gsb = (char *)gsrc; /* its offset here */  \
        bool own = !l2__fault("sred_count"); /* mutation test: t[q] not counted in N */      \
        for (int64_t q = 0; q < numel; q++)                                                  \
            dv[q] = (T)(own && tv[q] == rv[q]);                                              \
        GS_WALK(w, 0, n, {                                                                   \
            if (*(const T *)pb == *(const T *)pa)                                            \
                *(T *)(db + (pa - ra)) += 1;                                                 \
        });                                                                                  \
        for (int64_t q = 0; q < numel; q++)                                                  \
            dv[q] = g[q] / dv[q];                                                            \
        /* a src element that is not a maximum gets 0 * dy / N: NaN where dy / N is not     \
         * finite, as torch's mask * grad */                                                 \
        if (self) {                                                                          \
            GS_WALK(w, 0, n, {                                                               \
                T d_ = *(const T *)(db + (pa - ra));                                         \
                *(T *)(gsb + (pb - sa)) = *(const T *)pb == *(const T *)pa ? d_ : (T)0 * d_; \
            });                                                                              \
            for (int64_t q = 0; q < numel; q++)                                              \
                gs[q] = (tv[q] == rv[q] ? (T)1 : (T)0) * gs[q];                              \
            return;                                                                          \
        }                                                                                    \
        for (int64_t q = 0; q < numel; q++)                                                  \
            gs[q] = (tv[q] == rv[q] ? (T)1 : (T)0) * dv[q];                                  \
        bool zero = !l2__fault("sred_zero"); /* mutation test: reached dt kept */            \
        GS_WALK(w, 0, n, {                                                                   \
            T d_ = *(const T *)(db + (pa - ra));                                             \
            *(T *)(gsb + (pb - sa)) = *(const T *)pb == *(const T *)pa ? d_ : (T)0 * d_;     \
            if (zero)                                                                        \
                *(T *)(gb + (pa - ra)) = 0;                                                  \
        });                                                                                  \
    }
DEF_EXTREME_BWD(f32, float)
DEF_EXTREME_BWD(f64, double)

/* Release a backward's n work tensors k (NULL ones skipped) and return st. */
static l2_status release_work(l2_tensor **k, int n, l2_status st)
{
    for (int i = 0; i < n; i++)
        l2_tensor_release(k[i]);
    return st;
}

/* The backward of amax and amin (issue 12: from the saved result, in t's dtype, with no float64
 * copies; the result was recomputed before): gin[0] and gin[1] as needed. */
static l2_status extreme_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "scatter_reduce";
    const l2_tensor *idx = nd->saved[0], *t = nd->saved[1], *src = nd->saved[2];
    l2_dtype dt = t->dtype;
    bool self = nd->i[2] != 0;
    enum { G, T, SRC, R, GS, GSRC, DQ, NT };
    l2_tensor *k[NT] = {NULL};
    int64_t numel = l2__numel(t->ndim, t->shape);
    bool reach_all = l2__numel(src->ndim, src->shape) == l2__numel(idx->ndim, idx->shape);
    k[G] = l2__convert(op, gout, dt, true);
    k[T] = l2__convert(op, t, dt, true);
    k[SRC] = l2__convert(op, src, dt, true);
    k[R] = l2__convert(op, nd->saved[3], dt, true);
    k[GS] = l2__new(op, t->ndim, t->shape, dt, false);
    k[GSRC] = l2__new(op, src->ndim, src->shape, dt, !reach_all);
    k[DQ] = self ? NULL : l2__new(op, t->ndim, t->shape, dt, false);
    for (int i = 0; i < NT; i++)
        if (!k[i] && (i != DQ || !self))
            goto fail;
    gs_walk w;
    walk_init(&w, (int)nd->i[0], idx, k[R], k[SRC]);
    if (dt == L2_FLOAT32)
        extreme_bwd_f32(&w, numel, self, (const float *)l2__data(k[G]),
                        (const float *)l2__data(k[T]), (float *)l2__data(k[GS]),
                        (float *)l2__data(k[GSRC]), self ? NULL : (float *)l2__data(k[DQ]));
    else
        extreme_bwd_f64(&w, numel, self, (const double *)l2__data(k[G]),
                        (const double *)l2__data(k[T]), (double *)l2__data(k[GS]),
                        (double *)l2__data(k[GSRC]), self ? NULL : (double *)l2__data(k[DQ]));
    if (nd->next[0].fn || nd->next[0].leaf) {
        gin[0] = k[GS];
        k[GS] = NULL;
    }
    if (nd->next[1].fn || nd->next[1].leaf) {
        gin[1] = k[GSRC];
        k[GSRC] = NULL;
    }
    return release_work(k, NT, L2_OK);
fail:
    return release_work(k, NT, l2_last_status());
}

/* The backward of scatter_reduce as torch 1.13 defines it (q: a position of t, p: the index
 * position scattered to q; R the result; sums over the p reaching q):
 *   sum:  dt = dy, dsrc[p] = dy[q]
 *   mean: N[q] = include_self + #p; dt = dy / N, dsrc[p] = dy[q] / N[q]
 *   prod: dt = dy * R' / t' with t' = t where t != 0, else 1, and R' its result;
 *         dsrc[p] = dy[q] * R''[q] when src[p] is the one zero reaching q (R'': that zero
 *         left out), else dy[q] * R[q] / src[p] (src[p] = 0 read as 1); each step rounded to
 *         t's dtype as torch computes it (the quotients differ from the exact products for
 *         subnormal results)
 *   amax, amin: N[q] = (t[q] == R[q]) + #(src[p] == R[q]); dt = (t == R) * dy / N,
 *         dsrc[p] = (src[p] == R[q]) * dy[q] / N[q] (ties share dy evenly; a NaN result
 *         gives N = 0 and NaN gradients, as torch's formula)
 * and without include_self dt is zeroed at the scattered positions. sum, mean and prod are
 * computed in float64, amax and amin by extreme_backward; src positions the index does not
 * reach get 0. */
l2_status l2__scatter_reduce_backward(l2__node *nd, const l2_tensor *gout, l2_tensor **gin)
{
    const char *op = "scatter_reduce";
    const l2_tensor *idx = nd->saved[0], *t = nd->saved[1], *src = nd->saved[2];
    int d = (int)nd->i[0], mode = (int)nd->i[1];
    bool self = nd->i[2] != 0;
    if (mode == L2_SCATTER_AMAX || mode == L2_SCATTER_AMIN)
        return extreme_backward(nd, gout, gin);
    enum { G, S, SRC, GS, GSRC, X1, X2, X3, MS, NT };
    l2_tensor *k[NT] = {NULL};
    k[G] = l2__convert(op, gout, L2_FLOAT64, true);
    k[SRC] = l2__convert(op, src, L2_FLOAT64, true);
    k[GS] = l2__new(op, t->ndim, t->shape, L2_FLOAT64, false);
    k[GSRC] = l2__new(op, src->ndim, src->shape, L2_FLOAT64, true);
    k[X1] = l2__new(op, t->ndim, t->shape, L2_FLOAT64, true);
    if (!k[G] || !k[SRC] || !k[GS] || !k[GSRC] || !k[X1])
        goto fail;
    if (mode == L2_SCATTER_PROD && !(k[S] = l2__convert(op, t, L2_FLOAT64, true)))
        goto fail;
    int64_t numel = l2__numel(t->ndim, t->shape);
    double *g = (double *)l2__data(k[G]), *sv = (double *)l2__data(k[SRC]);
    double *gs = (double *)l2__data(k[GS]), *gsrc = (double *)l2__data(k[GSRC]);
    double *x1 = (double *)l2__data(k[X1]);
    double *tv = k[S] ? (double *)l2__data(k[S]) : NULL;
    gs_walk w;
    walk_init(&w, d, idx, k[G], k[SRC]);
    int64_t n = walk_count(&w);
#define EACH(...)                                                                            \
    GS_WALK(&w, 0, n, {                                                                      \
        int64_t q = (double *)pa - g, p = (double *)pb - sv;                                 \
        (void)p;                                                                             \
        __VA_ARGS__;                                                                         \
    })
    switch (mode) {
    case L2_SCATTER_SUM:
        memcpy(gs, g, (size_t)numel * sizeof *gs);
        EACH(gsrc[p] = g[q]);
        break;
    case L2_SCATTER_MEAN: /* x1 = N */
        for (int64_t q = 0; q < numel; q++)
            x1[q] = self;
        EACH(x1[q] += 1);
        for (int64_t q = 0; q < numel; q++)
            gs[q] = g[q] / (x1[q] > 0 ? x1[q] : 1);
        EACH(gsrc[p] = gs[q]);
        break;
    case L2_SCATTER_PROD: {
        /* torch's formula step by step, rounded to t's dtype as torch computes it: x1 = the
         * zeros reaching q, x2 = the result of t with its zeros read as 1, x3 = the result R,
         * x4 = the result with the src zeros left out */
        k[X2] = l2__new(op, t->ndim, t->shape, L2_FLOAT64, false);
        k[MS] = l2__new(op, t->ndim, t->shape, L2_FLOAT64, false);
        k[X3] = l2__new(op, t->ndim, t->shape, L2_FLOAT64, false);
        if (!k[X2] || !k[MS] || !k[X3])
            goto fail;
        double *x2 = (double *)l2__data(k[X2]), *x3 = (double *)l2__data(k[MS]);
        double *x4 = (double *)l2__data(k[X3]);
        bool f = t->dtype == L2_FLOAT32;
        for (int64_t q = 0; q < numel; q++) {
            x2[q] = tv[q] == 0 ? 1 : tv[q];
            x3[q] = x4[q] = tv[q];
        }
        if (!self)
            EACH(x2[q] = x3[q] = x4[q] = 1);
        EACH(x1[q] += sv[p] == 0; x2[q] = rnd(f, x2[q] * sv[p]); x3[q] = rnd(f, x3[q] * sv[p]);
             x4[q] = sv[p] == 0 ? x4[q] : rnd(f, x4[q] * sv[p]));
        for (int64_t q = 0; q < numel; q++)
            gs[q] = rnd(f, rnd(f, g[q] * x2[q]) / (tv[q] == 0 ? 1 : tv[q]));
        EACH(gsrc[p] = sv[p] == 0 && x1[q] == 1 ? rnd(f, g[q] * x4[q])
                                                : rnd(f, rnd(f, g[q] * x3[q]) /
                                                             (sv[p] == 0 ? 1 : sv[p])));
        break;
    }
    default: /* amax, amin: extreme_backward */
        break;
    }
    if (!self)
        EACH(gs[q] = 0);
#undef EACH
    if (nd->next[0].fn || nd->next[0].leaf) {
        gin[0] = l2__convert(op, k[GS], gout->dtype, true);
        if (!gin[0])
            goto fail;
    }
    if (nd->next[1].fn || nd->next[1].leaf) {
        gin[1] = l2__convert(op, k[GSRC], gout->dtype, true);
        if (!gin[1])
            goto fail;
    }
    return release_work(k, NT, L2_OK);
fail:
    return release_work(k, NT, l2_last_status());
}
