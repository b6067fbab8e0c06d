/* index.c: ops that pick elements by int64 index tensors: index_select, gather, scatter_add (out
 * of place), embedding and one_hot, each with its backward below it. Index tensors may have any
 * layout; they are copied once into a contiguous buffer and checked to lie in [0, size) (as
 * torch 1.13, negative indices are refused). No in-place scatter, no masked or advanced (tensor)
 * indexing.
 * Letters: O outer dims, S the indexed dim's size, N the number of indices, I inner dims. */
#include "../autograd-impl.h"

#include <stdio.h>

/* ---- shared helpers ---------------------------------------------------------------------- */

/* Check that index is a non-NULL int64 tensor. */
static bool check_index(const char *op, const char *arg, const l2_tensor *index)
{
    L2__CHECK_TN(index, false, op, arg);
    L2__CHECK(index->dtype == L2_INT64, false, L2_ERR_DTYPE,
              "%s: expected dtype int64 for %s but got %s", op, arg,
              l2_dtype_name(index->dtype));
    return true;
}

/* A contiguous int64 copy of index. NULL (error set, naming the index and the size) if an entry
 * is outside [0, size). */
static l2_tensor *load_index(const char *op, const l2_tensor *index, int dim, int64_t size)
{
    l2_tensor *c = l2__new(op, index->ndim, index->shape, L2_INT64, false);
    if (!c)
        return NULL;
    l2__copy_kernel(c, index);
    int64_t *p = (int64_t *)l2__data(c), n = l2__numel(c->ndim, c->shape);
    for (int64_t k = 0; k < n; k++) {
        int64_t v = p[k];
        if (v < 0 || v >= size + l2__fault("index_bounds")) { /* fault: size accepted */
            l2_tensor_release(c);
            l2__fail(L2_ERR_INDEX, "%s: index %lld is out of bounds for dimension %d with size "
                     "%lld", op, (long long)v, dim, (long long)size);
            return NULL;
        }
    }
    return c;
}


/* ---- row kernels: select rows of a contiguous (O, S, I) block / accumulate them back ------ */

/* out (O, N, I) = src (O, S, I) at rows idx[0..N-1]; any dtype (rows are copied as bytes). */
static void select_rows(char *out, const char *src, const int64_t *idx, int64_t outer,
                        int64_t size, int64_t n, int64_t inner, size_t esize)
{
    size_t row = (size_t)inner * esize;
    int64_t tasks = outer * n;
    int nt = l2__threads_for(tasks * inner);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int64_t t = 0; t < tasks; t++) {
        int64_t o = t / n, k = t % n;
        memcpy(out + (size_t)t * row, src + ((size_t)o * (size_t)size + (size_t)idx[k]) * row,
               row);
    }
}

/* dx (O, S, I) += dy (O, N, I) at rows idx: dx[o, idx[k], i] += dy[o, k, i]. Float dtypes; dx
 * and dy contiguous. Work is split over (o, block of i), which never collide. */
#define L2__ACC_ROWS(NAME, T)                                                                \
    static void NAME(T *x, const T *y, const int64_t *idx, int64_t outer, int64_t size,      \
                     int64_t n, int64_t inner)                                               \
    {                                                                                        \
        const int64_t blk = L2__INDEX_BLOCK;                                                             \
        int64_t nblk = (inner + blk - 1) / blk, tasks = outer * nblk;                        \
        int nt = l2__threads_for(outer * n * inner);                                             \
        _Pragma("omp parallel for num_threads(nt) schedule(static) if (nt > 1)")             \
        for (int64_t t = 0; t < tasks; t++) {                                                \
            int64_t o = t / nblk, i0 = (t % nblk) * blk;                                     \
            int64_t i1 = i0 + blk < inner ? i0 + blk : inner;                                \
            for (int64_t k = 0; k < n; k++) {                                                \
                T *restrict xr = x + (o * size + idx[k]) * inner;                            \
                const T *restrict yr = y + (o * n + k) * inner;                              \
                for (int64_t i = i0; i < i1; i++)                                            \
                    xr[i] += yr[i];                                                          \
            }                                                                                \
        }                                                                                    \
    }
