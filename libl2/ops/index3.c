/* index3.c: indexing ops of issue 14 that write rows chosen by a 1-D int64 index along one dim
 * into a copy of the input: index_fill (a scalar), index_copy (rows of a source) and index_add
 * (alpha times rows of a source), each out of place, with its backward below it. Kernels are
 * plain serial row loops over the contiguous result (duplicate indices run in index order: the
 * last index_copy row wins, index_add rows add up); no in-place forms.
 * Letters: O outer dims, S the indexed dim's size, N the number of indices, I inner dims. */
#include "../autograd-impl.h"

#include <math.h>
#include <string.h>

/* ---- shared helpers ---------------------------------------------------------------------- */

/* The (O, S, I) factorisation of shape around dim; a 0-d shape is [1]. */
static void osi(int ndim, const int64_t *shape, int dim, int64_t *o, int64_t *s, int64_t *i)
{
    *o = *i = *s = 1;
    if (ndim == 0)
        return;
    for (int d = 0; d < dim; d++)
        *o *= shape[d];
    for (int d = dim + 1; d < ndim; d++)
        *i *= shape[d];
    *s = shape[dim];
}

/* Check index (non-NULL, int64, at most 1-D) and copy it into a contiguous int64 tensor whose
 * entries lie in [0, size): negative entries in [-size, 0) are wrapped when allow_neg, any
 * other entry is an L2_ERR_INDEX error. With check false (an empty self in index_fill and
 * index_copy, which torch 1.13 does not check) the entries are copied unchecked and must not be
 * used. NULL (error set) on failure; nothing else touched. */
static l2_tensor *row_index(const char *op, const l2_tensor *index, int dim, int64_t size,
                            bool allow_neg, bool check)
{
    L2__CHECK_TN(index, NULL, op, "index");
    L2__CHECK(index->dtype == L2_INT64, NULL, L2_ERR_DTYPE, "%s: Expected dtype int64 for index "
              "(got %s)", op, l2_dtype_name(index->dtype));
    L2__CHECK(index->ndim <= 1, NULL, L2_ERR_SHAPE, "%s: Index is supposed to be a vector, but "
              "got dim: %d", op, index->ndim);
    l2_tensor *c = l2__new(op, index->ndim, index->shape, L2_INT64, false);
    if (!c)
        return NULL;
    l2__copy_kernel(c, index);
    int64_t *p = (int64_t *)l2__data(c), n = l2__numel(c->ndim, c->shape);
    int64_t lo = allow_neg ? -size : 0;
    for (int64_t k = 0; check && k < n; k++) {
        int64_t v = p[k];
        if (v < lo || v >= size + l2__fault("index3_bounds")) { /* fault: size accepted */
            l2_tensor_release(c);
            l2__fail(L2_ERR_INDEX, "%s: index %lld is out of bounds for dimension %d with size "
                     "%lld", op, (long long)v, dim, (long long)size);
            return NULL;
        }
        p[k] = v < 0 ? v + size : v;
    }
    return c;
}

/* source must have t's shape with the dim's size replaced by n (0-d shapes count as [1]). */
static bool check_source(const char *op, const l2_tensor *t, int d, const l2_tensor *src,
                         int64_t n)
{
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK(src->dtype == t->dtype, false, L2_ERR_DTYPE, "%s: self (%s) and source (%s) must "
              "have the same scalar type", op, l2_dtype_name(t->dtype),
              l2_dtype_name(src->dtype));
    int rt = t->ndim ? t->ndim : 1, rs = src->ndim ? src->ndim : 1;
    bool ok = rt == rs;
    for (int k = 0; ok && k < rt; k++) {
        int64_t a = t->ndim ? t->shape[k] : 1, b = src->ndim ? src->shape[k] : 1;
        ok = b == (k == d ? n : a);
    }
    L2__CHECK(ok, false, L2_ERR_SHAPE, "%s: source %s does not match self %s with %lld indices "
              "at dimension %d", op, l2__shape_str(s1, src->ndim, src->shape),
              l2__shape_str(s2, t->ndim, t->shape), (long long)n, d);
    return true;
}

/* Row r (o, idx[k]) of the (O, S, I) block x, as bytes. */
#define ROW(x, o, s, j, inner, es) ((x) + ((size_t)(o) * (size_t)(s) + (size_t)(j)) * \
                                              (size_t)(inner) * (es))

