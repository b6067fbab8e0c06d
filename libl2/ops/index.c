/* index.c: ops that pick elements by int64 index tensors: index_select, gather, scatter_add (out
 * of place), embedding and one_hot, each with its backward below it. Index tensors may have any
 * layout; they are copied once into a contiguous buffer and checked to lie in [0, size) (as
 * torch 1.13, negative indices are refused). No in-place scatter, no masked or advanced (tensor)
 * indexing.
 * Letters: O outer dims, S the indexed dim's size, N the number of indices, I inner dims. */
#include "index-impl.h"

#include <stdio.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
__attribute__((target_clones("avx2", "default")))
#endif
bool l2__index_any_out(const int64_t *p, int64_t n, uint64_t lim)
{
    typedef uint64_t v4u __attribute__((vector_size(32), aligned(8)));
    const v4u lv = {lim, lim, lim, lim};
    v4u acc = {0, 0, 0, 0};
    int64_t k = 0;
    for (; k + 4 <= n; k += 4)
        acc |= (v4u)(*(const v4u *)(const void *)(p + k) >= lv);
    uint64_t bad = acc[0] | acc[1] | acc[2] | acc[3];
    for (k = l2__fault("index_any_tail") ? n : k; k < n; k++) /* mutation test: tail unchecked */
        bad |= (uint64_t)((uint64_t)p[k] >= lim);
    return bad != 0;
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

/* ---- gather / scatter_add (kernels and shape rules in index-impl.h) ----------------------- */

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