L2__ACC_ROWS(accumulate_rows_f32, float)
L2__ACC_ROWS(accumulate_rows_f64, double)

static void accumulate_rows(l2_dtype dt, char *dx, const char *dy, const int64_t *idx,
                            int64_t outer, int64_t size, int64_t n, int64_t inner)
{
    if (dt == L2_FLOAT32)
        accumulate_rows_f32((float *)dx, (const float *)dy, idx, outer, size, n, inner);
    else
        accumulate_rows_f64((double *)dx, (const double *)dy, idx, outer, size, n, inner);
}

/* The (O, S, I) factorisation of shape around dim. */
static void split_dims(int ndim, const int64_t *shape, int dim, int64_t *outer, int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < dim; d++)
        *outer *= shape[d];
    for (int d = dim + 1; d < ndim; d++)
        *inner *= shape[d];
}

/* Shared backward of index_select and embedding: dx = zeros(in_shape); dx.index_add_(dim, idx,
 * dy), where dy has the input's shape with the dim's size replaced by N. */
static l2_status index_add_backward(l2__node *nd, const l2_tensor *gout, const l2_tensor *idx,
                                    int dim, int64_t n, l2_tensor **gin)
{
    const char *op = l2__op_names[nd->op];
    int rank = nd->in_ndim[0];
    const int64_t *shape = nd->in_shape[0];
    l2_tensor *dy, *dx;
    if (l2__grad_start(op, gout, rank, shape, true, &dy, &dx) != L2_OK)
        return l2_last_status();
    int64_t outer = 1, inner = 1, size = 1;
    if (rank > 0) {
        split_dims(rank, shape, dim, &outer, &inner);
        size = shape[dim];
    }
    accumulate_rows(dx->dtype, l2__data(dx), l2__data(dy), (const int64_t *)l2__data(idx), outer,
                    size, n, inner);
    l2_tensor_release(dy);
    gin[0] = dx;
    return L2_OK;
}

/* ---- index_select ------------------------------------------------------------------------ */

l2_tensor *l2_index_select(const l2_tensor *t, int dim, const l2_tensor *index)
{
    const char *op = "index_select";
    L2__CHECK_T(t, NULL, op);
    if (!check_index(op, "index", index))
        return NULL;
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0)
        return NULL;
    L2__CHECK(index->ndim <= 1, NULL, L2_ERR_SHAPE, "%s: index is supposed to be a vector (got "
              "%d dims)", op, index->ndim);
    int64_t n = l2__numel(index->ndim, index->shape);
    L2__CHECK(t->ndim > 0 || n == 1, NULL, L2_ERR_SHAPE, "%s: index to a scalar can have only 1 "
              "value (got %lld)", op, (long long)n);
    int64_t size = t->ndim > 0 ? t->shape[d] : 1;
    l2_tensor *idx = load_index(op, index, d, size);
    if (!idx)
        return NULL;
    int64_t shape[L2_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    if (t->ndim > 0)
        shape[d] = n;
    l2_tensor *src = l2__convert(op, t, t->dtype, true);
    l2_tensor *r = src ? l2__new(op, t->ndim, shape, t->dtype, false) : NULL;
    if (!r)
        goto fail;
    int64_t outer = 1, inner = 1;
    if (t->ndim > 0)
        split_dims(t->ndim, t->shape, d, &outer, &inner);
    select_rows(l2__data(r), l2__data(src), (const int64_t *)l2__data(idx), outer, size, n, inner,
                l2__esize(t->dtype));
    if (!l2__record_indexed(L2__OP_INDEX_SELECT, r, 1, &t, idx, 2, (const int64_t[]){d, n}))
        goto fail;
    l2_tensor_release(src);
    l2_tensor_release(idx);
    return l2__ret(r);
fail:
    l2_tensor_release(r);
    l2_tensor_release(src);
    l2_tensor_release(idx);
    return NULL;
}