/* x (O, S, I): rows idx[k] of every o set to the element at val (es bytes). */
static void fill_rows(char *x, const int64_t *idx, int64_t outer, int64_t size, int64_t n,
                      int64_t inner, size_t es, const void *val)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n; k++) {
            char *p = ROW(x, o, size, idx[k], inner, es);
            /* constant-size copies (stores, not a library call per element) */
            if (es == 4)
                for (int64_t i = 0; i < inner; i++)
                    memcpy(p + (size_t)i * 4, val, 4);
            else if (es == 8)
                for (int64_t i = 0; i < inner; i++)
                    memcpy(p + (size_t)i * 8, val, 8);
            else
                for (int64_t i = 0; i < inner; i++)
                    memcpy(p + (size_t)i * es, val, es);
        }
}

/* Move rows between x (O, S, I) and y (O, N, I): to_x: x[o, idx[k]] = y[o, k], else
 * y[o, k] = x[o, idx[k]]. */
static void move_rows(char *x, char *y, const int64_t *idx, int64_t outer, int64_t size,
                      int64_t n, int64_t inner, size_t es, bool to_x)
{
    size_t row = (size_t)inner * es;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n; k++) {
            char *px = ROW(x, o, size, idx[k], inner, es), *py = ROW(y, o, n, k, inner, es);
            if (to_x)
                memcpy(px, py, row);
            else
                memcpy(py, px, row);
        }
}

/* x[o, idx[k]] += alpha * y[o, k] (bool: x |= alpha && y); float alpha for float dtypes,
 * integer alpha for int64 and bool. */
/* The float row loops, built for AVX2 and the baseline (picked at load time); without FMA, so
 * x + a * y keeps its two roundings in both (issue 12: the loops were scalar, x and y possibly
 * aliased). The rows of x and y never overlap (y is the contiguous source). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define IX_HOT __attribute__((target_clones("avx2", "default")))
#else
#define IX_HOT
#endif
IX_HOT static void axpy_f32(float *restrict x, const float *restrict y, float a, int64_t n)
{
    n -= n > 0 && l2__fault("index_axpy"); /* mutation test: a row's last element left out */
    _Pragma("omp simd")
    for (int64_t i = 0; i < n; i++)
        x[i] += a * y[i];
}
IX_HOT static void axpy_f64(double *restrict x, const double *restrict y, double a, int64_t n)
{
    n -= n > 0 && l2__fault("index_axpy");
    _Pragma("omp simd")
    for (int64_t i = 0; i < n; i++)
        x[i] += a * y[i];
}

static void add_rows(l2_dtype dt, char *x, const char *y, const int64_t *idx, int64_t outer,
                     int64_t size, int64_t n, int64_t inner, double alpha)
{
    int64_t ia = 0;
    l2__store(&ia, L2_INT64, alpha);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < n; k++) {
            size_t xo = ((size_t)o * (size_t)size + (size_t)idx[k]) * (size_t)inner;
            size_t yo = ((size_t)o * (size_t)n + (size_t)k) * (size_t)inner;
            switch (dt) {
            case L2_FLOAT32:
                axpy_f32((float *)x + xo, (const float *)y + yo, (float)alpha, inner);
                break;
            case L2_FLOAT64:
                axpy_f64((double *)x + xo, (const double *)y + yo, alpha, inner);
                break;
            case L2_INT64: {
                int64_t *xr = (int64_t *)x + xo;
                const int64_t *yr = (const int64_t *)y + yo;
                /* wrap-around as torch (two's complement), without signed overflow */
                for (int64_t i = 0; i < inner; i++)
                    xr[i] = (int64_t)((uint64_t)xr[i] + (uint64_t)ia * (uint64_t)yr[i]);
                break;
            }
            case L2_BOOL: {
                bool *xr = (bool *)x + xo;
                const bool *yr = (const bool *)y + yo;
                for (int64_t i = 0; i < inner; i++)
                    xr[i] = xr[i] || (ia != 0 && yr[i]);
                break;
            }
            default: break;
            }
        }
}

/* A scalar (value or alpha) must convert to dtype dt without overflow, as torch checks: int64
 * takes finite values in its range, float32 finite values whose conversion stays finite. */
