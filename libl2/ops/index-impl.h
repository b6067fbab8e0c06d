/* index-impl.h: what index.c (gather, scatter_add) and scatter.c (scatter, scatter_reduce) share:
 * the int64 index checks, the walk over an index's positions addressing the indexed tensor and
 * the index-shaped one, the gather and scatter_add kernels and torch's gather/scatter shape
 * rules. Internal, never installed. */
#ifndef L2_INDEX_IMPL_H
#define L2_INDEX_IMPL_H

#include "../autograd-impl.h"

/* Check that index is a non-NULL int64 tensor. */
static inline bool check_index(const char *op, const char *arg, const l2_tensor *index)
{
    L2__CHECK_TN(index, false, op, arg);
    L2__CHECK(index->dtype == L2_INT64, false, L2_ERR_DTYPE,
              "%s: expected dtype int64 for %s but got %s", op, arg,
              l2_dtype_name(index->dtype));
    return true;
}

/* Whether any of p[0..n) is >= lim as unsigned (a negative entry is), in one branch-free pass
 * (AVX2 where the CPU has it; index.c). */
bool l2__index_any_out(const int64_t *p, int64_t n, uint64_t lim);

/* index as a contiguous int64 tensor: a new reference to index when it is contiguous (issue 12:
 * a copy of every index cost scatter a sixth of its time), else a contiguous copy. NULL (error
 * set, naming the index and the size) if an entry is outside [0, size). */
static inline l2_tensor *load_index(const char *op, const l2_tensor *index, int dim,
                                     int64_t size)
{
    l2_tensor *c;
    if (l2__is_contiguous(index)) {
        c = l2_tensor_ref((l2_tensor *)index);
    } else {
        c = l2__new(op, index->ndim, index->shape, L2_INT64, false);
        if (!c)
            return NULL;
        l2__copy_kernel(c, index);
    }
    const int64_t *p = (const int64_t *)l2__data(c);
    int64_t n = l2__numel(c->ndim, c->shape);
    uint64_t lim = (uint64_t)size + (uint64_t)l2__fault("index_bounds"); /* fault: size accepted */
    if (l2__index_any_out(p, n, lim)) { /* then the culprit */
        int64_t k = 0;
        while ((uint64_t)p[k] < lim)
            k++;
        l2__fail(L2_ERR_INDEX, "%s: index %lld is out of bounds for dimension %d with size %lld",
                 op, (long long)p[k], dim, (long long)size);
        l2_tensor_release(c);
        return NULL;
    }
    return c;
}

/* A walk over the index's shape (rank >= 1). Element c of the index addresses a[c with c[dim]
 * replaced by idx[c]] and b[c]; strides are in bytes. */
typedef struct {
    int nd, dim;
    int64_t shape[L2_MAX_DIMS];
    int64_t ast[L2_MAX_DIMS], bst[L2_MAX_DIMS];
    char *a, *b;
    const int64_t *idx;
} gs_walk;

/* Run the body (with char *pa, *pb; commas allowed) for the flat index positions [BEGIN, END).
 * The last dim runs as an inner loop over locals (issue 12: the body's stores may alias the walk,
 * so a loop reading it through g_ reloaded every field at every element); the others count as
 * an odometer once per run. */
#define GS_WALK(G, BEGIN, END, ...)                                                          \
    do {                                                                                     \
        const gs_walk *g_ = (G);                                                             \
        const int il_ = g_->nd - 1, dim_ = g_->dim;                                          \
        const int64_t *const idx_ = g_->idx, sd_ = g_->ast[dim_], nin_ = g_->shape[il_];      \
        const int64_t ain_ = il_ != dim_ ? g_->ast[il_] : 0, bin_ = g_->bst[il_];            \
        char *const a_ = g_->a, *const b_ = g_->b;                                           \
        int64_t c_[L2_MAX_DIMS], r_ = (BEGIN), ao_ = 0, bo_ = 0, p_ = (BEGIN), e_ = (END);   \
        if (p_ >= e_)                                                                        \
            break;                                                                           \
        for (int d_ = il_; d_ >= 0; d_--) {                                                  \
            c_[d_] = r_ % g_->shape[d_];                                                     \
            r_ /= g_->shape[d_];                                                             \
            if (d_ != dim_)                                                                  \
                ao_ += c_[d_] * g_->ast[d_];                                                 \
            bo_ += c_[d_] * g_->bst[d_];                                                     \
        }                                                                                    \
        while (p_ < e_) {                                                                    \
            int64_t m_ = nin_ - c_[il_] < e_ - p_ ? nin_ - c_[il_] : e_ - p_;                \
            char *ar_ = a_ + ao_, *br_ = b_ + bo_;                                           \
            const int64_t *ir_ = idx_ + p_;                                                  \
            for (int64_t q_ = 0; q_ < m_; q_++) {                                            \
                char *pa = ar_ + q_ * ain_ + ir_[q_] * sd_;                                  \
                char *pb = br_ + q_ * bin_;                                                  \
                (void)pa;                                                                    \
                (void)pb;                                                                    \
                __VA_ARGS__;                                                                 \
            }                                                                                \
            p_ += m_;                                                                        \
            ao_ += m_ * ain_;                                                                \
            bo_ += m_ * bin_;                                                                \
            if ((c_[il_] += m_) < nin_)                                                      \
                break; /* END reached inside the last run */                                 \
            ao_ -= nin_ * ain_;                                                              \
            if (!l2__fault("gs_walk_rewind")) /* mutation test: b's run not rewound */        \
                bo_ -= nin_ * bin_;                                                          \
            c_[il_] = 0;                                                                     \
            for (int d_ = il_ - 1; d_ >= 0; d_--) {                                          \
                if (d_ != dim_)                                                              \
                    ao_ += g_->ast[d_];                                                      \
                bo_ += g_->bst[d_];                                                          \
                if (++c_[d_] < g_->shape[d_])                                                \
                    break;                                                                   \
                if (d_ != dim_)                                                              \
                    ao_ -= g_->shape[d_] * g_->ast[d_];                                      \
                bo_ -= g_->shape[d_] * g_->bst[d_];                                          \
                c_[d_] = 0;                                                                  \
            }                                                                                \
        }                                                                                    \
    } while (0)

/* Fill a walk: a is the indexed tensor, b the index-shaped one; 0-d tensors act as [1]. */
static inline void walk_init(gs_walk *w, int dim, const l2_tensor *idx, const l2_tensor *a,
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
static inline void gather_kernel(const gs_walk *w, size_t esize)
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
static inline void scatter_add_kernel(const gs_walk *w, l2_dtype dt)
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
static inline bool check_gs_shapes(const char *op, const l2_tensor *t, int d,
                                   const l2_tensor *index, const l2_tensor *src)
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

#endif