/* dx = zeros_like(x).index_add_(dim, index, dy) */
l2_status l2__index_select_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return index_add_backward(n, gout, n->saved[0], (int)n->i[0], n->i[1], gin);
}

/* ---- embedding --------------------------------------------------------------------------- */

l2_tensor *l2_embedding(const l2_tensor *weight, const l2_tensor *indices)
{
    const char *op = "embedding";
    L2__CHECK_T(weight, NULL, op);
    if (!check_index(op, "indices", indices))
        return NULL;
    char s1[L2__SHAPE_STR];
    L2__CHECK(weight->ndim == 2, NULL, L2_ERR_SHAPE, "%s: 'weight' must be 2-D (got shape %s)",
              op, l2__shape_str(s1, weight->ndim, weight->shape));
    L2__CHECK(indices->ndim < L2_MAX_DIMS, NULL, L2_ERR_SHAPE, "%s: indices have %d dims; the "
              "result would exceed %d", op, indices->ndim, L2_MAX_DIMS);
    int64_t v = weight->shape[0], dd = weight->shape[1];
    l2_tensor *idx = load_index(op, indices, 0, v);
    if (!idx)
        return NULL;
    int64_t shape[L2_MAX_DIMS];
    memcpy(shape, indices->shape, sizeof(int64_t) * (size_t)indices->ndim);
    shape[indices->ndim] = dd;
    int64_t n = l2__numel(indices->ndim, indices->shape);
    l2_tensor *src = l2__convert(op, weight, weight->dtype, true);
    l2_tensor *r = src ? l2__new(op, indices->ndim + 1, shape, weight->dtype, false) : NULL;
    if (!r)
        goto fail;
    select_rows(l2__data(r), l2__data(src), (const int64_t *)l2__data(idx), 1, v, n, dd,
                l2__esize(weight->dtype));
    if (!l2__record_indexed(L2__OP_EMBEDDING, r, 1, &weight, idx, 1, &n))
        goto fail;
    l2_tensor_release(src);
    l2_tensor_release(idx);
    return l2__ret(r);
fail:
    l2_tensor_release(r);
    l2_tensor_release(src);
    l2_tensor_release(idx);
    return NULL;
}

/* dW = zeros(V, D); dW[indices[j], :] += dy[j, :] for every position j of indices. */
l2_status l2__embedding_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    return index_add_backward(n, gout, n->saved[0], 0, n->i[0], gin);
}

/* ---- gather / scatter_add ---------------------------------------------------------------- */

/* A walk over the index's shape (rank >= 1). Element c of the index addresses a[c with c[dim]
 * replaced by idx[c]] and b[c]; strides are in bytes. */
typedef struct {
    int nd, dim;
    int64_t shape[L2_MAX_DIMS];
    int64_t ast[L2_MAX_DIMS], bst[L2_MAX_DIMS];
    char *a, *b;
    const int64_t *idx;
} gs_walk;

/* Run BODY (with char *pa, *pb) for the flat index positions [BEGIN, END). */
#define GS_WALK(G, BEGIN, END, BODY)                                                         \
    do {                                                                                     \
        const gs_walk *g_ = (G);                                                             \
        int64_t c_[L2_MAX_DIMS], r_ = (BEGIN), ao_ = 0, bo_ = 0;                             \
        if ((BEGIN) >= (END))                                                                \
            break;                                                                           \
        for (int d_ = g_->nd - 1; d_ >= 0; d_--) {                                           \
            c_[d_] = r_ % g_->shape[d_];                                                     \
            r_ /= g_->shape[d_];                                                             \
            if (d_ != g_->dim)                                                               \
                ao_ += c_[d_] * g_->ast[d_];                                                 \
            bo_ += c_[d_] * g_->bst[d_];                                                     \
        }                                                                                    \
        for (int64_t p_ = (BEGIN); p_ < (END); p_++) {                                       \
            char *pa = g_->a + ao_ + g_->idx[p_] * g_->ast[g_->dim];                         \
            char *pb = g_->b + bo_;                                                          \
            BODY;                                                                            \
            for (int d_ = g_->nd - 1; d_ >= 0; d_--) {                                       \
                if (d_ != g_->dim)                                                           \
                    ao_ += g_->ast[d_];                                                      \
                bo_ += g_->bst[d_];                                                          \
                if (++c_[d_] < g_->shape[d_])                                                \
                    break;                                                                   \
                if (d_ != g_->dim)                                                           \
                    ao_ -= g_->shape[d_] * g_->ast[d_];                                      \
                bo_ -= g_->shape[d_] * g_->bst[d_];                                          \
                c_[d_] = 0;                                                                  \
            }                                                                                \
        }                                                                                    \
    } while (0)