static bool scalar_fits(const char *op, const char *arg, l2_dtype dt, double v)
{
    bool ok = true;
    if (dt == L2_INT64)
        ok = v >= -9.2233720368547758e18 && v < 9.2233720368547758e18;
    else if (dt == L2_FLOAT32)
        ok = !isfinite(v) || isfinite((float)v);
    L2__CHECK(ok, false, L2_ERR_ARG, "%s: %s %g cannot be converted to type %s without "
              "overflow", op, arg, v, l2_dtype_name(dt));
    return true;
}

/* The common front of the three ops: t checked, dim wrapped, index loaded. Fills *d and the
 * (O, S, I) sizes; returns the loaded index or NULL (error set). */
static l2_tensor *front(const char *op, const l2_tensor *t, int dim, const l2_tensor *index,
                        bool allow_neg, bool check_empty, int *d, int64_t *o, int64_t *s,
                        int64_t *i)
{
    L2__CHECK_T(t, NULL, op);
    *d = l2__wrap_dim(op, dim, t->ndim);
    if (*d < 0)
        return NULL;
    osi(t->ndim, t->shape, *d, o, s, i);
    bool check = check_empty || l2__numel(t->ndim, t->shape) > 0;
    return row_index(op, index, *d, *s, allow_neg, check);
}

/* ---- index_fill -------------------------------------------------------------------------- */

l2_tensor *l2_index_fill(const l2_tensor *t, int dim, const l2_tensor *index, double value)
{
    const char *op = "index_fill";
    int d;
    int64_t o, s, in;
    l2_tensor *idx = front(op, t, dim, index, true, false, &d, &o, &s, &in);
    if (!idx)
        return NULL;
    if (!scalar_fits(op, "value", t->dtype, value)) {
        l2_tensor_release(idx);
        return NULL;
    }
    l2_tensor *r = l2__new(op, t->ndim, t->shape, t->dtype, false);
    if (!r) {
        l2_tensor_release(idx);
        return NULL;
    }
    l2__copy_kernel(r, t);
    int64_t n = l2__numel(idx->ndim, idx->shape);
    char val[8];
    l2__store(val, t->dtype, value);
    if (l2__numel(t->ndim, t->shape) > 0) /* else the index was not checked */
        fill_rows(l2__data(r), (const int64_t *)l2__data(idx), o, s, n, in,
                  l2__esize(t->dtype), val);
    if (!l2__record_indexed(L2__OP_INDEX_FILL, r, 1, &t, idx, 1, (const int64_t[]){d})) {
        l2_tensor_release(r);
        r = NULL;
    }
    l2_tensor_release(idx);
    return l2__ret(r);
}

/* A contiguous copy of gout (the input's shape) with the index's rows zeroed, or NULL. */
static l2_tensor *grad_zero_rows(const char *op, l2__node *nd, const l2_tensor *gout)
{
    l2_tensor *dx = l2__new(op, gout->ndim, gout->shape, gout->dtype, false);
    if (!dx)
        return NULL;
    l2__copy_kernel(dx, gout);
    const l2_tensor *idx = nd->saved[0];
    int64_t o, s, in;
    osi(gout->ndim, gout->shape, (int)nd->i[0], &o, &s, &in);
    char zero[8] = {0};
    if (l2__numel(dx->ndim, dx->shape) > 0) /* else the index was not checked */
        fill_rows(l2__data(dx), (const int64_t *)l2__data(idx), o, s,
                  l2__numel(idx->ndim, idx->shape), in, l2__esize(dx->dtype), zero);
    return dx;
}

/* dx = dy with the filled rows zeroed (the value is a constant). */
l2_status l2__index_fill_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    gin[0] = grad_zero_rows("index_fill", n, gout);
    return gin[0] ? L2_OK : l2_last_status();
}

/* ---- index_copy / index_add -------------------------------------------------------------- */

/* index_copy (add false) and index_add: r = t with rows idx of r replaced by (added alpha times)
 * the rows of source. */