/* Fill a walk: a is the indexed tensor, b the index-shaped one; 0-d tensors act as [1]. */
static void walk_init(gs_walk *w, int dim, const l2_tensor *idx, const l2_tensor *a,
                      const l2_tensor *b)
{
    w->nd = idx->ndim > 0 ? idx->ndim : 1;
    w->dim = dim;
    for (int d = 0; d < w->nd; d++) {
        w->shape[d] = idx->ndim > 0 ? idx->shape[d] : 1;
        w->ast[d] = a->ndim > 0 ? a->stride[d] * (int64_t)l2__esize(a->dtype) : 0;
        w->bst[d] = b->ndim > 0 ? b->stride[d] * (int64_t)l2__esize(b->dtype) : 0;
    }
    w->a = l2__data(a);
    w->b = l2__data(b);
    w->idx = (const int64_t *)l2__data(idx);
}

/* b[c] = a[... idx[c] ...] for every index position; any dtype (copied by element size). */
static void gather_kernel(const gs_walk *w, size_t esize)
{
    int64_t n = 1;
    for (int d = 0; d < w->nd; d++)
        n = l2__mul_sat(n, w->shape[d]);
    int nt = l2__threads_for(n);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
    for (int t = 0; t < nt; t++) {
        int64_t b = l2__part(n, t, nt), e = l2__part(n, t + 1, nt);
        switch (esize) {
        case 1: GS_WALK(w, b, e, *(uint8_t *)pb = *(const uint8_t *)pa); break;
        case 4: GS_WALK(w, b, e, *(uint32_t *)pb = *(const uint32_t *)pa); break;
        default: GS_WALK(w, b, e, *(uint64_t *)pb = *(const uint64_t *)pa); break;
        }
    }
}

/* a[... idx[c] ...] += b[c] for every index position, in order (positions may collide, so one
 * thread). Float and int64 dtypes; a and b have the same dtype. */
static void scatter_add_kernel(const gs_walk *w, l2_dtype dt)
{
    int64_t n = 1;
    for (int d = 0; d < w->nd; d++)
        n = l2__mul_sat(n, w->shape[d]);
    switch (dt) {
    case L2_FLOAT32: GS_WALK(w, 0, n, *(float *)pa += *(const float *)pb); break;
    case L2_FLOAT64: GS_WALK(w, 0, n, *(double *)pa += *(const double *)pb); break;
    case L2_INT64: GS_WALK(w, 0, n, *(int64_t *)pa += *(const int64_t *)pb); break;
    default: break;
    }
}

/* torch.gather's and scatter's shape rules: same rank (0-d counts as 1-d), index.size(d) <=
 * t.size(d) for d != dim and, with src, index.size(d) <= src.size(d) for every d. */
static bool check_gs_shapes(const char *op, const l2_tensor *t, int d, const l2_tensor *index,
                            const l2_tensor *src)
{
    int rt = t->ndim > 0 ? t->ndim : 1, ri = index->ndim > 0 ? index->ndim : 1;
    char s1[L2__SHAPE_STR], s2[L2__SHAPE_STR];
    L2__CHECK(rt == ri, false, L2_ERR_SHAPE, "%s: index tensor must have the same number of "
              "dimensions as input tensor (index %s, input %s)", op,
              l2__shape_str(s1, index->ndim, index->shape), l2__shape_str(s2, t->ndim, t->shape));
    if (src) {
        int rs = src->ndim > 0 ? src->ndim : 1;
        L2__CHECK(rs == ri, false, L2_ERR_SHAPE, "%s: index tensor must have the same number of "
                  "dimensions as src tensor (index %s, src %s)", op,
                  l2__shape_str(s1, index->ndim, index->shape),
                  l2__shape_str(s2, src->ndim, src->shape));
    }
    for (int k = 0; k < ri; k++) {
        int64_t is = index->ndim ? index->shape[k] : 1, ts = t->ndim ? t->shape[k] : 1;
        L2__CHECK(k == d || is <= ts, false, L2_ERR_SHAPE, "%s: size does not match at dimension "
                  "%d: expected index %s to be smaller than self %s apart from dimension %d", op,
                  k, l2__shape_str(s1, index->ndim, index->shape),
                  l2__shape_str(s2, t->ndim, t->shape), d);
        if (src) {
            int64_t ss = src->ndim ? src->shape[k] : 1;
            L2__CHECK(is <= ss, false, L2_ERR_SHAPE, "%s: size does not match at dimension %d: "
                      "expected index %s to be smaller than src %s", op, k,
                      l2__shape_str(s1, index->ndim, index->shape),
                      l2__shape_str(s2, src->ndim, src->shape));
        }
    }
    return true;
}

l2_tensor *l2_gather(const l2_tensor *t, int dim, const l2_tensor *index)
{
    const char *op = "gather";
    L2__CHECK_T(t, NULL, op);
    if (!check_index(op, "index", index))
        return NULL;
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0 || !check_gs_shapes(op, t, d, index, NULL))
        return NULL;
    l2_tensor *idx = load_index(op, index, d, t->ndim > 0 ? t->shape[d] : 1);
    if (!idx)
        return NULL;
    l2_tensor *r = l2__new(op, index->ndim, index->shape, t->dtype, false);
    if (!r) {
        l2_tensor_release(idx);
        return NULL;
    }
    gs_walk w;
    walk_init(&w, d, idx, t, r);
    gather_kernel(&w, l2__esize(t->dtype));
    if (!l2__record_indexed(L2__OP_GATHER, r, 1, &t, idx, 1, (const int64_t[]){d})) {
        l2_tensor_release(r);
        r = NULL;
    }
    l2_tensor_release(idx);
    return l2__ret(r);
}

/* dx = zeros_like(x).scatter_add_(dim, index, dy) */
l2_status l2__gather_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    l2_tensor *dx = l2__new("gather", n->in_ndim[0], n->in_shape[0], gout->dtype, true);
    if (!dx)
        return l2_last_status();
    gs_walk w;
    walk_init(&w, (int)n->i[0], n->saved[0], dx, gout);
    scatter_add_kernel(&w, dx->dtype);
    gin[0] = dx;
    return L2_OK;
}

l2_tensor *l2_scatter_add(const l2_tensor *t, int dim, const l2_tensor *index,
                          const l2_tensor *src)
{
    const char *op = "scatter_add";
    L2__CHECK_T(t, NULL, op);
    L2__CHECK_T(src, NULL, op);
    if (!check_index(op, "index", index))
        return NULL;
    L2__CHECK(t->dtype != L2_BOOL, NULL, L2_ERR_DTYPE, "%s: dtype bool is not supported", op);
    L2__CHECK(src->dtype == t->dtype, NULL, L2_ERR_DTYPE, "%s: expected self.dtype to be equal "
              "to src.dtype (got %s and %s)", op, l2_dtype_name(t->dtype),
              l2_dtype_name(src->dtype));
    int d = l2__wrap_dim(op, dim, t->ndim);
    if (d < 0 || !check_gs_shapes(op, t, d, index, src))
        return NULL;
    l2_tensor *idx = load_index(op, index, d, t->ndim > 0 ? t->shape[d] : 1);
    if (!idx)
        return NULL;
    l2_tensor *r = l2__new(op, t->ndim, t->shape, t->dtype, false);
    if (!r) {
        l2_tensor_release(idx);
        return NULL;
    }
    l2__copy_kernel(r, t);
    gs_walk w;
    walk_init(&w, d, idx, r, src);
    scatter_add_kernel(&w, t->dtype);
    const l2_tensor *in[2] = {t, src};
    if (!l2__record_indexed(L2__OP_SCATTER_ADD, r, 2, in, idx, 1, (const int64_t[]){d})) {
        l2_tensor_release(r);
        r = NULL;
    }
    l2_tensor_release(idx);
    return l2__ret(r);
}