static l2_tensor *copy_or_add(const char *op, const l2_tensor *t, int dim,
                              const l2_tensor *index, const l2_tensor *source, double alpha,
                              bool add)
{
    int d;
    int64_t o, s, in;
    L2__CHECK_T(source, NULL, op);
    l2_tensor *idx = front(op, t, dim, index, false, add, &d, &o, &s, &in);
    if (!idx)
        return NULL;
    int64_t n = l2__numel(idx->ndim, idx->shape);
    if (!check_source(op, t, d, source, n) ||
        (add && !scalar_fits(op, "alpha", t->dtype, alpha))) {
        l2_tensor_release(idx);
        return NULL;
    }
    /* the result first: an impossible one fails before source (maybe a large expanded view)
     * is made contiguous */
    l2_tensor *r = l2__new(op, t->ndim, t->shape, t->dtype, false);
    l2_tensor *src = r ? l2__convert(op, source, source->dtype, true) : NULL;
    if (!src)
        goto fail;
    l2__copy_kernel(r, t);
    const int64_t *ip = (const int64_t *)l2__data(idx);
    if (l2__numel(t->ndim, t->shape) == 0)
        ; /* nothing to write (index_copy's index was not checked) */
    else if (add)
        add_rows(t->dtype, l2__data(r), l2__data(src), ip, o, s, n, in, alpha);
    else
        move_rows(l2__data(r), l2__data(src), ip, o, s, n, in, l2__esize(t->dtype), true);
    const l2_tensor *ins[2] = {t, source};
    if (l2__is_float(t->dtype) && l2__needs_grad(2, ins)) {
        const l2_tensor *save[1] = {idx};
        l2__node *node = l2__record_save(add ? L2__OP_INDEX_ADD : L2__OP_INDEX_COPY, r, 2, ins,
                                         1, save);
        if (!node)
            goto fail;
        node->i[0] = d;
        node->ni = 1;
        node->f[0] = alpha;
        /* torch's IndexAddBackward0 saves only for a source that needs its gradient */
        if (add)
            node->torch_saves = l2__needs_grad(1, &source);
    }
    l2_tensor_release(src);
    l2_tensor_release(idx);
    return l2__ret(r);
fail:
    l2_tensor_release(r);
    l2_tensor_release(src);
    l2_tensor_release(idx);
    return NULL;
}

l2_tensor *l2_index_copy(const l2_tensor *t, int dim, const l2_tensor *index,
                         const l2_tensor *source)
{
    return copy_or_add("index_copy", t, dim, index, source, 1.0, false);
}

l2_tensor *l2_index_add(const l2_tensor *t, int dim, const l2_tensor *index,
                        const l2_tensor *source, double alpha)
{
    return copy_or_add("index_add", t, dim, index, source, alpha, true);
}

/* dsource = alpha * dy.index_select(dim, index), in source's shape. */
static l2_status grad_source(const char *op, l2__node *nd, const l2_tensor *gout, double alpha,
                             l2_tensor **out)
{
    l2_tensor *dy, *ds;
    if (l2__grad_start(op, gout, nd->in_ndim[1], nd->in_shape[1], true, &dy, &ds) != L2_OK)
        return l2_last_status();
    const l2_tensor *idx = nd->saved[0];
    int64_t o, s, in, n = l2__numel(idx->ndim, idx->shape);
    osi(gout->ndim, gout->shape, (int)nd->i[0], &o, &s, &in);
    if (l2__numel(gout->ndim, gout->shape) > 0) /* else zeros: the index was not checked */
        move_rows(l2__data(dy), l2__data(ds), (const int64_t *)l2__data(idx), o, s, n, in,
                  l2__esize(ds->dtype), false);
    if (alpha != 1.0) {
        int64_t m = l2__numel(ds->ndim, ds->shape);
        L2__DISPATCH_FLOAT(ds->dtype, {
            T *p = (T *)l2__data(ds);
            for (int64_t k = 0; k < m; k++)
                p[k] = (T)(p[k] * alpha);
        });
    }
    l2_tensor_release(dy);
    *out = ds;
    return L2_OK;
}

/* dt = dy with the copied rows zeroed; dsource = dy.index_select(dim, index). */
l2_status l2__index_copy_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (n->next[0].fn || n->next[0].leaf) {
        gin[0] = grad_zero_rows("index_copy", n, gout);
        if (!gin[0])
            return l2_last_status();
    }
    if (n->next[1].fn || n->next[1].leaf)
        return grad_source("index_copy", n, gout, 1.0, &gin[1]);
    return L2_OK;
}

/* dt = dy; dsource = alpha * dy.index_select(dim, index). */
l2_status l2__index_add_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (n->next[1].fn || n->next[1].leaf) {
        l2_status st = grad_source("index_add", n, gout, n->f[0], &gin[1]);
        if (st != L2_OK)
            return st;
    }
    if (n->next[0].fn || n->next[0].leaf)
        gin[0] = l2_tensor_ref((l2_tensor *)gout);
    return L2_OK;
}