/* dt = dy; dsrc = dy.gather(dim, index) on the index-shaped corner of src, zero elsewhere. */
l2_status l2__scatter_add_backward(l2__node *n, const l2_tensor *gout, l2_tensor **gin)
{
    if (n->next[0].fn || n->next[0].leaf)
        gin[0] = l2_tensor_ref((l2_tensor *)gout);
    if (n->next[1].fn || n->next[1].leaf) {
        l2_tensor *ds = l2__new("scatter_add", n->in_ndim[1], n->in_shape[1], gout->dtype, true);
        if (!ds)
            return l2_last_status();
        gs_walk w;
        walk_init(&w, (int)n->i[0], n->saved[0], gout, ds);
        gather_kernel(&w, l2__esize(ds->dtype));
        gin[1] = ds;
    }
    return L2_OK;
}

/* ---- one_hot ----------------------------------------------------------------------------- */

l2_tensor *l2_one_hot(const l2_tensor *indices, int64_t num_classes)
{
    const char *op = "one_hot";
    if (!check_index(op, "indices", indices))
        return NULL;
    L2__CHECK(indices->ndim < L2_MAX_DIMS, NULL, L2_ERR_SHAPE, "%s: indices have %d dims; the "
              "result would exceed %d", op, indices->ndim, L2_MAX_DIMS);
    L2__CHECK(num_classes >= -1, NULL, L2_ERR_ARG, "%s: num_classes must be -1 or non-negative "
              "(got %lld)", op, (long long)num_classes);
    l2_tensor *c = l2__convert(op, indices, indices->dtype, true);
    if (!c)
        return NULL;
    const int64_t *p = (const int64_t *)l2__data(c);
    int64_t n = l2__numel(c->ndim, c->shape), maxv = -1;
    for (int64_t k = 0; k < n; k++) {
        if (p[k] < 0) {
            l2_tensor_release(c);
            l2__fail(L2_ERR_INDEX, "%s: class values must be non-negative (got %lld at position "
                     "%lld)", op, (long long)p[k], (long long)k);
            return NULL;
        }
        if (p[k] > maxv)
            maxv = p[k];
    }
    if (num_classes == -1) {
        if (n == 0) {
            l2_tensor_release(c);
            l2__fail(L2_ERR_ARG, "%s: can not infer the total number of classes from an empty "
                     "tensor", op);
            return NULL;
        }
        if (l2__add_ovf(maxv, 1, &num_classes)) {
            l2_tensor_release(c);
            l2__fail(L2_ERR_OVERFLOW, "%s: class value %lld gives too many classes", op,
                     (long long)maxv);
            return NULL;
        }
    } else if (maxv >= num_classes) {
        l2_tensor_release(c);
        l2__fail(L2_ERR_INDEX, "%s: class value %lld is out of range for num_classes %lld", op,
                 (long long)maxv, (long long)num_classes);
        return NULL;
    }
    int64_t shape[L2_MAX_DIMS];
    memcpy(shape, indices->shape, sizeof(int64_t) * (size_t)indices->ndim);
    shape[indices->ndim] = num_classes;
    l2_tensor *r = l2__new(op, indices->ndim + 1, shape, L2_INT64, true);
    if (r) {
        int64_t *o = (int64_t *)l2__data(r);
        for (int64_t k = 0; k < n; k++)
            o[k * num_classes + p[k]] = 1;
    }
    l2_tensor_release(c);
    return l2__ret(r);
}
